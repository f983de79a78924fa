-- Hourly and daily sums beside the per-minute ones, kept by the same triggers in the same statement, so a
-- range of hours or days reads one row per bucket instead of sixty or 1,440 minute rows: two years of days is
-- 730 rows. Sums are numeric and counts integers, so the rollups equal the minutes added up whatever order rows
-- arrive in, live or replayed. Each row also keeps its mean score, computed from the exact sum whenever the row
-- changes, so readers do no numeric arithmetic (converting numeric to float8 is the costliest part of reading
-- thousands of buckets). Rows whose count falls to zero are kept (and skipped by readers) until a replay clears
-- them.
ALTER TABLE sentiment_minutes ADD COLUMN mean_score float8;
UPDATE sentiment_minutes SET mean_score = (score_sum / nullif(article_count, 0))::float8;
DROP INDEX sentiment_minutes_covering;
CREATE INDEX sentiment_minutes_covering ON sentiment_minutes (subject_kind, subject, model_version, minute)
    INCLUDE (article_count, mean_score, positive, negative);

CREATE TABLE sentiment_rollups (
    subject_kind  text        NOT NULL,
    subject       text        NOT NULL,
    model_version text        NOT NULL,
    bucket_size   text        NOT NULL CHECK (bucket_size IN ('hour', 'day')),
    bucket_start  timestamptz NOT NULL,
    article_count bigint      NOT NULL,
    score_sum     numeric     NOT NULL,
    positive      bigint      NOT NULL,
    negative      bigint      NOT NULL,
    mean_score    float8,
    -- Readers get a range of buckets from the index alone.
    PRIMARY KEY (subject_kind, subject, model_version, bucket_size, bucket_start)
        INCLUDE (article_count, mean_score, positive, negative)
);

-- The triggers' one writer now adds each contribution to its minute, its hour and its day.
CREATE OR REPLACE FUNCTION sentiment_minutes_add(direction int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sentiment_minutes AS m (subject_kind, subject, model_version, minute, article_count, score_sum,
                                        positive, negative, mean_score)
    SELECT c.subject_kind, c.subject, c.model_version, date_trunc('minute', c.published_at, 'UTC'),
           direction * count(*), direction * sum(c.score::numeric),
           direction * count(*) FILTER (WHERE c.label = 'positive'),
           direction * count(*) FILTER (WHERE c.label = 'negative'),
           (sum(c.score::numeric) / count(*))::float8
    FROM sentiment_contributions c
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (subject_kind, subject, model_version, minute) DO UPDATE
    SET article_count = m.article_count + EXCLUDED.article_count, score_sum = m.score_sum + EXCLUDED.score_sum,
        positive = m.positive + EXCLUDED.positive, negative = m.negative + EXCLUDED.negative,
        mean_score = ((m.score_sum + EXCLUDED.score_sum) / nullif(m.article_count + EXCLUDED.article_count, 0))::float8;

    INSERT INTO sentiment_rollups AS r (subject_kind, subject, model_version, bucket_size, bucket_start,
                                        article_count, score_sum, positive, negative, mean_score)
    SELECT c.subject_kind, c.subject, c.model_version, z.size, date_trunc(z.size, c.published_at, 'UTC'),
           direction * count(*), direction * sum(c.score::numeric),
           direction * count(*) FILTER (WHERE c.label = 'positive'),
           direction * count(*) FILTER (WHERE c.label = 'negative'),
           (sum(c.score::numeric) / count(*))::float8
    FROM sentiment_contributions c CROSS JOIN (VALUES ('hour'), ('day')) AS z(size)
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (subject_kind, subject, model_version, bucket_size, bucket_start) DO UPDATE
    SET article_count = r.article_count + EXCLUDED.article_count, score_sum = r.score_sum + EXCLUDED.score_sum,
        positive = r.positive + EXCLUDED.positive, negative = r.negative + EXCLUDED.negative,
        mean_score = ((r.score_sum + EXCLUDED.score_sum) / nullif(r.article_count + EXCLUDED.article_count, 0))::float8;
END
$$;

-- What the minutes already hold, rolled up.
INSERT INTO sentiment_rollups (subject_kind, subject, model_version, bucket_size, bucket_start, article_count,
                               score_sum, positive, negative, mean_score)
SELECT m.subject_kind, m.subject, m.model_version, z.size, date_trunc(z.size, m.minute, 'UTC'),
       sum(m.article_count), sum(m.score_sum), sum(m.positive), sum(m.negative),
       (sum(m.score_sum) / nullif(sum(m.article_count), 0))::float8
FROM sentiment_minutes m CROSS JOIN (VALUES ('hour'), ('day')) AS z(size)
GROUP BY 1, 2, 3, 4, 5;

-- The view reads each bucket size from its own sums: the same figures as the API.
CREATE OR REPLACE VIEW sentiment_buckets AS
WITH counted AS (
    SELECT 'minute'::text AS bucket_size, 10080.0::float8 AS per_week, m.subject_kind, m.subject,
           m.minute AS bucket_start, m.mean_score, m.positive, m.negative, m.article_count
    FROM sentiment_minutes m
    JOIN active_model am ON am.model_version = m.model_version
    WHERE m.article_count > 0
    UNION ALL
    SELECT r.bucket_size, CASE r.bucket_size WHEN 'hour' THEN 168.0 ELSE 7.0 END::float8, r.subject_kind, r.subject,
           r.bucket_start, r.mean_score, r.positive, r.negative, r.article_count
    FROM sentiment_rollups r
    JOIN active_model am ON am.model_version = r.model_version
    WHERE r.article_count > 0
)
SELECT bucket_size, subject_kind, subject, bucket_start,
       mean_score,
       positive::float8 / article_count AS positive_share,
       negative::float8 / article_count AS negative_share,
       article_count,
       article_count / nullif((sum(article_count) OVER prior_week - article_count)::float8 / per_week, 0) AS buzz
FROM counted
WINDOW prior_week AS (PARTITION BY bucket_size, subject_kind, subject ORDER BY bucket_start
                    RANGE BETWEEN interval '7 days' PRECEDING AND CURRENT ROW);

GRANT SELECT ON sentiment_rollups TO shockwave_reader;
