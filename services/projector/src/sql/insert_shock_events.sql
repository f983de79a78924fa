INSERT INTO shock_events (event_id, shock_id, status, occurred_at, subject_kind, subject, direction, statistic, magnitude, window_start, window_end, article_count, payload)
SELECT event_id, shock_id, status, occurred_at, subject_kind, subject, direction, statistic, magnitude, window_start, window_end, article_count, payload::jsonb
FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::timestamptz[], $11::timestamptz[], $12::int[], $13::text[])
    AS s(event_id, shock_id, status, occurred_at, subject_kind, subject, direction, statistic, magnitude, window_start, window_end, article_count, payload)
ON CONFLICT (event_id) DO NOTHING
