-- One subject's hourly or daily sums ($4) for a model version over [$5, $6], as the triggers keep them
-- (migrations/20251130000005_sentiment_sums.sql), read from the primary key in time order: one row per
-- bucket, returned as one row of arrays like sentiment_minutes.sql.
SELECT coalesce(array_agg(bucket_start), '{}') AS starts, coalesce(array_agg(mean_score), '{}') AS means,
       coalesce(array_agg(positive), '{}') AS positives, coalesce(array_agg(negative), '{}') AS negatives,
       coalesce(array_agg(article_count), '{}') AS counts
FROM (
    SELECT bucket_start, mean_score, positive, negative, article_count
    FROM sentiment_rollups
    WHERE subject_kind = $1 AND subject = $2 AND model_version = $3 AND bucket_size = $4 AND article_count > 0
      AND bucket_start >= $5 AND bucket_start <= $6
    ORDER BY bucket_start
) r
