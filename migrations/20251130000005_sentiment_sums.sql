-- Sentiment sums per subject and model version, per minute (sentiment_minutes) and per hour and day
-- (sentiment_rollups), kept by triggers as articles, scores and subjects are written or removed, so /v1/sentiment
-- and the sentiment_buckets view read one row per bucket of a time range instead of joining every article, score
-- and subject of years of data: two years of days is 730 rows. An article counts once all three of its rows exist
-- (in whatever order they arrive) and its subject qualifies (a ticker, or a topic at weight >= 0.5); removing or
-- changing any of the three takes its contribution back. Scores are summed as numeric, which is exact, so the sums
-- do not depend on the order rows arrive in: a replay gives the same tables as the live path. Each row also keeps
-- its mean score, computed from the exact sum whenever the row changes, so readers do no numeric arithmetic
-- (converting numeric to float8 is a large part of reading thousands of buckets). Rows whose count falls to zero
-- are kept (and skipped by readers) until a replay clears them.
CREATE TABLE sentiment_minutes (
    subject_kind  text        NOT NULL,
    subject       text        NOT NULL,
    model_version text        NOT NULL,
    minute        timestamptz NOT NULL,
    article_count bigint      NOT NULL,
    score_sum     numeric     NOT NULL,
    positive      bigint      NOT NULL,
    negative      bigint      NOT NULL,
    mean_score    float8,
    -- Readers get a range of minutes from the index alone.
    PRIMARY KEY (subject_kind, subject, model_version, minute)
        INCLUDE (article_count, mean_score, positive, negative)
);

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
    PRIMARY KEY (subject_kind, subject, model_version, bucket_size, bucket_start)
        INCLUDE (article_count, mean_score, positive, negative)
);

-- Adds (sign 1) or takes back (sign -1) the contributions in the temporary table `sentiment_contributions`
-- (one row per article, subject and model version, with the article's time and the score) to their minute,
-- their hour and their day.
CREATE FUNCTION sentiment_sums_add(direction int) RETURNS void LANGUAGE plpgsql AS $$
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

-- One trigger function for the three tables: the changed rows (transition tables `gone` and `came`) stand in
-- for their table in the join of articles, scores and subjects, and the join's rows are the contributions to take
-- back and to add. (Transition tables are visible to statements of the trigger function itself, not of a
-- function it calls, hence the dynamic statement here.)
CREATE FUNCTION sentiment_sums_from_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text;
BEGIN
    FOREACH changed IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY['came'] WHEN 'DELETE' THEN ARRAY['gone']
                                        ELSE ARRAY['gone', 'came'] END LOOP
        EXECUTE format(
            'CREATE TEMP TABLE sentiment_contributions ON COMMIT DROP AS
             SELECT s.subject_kind, s.subject, s.model_version, a.published_at, sc.score, sc.label
             FROM %s s JOIN %s sc USING (article_id, model_version) JOIN %s a USING (article_id)
             WHERE s.subject_kind = ''ticker'' OR s.weight >= 0.5',
            CASE TG_TABLE_NAME WHEN 'article_subjects' THEN changed ELSE 'article_subjects' END,
            CASE TG_TABLE_NAME WHEN 'article_scores' THEN changed ELSE 'article_scores' END,
            CASE TG_TABLE_NAME WHEN 'articles' THEN changed ELSE 'articles' END);
        PERFORM sentiment_sums_add(CASE changed WHEN 'gone' THEN -1 ELSE 1 END);
        DROP TABLE sentiment_contributions;
    END LOOP;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    source text;
BEGIN
    FOREACH source IN ARRAY ARRAY['article_subjects', 'article_scores', 'articles'] LOOP
        EXECUTE format('CREATE TRIGGER sentiment_sums_on_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS came
                        FOR EACH STATEMENT EXECUTE FUNCTION sentiment_sums_from_changes()', source);
        EXECUTE format('CREATE TRIGGER sentiment_sums_on_update AFTER UPDATE ON %I
                        REFERENCING OLD TABLE AS gone NEW TABLE AS came
                        FOR EACH STATEMENT EXECUTE FUNCTION sentiment_sums_from_changes()', source);
        EXECUTE format('CREATE TRIGGER sentiment_sums_on_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS gone
                        FOR EACH STATEMENT EXECUTE FUNCTION sentiment_sums_from_changes()', source);
    END LOOP;
END
$$;

-- What the triggers would have built from the rows already there.
CREATE TEMP TABLE sentiment_contributions ON COMMIT DROP AS
SELECT s.subject_kind, s.subject, s.model_version, a.published_at, sc.score, sc.label
FROM article_subjects s JOIN article_scores sc USING (article_id, model_version) JOIN articles a USING (article_id)
WHERE s.subject_kind = 'ticker' OR s.weight >= 0.5;
SELECT sentiment_sums_add(1);
DROP TABLE sentiment_contributions;

-- The view reads each bucket size from its own sums: the same figures as the API, whatever the data's size.
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

GRANT SELECT ON sentiment_minutes, sentiment_rollups TO shockwave_reader;
