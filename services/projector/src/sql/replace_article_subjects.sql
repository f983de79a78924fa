WITH cleared AS (
    DELETE FROM article_subjects s
    USING UNNEST($1::uuid[], $2::text[]) AS k(article_id, model_version)
    WHERE s.article_id = k.article_id AND s.model_version = k.model_version
)
INSERT INTO article_subjects (article_id, model_version, subject_kind, subject, weight, reason)
SELECT article_id, model_version, subject_kind, subject, weight, reason
FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[])
    AS s(article_id, model_version, subject_kind, subject, weight, reason)
ON CONFLICT (article_id, model_version, subject_kind, subject) DO UPDATE SET weight = EXCLUDED.weight, reason = EXCLUDED.reason
