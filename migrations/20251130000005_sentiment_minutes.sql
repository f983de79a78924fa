-- Sentiment per subject, model version and minute, kept by triggers as articles, scores and subjects are written
-- or removed, so /v1/sentiment and the sentiment_buckets view read a few thousand minute rows for a time range
-- instead of joining every article, score and subject of years of data. An article counts once all three of
-- its rows exist (in whatever order they arrive) and its subject qualifies (a ticker, or a topic at weight >=
-- 0.5); removing or changing any of the three takes its contribution back. Scores are summed as numeric, which
-- is exact, so the sums do not depend on the order rows arrive in: a replay gives the same table as the live
-- path. Rows whose count falls to zero are kept (and skipped by readers) until a replay clears them.
CREATE TABLE sentiment_minutes (
    subject_kind  text        NOT NULL,
    subject       text        NOT NULL,
    model_version text        NOT NULL,
    minute        timestamptz NOT NULL,
    article_count bigint      NOT NULL,
    score_sum     numeric     NOT NULL,
    positive      bigint      NOT NULL,
    negative      bigint      NOT NULL,
    PRIMARY KEY (subject_kind, subject, model_version, minute)
);
-- Readers get a range of minutes from the index alone.
CREATE INDEX sentiment_minutes_covering ON sentiment_minutes (subject_kind, subject, model_version, minute)
    INCLUDE (article_count, score_sum, positive, negative);

-- Adds (sign 1) or takes back (sign -1) the contributions in `contributions`: one row per (article, subject,
-- model version) with the article's time and the score.
CREATE FUNCTION sentiment_minutes_add(direction int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sentiment_minutes AS m (subject_kind, subject, model_version, minute, article_count, score_sum,
                                        positive, negative)
    SELECT c.subject_kind, c.subject, c.model_version, date_trunc('minute', c.published_at, 'UTC'),
           direction * count(*), direction * sum(c.score::numeric),
           direction * count(*) FILTER (WHERE c.label = 'positive'),
           direction * count(*) FILTER (WHERE c.label = 'negative')
    FROM sentiment_contributions c
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (subject_kind, subject, model_version, minute) DO UPDATE
    SET article_count = m.article_count + EXCLUDED.article_count, score_sum = m.score_sum + EXCLUDED.score_sum,
        positive = m.positive + EXCLUDED.positive, negative = m.negative + EXCLUDED.negative;
END
$$;

-- One function per table: the changed rows (transition tables `gone` and `came`) joined with the current rows
-- of the other two tables give the contributions to take back and to add.
CREATE FUNCTION sentiment_minutes_from_subjects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        CREATE TEMP TABLE sentiment_contributions ON COMMIT DROP AS
        SELECT s.subject_kind, s.subject, s.model_version, a.published_at, sc.score, sc.label
        FROM gone s JOIN article_scores sc USING (article_id, model_version) JOIN articles a USING (article_id)
        WHERE s.subject_kind = 'ticker' OR s.weight >= 0.5;
        PERFORM sentiment_minutes_add(-1);
        DROP TABLE sentiment_contributions;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        CREATE TEMP TABLE sentiment_contributions ON COMMIT DROP AS
        SELECT s.subject_kind, s.subject, s.model_version, a.published_at, sc.score, sc.label
        FROM came s JOIN article_scores sc USING (article_id, model_version) JOIN articles a USING (article_id)
        WHERE s.subject_kind = 'ticker' OR s.weight >= 0.5;
        PERFORM sentiment_minutes_add(1);
        DROP TABLE sentiment_contributions;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION sentiment_minutes_from_scores() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        CREATE TEMP TABLE sentiment_contributions ON COMMIT DROP AS
        SELECT s.subject_kind, s.subject, s.model_version, a.published_at, sc.score, sc.label
        FROM gone sc JOIN article_subjects s USING (article_id, model_version) JOIN articles a USING (article_id)
        WHERE s.subject_kind = 'ticker' OR s.weight >= 0.5;
        PERFORM sentiment_minutes_add(-1);
        DROP TABLE sentiment_contributions;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        CREATE TEMP TABLE sentiment_contributions ON COMMIT DROP AS
        SELECT s.subject_kind, s.subject, s.model_version, a.published_at, sc.score, sc.label
        FROM came sc JOIN article_subjects s USING (article_id, model_version) JOIN articles a USING (article_id)
        WHERE s.subject_kind = 'ticker' OR s.weight >= 0.5;
        PERFORM sentiment_minutes_add(1);
        DROP TABLE sentiment_contributions;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION sentiment_minutes_from_articles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        CREATE TEMP TABLE sentiment_contributions ON COMMIT DROP AS
        SELECT s.subject_kind, s.subject, s.model_version, a.published_at, sc.score, sc.label
        FROM gone a JOIN article_subjects s USING (article_id) JOIN article_scores sc USING (article_id, model_version)
        WHERE s.subject_kind = 'ticker' OR s.weight >= 0.5;
        PERFORM sentiment_minutes_add(-1);
        DROP TABLE sentiment_contributions;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        CREATE TEMP TABLE sentiment_contributions ON COMMIT DROP AS
        SELECT s.subject_kind, s.subject, s.model_version, a.published_at, sc.score, sc.label
        FROM came a JOIN article_subjects s USING (article_id) JOIN article_scores sc USING (article_id, model_version)
        WHERE s.subject_kind = 'ticker' OR s.weight >= 0.5;
        PERFORM sentiment_minutes_add(1);
        DROP TABLE sentiment_contributions;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER sentiment_minutes_subjects_insert AFTER INSERT ON article_subjects
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION sentiment_minutes_from_subjects();
CREATE TRIGGER sentiment_minutes_subjects_update AFTER UPDATE ON article_subjects
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION sentiment_minutes_from_subjects();
CREATE TRIGGER sentiment_minutes_subjects_delete AFTER DELETE ON article_subjects
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION sentiment_minutes_from_subjects();
CREATE TRIGGER sentiment_minutes_scores_insert AFTER INSERT ON article_scores
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION sentiment_minutes_from_scores();
CREATE TRIGGER sentiment_minutes_scores_update AFTER UPDATE ON article_scores
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION sentiment_minutes_from_scores();
CREATE TRIGGER sentiment_minutes_scores_delete AFTER DELETE ON article_scores
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION sentiment_minutes_from_scores();
CREATE TRIGGER sentiment_minutes_articles_insert AFTER INSERT ON articles
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION sentiment_minutes_from_articles();
CREATE TRIGGER sentiment_minutes_articles_update AFTER UPDATE ON articles
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION sentiment_minutes_from_articles();
CREATE TRIGGER sentiment_minutes_articles_delete AFTER DELETE ON articles
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION sentiment_minutes_from_articles();

-- What the triggers would have built from the rows already there.
CREATE TEMP TABLE sentiment_contributions ON COMMIT DROP AS
SELECT s.subject_kind, s.subject, s.model_version, a.published_at, sc.score, sc.label
FROM article_subjects s JOIN article_scores sc USING (article_id, model_version) JOIN articles a USING (article_id)
WHERE s.subject_kind = 'ticker' OR s.weight >= 0.5;
SELECT sentiment_minutes_add(1);
DROP TABLE sentiment_contributions;

-- The view reads the minutes too: the same figures as the API, whatever the data's size.
CREATE OR REPLACE VIEW sentiment_buckets AS
WITH sizes(bucket_size, per_week) AS (VALUES ('minute', 10080.0::float8), ('hour', 168.0::float8), ('day', 7.0::float8)),
counted AS (
    SELECT z.bucket_size, z.per_week, m.subject_kind, m.subject,
           date_trunc(z.bucket_size, m.minute, 'UTC') AS bucket_start,
           (sum(m.score_sum) / sum(m.article_count))::float8 AS mean_score,
           sum(m.positive)::float8 / sum(m.article_count) AS positive_share,
           sum(m.negative)::float8 / sum(m.article_count) AS negative_share,
           sum(m.article_count)::bigint AS article_count
    FROM sentiment_minutes m
    JOIN active_model am ON am.model_version = m.model_version
    CROSS JOIN sizes z
    WHERE m.article_count > 0
    GROUP BY 1, 2, 3, 4, 5
)
SELECT bucket_size, subject_kind, subject, bucket_start, mean_score, positive_share, negative_share, article_count,
       article_count / nullif((sum(article_count) OVER prior_week - article_count)::float8 / per_week, 0) AS buzz
FROM counted
WINDOW prior_week AS (PARTITION BY bucket_size, subject_kind, subject ORDER BY bucket_start
                    RANGE BETWEEN interval '7 days' PRECEDING AND CURRENT ROW);

GRANT SELECT ON sentiment_minutes TO shockwave_reader;
