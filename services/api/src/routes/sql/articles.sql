-- Articles newest first with the active model's score and subjects; every filter optional (NULL = any).
SELECT a.article_id, a.canonical_url, a.title, a.source_name, a.language, a.published_at,
       sc.model_name, sc.model_version, sc.model_sha256, sc.label, sc.score,
       sc.p_negative, sc.p_neutral, sc.p_positive, sc.scored_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('kind', s.subject_kind, 'subject', s.subject,
                                                     'weight', s.weight, 'reason', s.reason)
                                  ORDER BY s.subject_kind, s.subject)
                 FROM article_subjects s
                 WHERE s.article_id = a.article_id AND s.model_version = sc.model_version), '[]'::jsonb) AS subjects
FROM articles a
LEFT JOIN active_model am ON true
LEFT JOIN article_scores sc ON sc.article_id = a.article_id AND sc.model_version = am.model_version
WHERE a.published_at BETWEEN $1 AND $2
  AND ($3::text IS NULL OR a.search @@ websearch_to_tsquery($4::regconfig, $3))
  AND ($5::text IS NULL OR a.language = $5)
  AND ($6::text IS NULL OR sc.label = $6)
  AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM active_article_subjects x
                                   WHERE x.article_id = a.article_id AND x.subject_kind = 'topic' AND x.subject = $7))
  AND ($8::text IS NULL OR EXISTS (SELECT 1 FROM active_article_subjects x
                                   WHERE x.article_id = a.article_id AND x.subject_kind = 'ticker' AND x.subject = $8))
  AND ($9::timestamptz IS NULL OR (a.published_at, a.article_id) < ($9, $10::uuid))
ORDER BY a.published_at DESC, a.article_id DESC
LIMIT $11
