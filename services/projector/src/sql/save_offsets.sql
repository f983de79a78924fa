INSERT INTO consumer_offsets (consumer, topic, kafka_partition, next_offset)
SELECT $1, topic, kafka_partition, next_offset
FROM UNNEST($2::text[], $3::int[], $4::bigint[]) AS o(topic, kafka_partition, next_offset)
ON CONFLICT (consumer, topic, kafka_partition)
DO UPDATE SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset), updated_at = now()
