INSERT INTO article_scores (article_id, model_version, model_name, model_sha256, label, p_negative, p_neutral, p_positive, score, chunks, scored_at, event_id)
SELECT s.article_id, s.model_version, s.model_name, s.model_sha256, s.label, s.p_negative, s.p_neutral, s.p_positive, s.score, s.chunks::jsonb, s.scored_at, s.event_id
FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::text[], $11::timestamptz[], $12::uuid[])
    AS s(article_id, model_version, model_name, model_sha256, label, p_negative, p_neutral, p_positive, score, chunks, scored_at, event_id)
ON CONFLICT (article_id, model_version)
DO UPDATE SET model_name = EXCLUDED.model_name, model_sha256 = EXCLUDED.model_sha256, label = EXCLUDED.label,
    p_negative = EXCLUDED.p_negative, p_neutral = EXCLUDED.p_neutral, p_positive = EXCLUDED.p_positive,
    score = EXCLUDED.score, chunks = EXCLUDED.chunks, scored_at = EXCLUDED.scored_at, event_id = EXCLUDED.event_id
WHERE EXCLUDED.event_id > article_scores.event_id
RETURNING event_id
