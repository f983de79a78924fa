INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, stage, reason_kind, reason, location, origin, original, failed_at, event_id)
SELECT topic, kafka_partition, kafka_offset, stage, reason_kind, reason, location, origin::jsonb, original, failed_at, event_id
FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[], $10::timestamptz[], $11::uuid[])
    AS d(topic, kafka_partition, kafka_offset, stage, reason_kind, reason, location, origin, original, failed_at, event_id)
ON CONFLICT DO NOTHING
