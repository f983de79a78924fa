-- The stored positions of a batch's partitions, locked until the batch's transaction ends: another instance
-- that holds the same partition for a moment (during a rebalance) waits here, then reads what this one wrote.
SELECT o.topic, o.kafka_partition, o.next_offset
FROM consumer_offsets o
JOIN UNNEST($2::text[], $3::int[]) AS w(topic, kafka_partition) USING (topic, kafka_partition)
WHERE o.consumer = $1
ORDER BY o.topic, o.kafka_partition
FOR UPDATE OF o
