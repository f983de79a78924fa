-- One subject's per-minute sums for a model version over [$4, $5], as the triggers keep them
-- (migrations/20251130000005_sentiment_sums.sql), read from the primary key in time order: the cost
-- follows the range asked for, not the years stored. One row of arrays, one per column: a week of minutes is
-- 20,000 rows, and decoding arrays costs the API a fraction of what decoding as many rows does.
SELECT coalesce(array_agg(bucket_start), '{}') AS starts, coalesce(array_agg(mean_score), '{}') AS means,
       coalesce(array_agg(positive), '{}') AS positives, coalesce(array_agg(negative), '{}') AS negatives,
       coalesce(array_agg(article_count), '{}') AS counts
FROM (
    SELECT minute AS bucket_start, mean_score, positive, negative, article_count
    FROM sentiment_minutes
    WHERE subject_kind = $1 AND subject = $2 AND model_version = $3 AND article_count > 0
      AND minute >= $4 AND minute <= $5
    ORDER BY minute
) m
