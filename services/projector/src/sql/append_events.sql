INSERT INTO event_store (event_id, event_type, schema_version, source, event_key, occurred_at, observed_at, payload, topic, kafka_partition, kafka_offset)
SELECT id, event_type, schema_version, source, event_key, occurred_at, observed_at, payload::jsonb, topic, kafka_partition, kafka_offset
FROM UNNEST($1::uuid[], $2::text[], $3::smallint[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[], $10::int[], $11::bigint[])
    AS e(id, event_type, schema_version, source, event_key, occurred_at, observed_at, payload, topic, kafka_partition, kafka_offset)
ON CONFLICT DO NOTHING
RETURNING event_id
