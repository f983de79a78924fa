INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, stage, reason_kind, reason, location, origin, original, failed_at)
SELECT topic, kafka_partition, kafka_offset, stage, reason_kind, reason, location, origin::jsonb, original, failed_at
FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[], $10::timestamptz[])
    AS d(topic, kafka_partition, kafka_offset, stage, reason_kind, reason, location, origin, original, failed_at)
ON CONFLICT DO NOTHING
