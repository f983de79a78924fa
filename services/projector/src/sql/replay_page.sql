SELECT event_id, event_type, schema_version, source, event_key, occurred_at, observed_at, payload, topic, kafka_partition, kafka_offset
FROM event_store
WHERE (topic, kafka_partition, kafka_offset) > ($1, $2, $3)
ORDER BY topic, kafka_partition, kafka_offset
LIMIT $4
