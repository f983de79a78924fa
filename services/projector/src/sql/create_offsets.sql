-- Rows for partitions this consumer has never stored a position for, at 0, so that they can be locked.
INSERT INTO consumer_offsets (consumer, topic, kafka_partition, next_offset)
SELECT DISTINCT $1, topic, kafka_partition, 0::bigint FROM UNNEST($2::text[], $3::int[]) AS w(topic, kafka_partition)
ON CONFLICT (consumer, topic, kafka_partition) DO NOTHING
