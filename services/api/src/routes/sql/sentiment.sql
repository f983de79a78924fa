-- The sentiment_buckets view for one subject, one bucket size and any model version ($3), over [$5, $6]
-- (the trailing week before $5 is read too, for buzz).
WITH scored AS (
    SELECT date_trunc($4, a.published_at, 'UTC') AS bucket_start, sc.score, sc.label, s.article_id
    FROM article_subjects s
    JOIN article_scores sc ON sc.article_id = s.article_id AND sc.model_version = s.model_version
    JOIN articles a ON a.article_id = s.article_id
    WHERE s.subject_kind = $1 AND s.subject = $2 AND s.model_version = $3
      AND (s.subject_kind = 'ticker' OR s.weight >= 0.5)
      AND a.published_at BETWEEN $5 - interval '7 days' AND $6
), counted AS (
    SELECT bucket_start,
           avg(score ORDER BY article_id) AS mean_score,
           avg((label = 'positive')::int)::float8 AS positive_share,
           avg((label = 'negative')::int)::float8 AS negative_share,
           count(*) AS article_count
    FROM scored GROUP BY bucket_start
), with_buzz AS (
    SELECT *,
           article_count / nullif(coalesce(sum(article_count) OVER prior_week, 0)::float8
                                  / CASE $4 WHEN 'minute' THEN 10080.0 WHEN 'hour' THEN 168.0 ELSE 7.0 END, 0) AS buzz
    FROM counted
    WINDOW prior_week AS (ORDER BY bucket_start RANGE BETWEEN interval '7 days' PRECEDING AND CURRENT ROW
                          EXCLUDE CURRENT ROW)
)
SELECT bucket_start, mean_score, positive_share, negative_share, article_count, buzz
FROM with_buzz
WHERE bucket_start >= date_trunc($4, $5, 'UTC')
ORDER BY bucket_start
