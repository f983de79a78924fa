-- Every model version's score of one article, the active one first, with chunks and subjects.
SELECT sc.model_name, sc.model_version, sc.model_sha256, sc.label, sc.score,
       sc.p_negative, sc.p_neutral, sc.p_positive, sc.scored_at, sc.chunks,
       coalesce(sc.model_version = am.model_version, false) AS active,
       coalesce((SELECT jsonb_agg(jsonb_build_object('kind', s.subject_kind, 'subject', s.subject,
                                                     'weight', s.weight, 'reason', s.reason)
                                  ORDER BY s.subject_kind, s.subject)
                 FROM article_subjects s
                 WHERE s.article_id = sc.article_id AND s.model_version = sc.model_version), '[]'::jsonb) AS subjects
FROM article_scores sc
LEFT JOIN active_model am ON true
WHERE sc.article_id = $1
ORDER BY active DESC, sc.model_version
