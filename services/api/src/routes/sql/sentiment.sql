-- The sentiment_buckets view for one subject, one bucket size and any model version ($3), over [$5, $6]
-- (the trailing week before $5 is read too, for buzz), from the per-minute sums the triggers keep
-- (migrations/20251130000005_sentiment_minutes.sql): the cost follows the range asked for, not the years
-- stored. The trailing week's count is a moving sum minus the bucket's own count (integers: exact), which
-- Postgres keeps in one pass.
WITH counted AS (
    SELECT CASE WHEN $4 = 'minute' THEN minute ELSE date_trunc($4, minute, 'UTC') END AS bucket_start,
           (sum(score_sum) / sum(article_count))::float8 AS mean_score,
           sum(positive)::float8 / sum(article_count) AS positive_share,
           sum(negative)::float8 / sum(article_count) AS negative_share,
           sum(article_count)::bigint AS article_count
    FROM sentiment_minutes
    WHERE subject_kind = $1 AND subject = $2 AND model_version = $3 AND article_count > 0
      AND minute >= date_trunc('minute', $5 - interval '7 days', 'UTC') AND minute <= $6
    GROUP BY 1
), with_buzz AS (
    SELECT *,
           article_count / nullif((sum(article_count) OVER prior_week - article_count)::float8
                                  / CASE $4 WHEN 'minute' THEN 10080.0 WHEN 'hour' THEN 168.0 ELSE 7.0 END, 0) AS buzz
    FROM counted
    WINDOW prior_week AS (ORDER BY bucket_start RANGE BETWEEN interval '7 days' PRECEDING AND CURRENT ROW)
)
SELECT bucket_start, mean_score, positive_share, negative_share, article_count, buzz
FROM with_buzz
WHERE bucket_start >= date_trunc($4, $5, 'UTC')
ORDER BY bucket_start
