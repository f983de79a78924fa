-- The analytics projections (tables the projector keeps from events) and the views derived from them.
-- Formulas and references: migrations/ANALYTICS.md.

-- When a daily bar's session closed (its event's occurred_at): the instant its return became known.
ALTER TABLE price_bars ADD COLUMN closes_at timestamptz;

-- Articles as published, with full-text search over title (weight A) and body (weight B) in their language.
CREATE TABLE articles (
    article_id             uuid        PRIMARY KEY REFERENCES event_store (event_id),
    canonical_url          text        NOT NULL,
    title                  text        NOT NULL,
    body                   text        NOT NULL,
    language               text        NOT NULL,
    feed_id                text        NOT NULL,
    source_name            text        NOT NULL,
    topic_hints            text[]      NOT NULL,
    published_at           timestamptz NOT NULL,
    published_at_estimated boolean     NOT NULL,
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector(CASE language WHEN 'en' THEN 'english'::regconfig WHEN 'fr' THEN 'french'::regconfig
                                            WHEN 'de' THEN 'german'::regconfig WHEN 'es' THEN 'spanish'::regconfig
                                            ELSE 'simple'::regconfig END, title), 'A')
        || setweight(to_tsvector(CASE language WHEN 'en' THEN 'english'::regconfig WHEN 'fr' THEN 'french'::regconfig
                                               WHEN 'de' THEN 'german'::regconfig WHEN 'es' THEN 'spanish'::regconfig
                                               ELSE 'simple'::regconfig END, body), 'B')
    ) STORED
);
CREATE INDEX articles_published_at ON articles (published_at);
CREATE INDEX articles_search ON articles USING gin (search);

-- One score per article per model version (re-scoring with another version adds rows, never edits).
CREATE TABLE article_scores (
    article_id    uuid             NOT NULL,
    model_version text             NOT NULL,
    model_name    text             NOT NULL,
    model_sha256  text             NOT NULL,
    label         text             NOT NULL,
    p_negative    double precision NOT NULL,
    p_neutral     double precision NOT NULL,
    p_positive    double precision NOT NULL,
    score         double precision NOT NULL,
    chunks        jsonb            NOT NULL,
    scored_at     timestamptz      NOT NULL,
    event_id      uuid             NOT NULL REFERENCES event_store (event_id),
    PRIMARY KEY (article_id, model_version)
);

-- What each score is about: topics (weight = the scorer's confidence) and tickers (weight 1).
CREATE TABLE article_subjects (
    article_id    uuid             NOT NULL,
    model_version text             NOT NULL,
    subject_kind  text             NOT NULL CHECK (subject_kind IN ('topic', 'ticker')),
    subject       text             NOT NULL,
    weight        double precision NOT NULL,
    reason        text             NOT NULL,
    PRIMARY KEY (article_id, model_version, subject_kind, subject)
);
CREATE INDEX article_subjects_by_subject ON article_subjects (subject_kind, subject, model_version);

-- The model version the views use. Switching is one UPDATE; the projector sets the first version it sees.
CREATE TABLE active_model (
    singleton     boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    model_version text        NOT NULL,
    switched_at   timestamptz NOT NULL DEFAULT now()
);

-- App-store chart positions, one row per observation.
CREATE TABLE app_ranks (
    store       text        NOT NULL,
    country     text        NOT NULL,
    chart       text        NOT NULL,
    app_id      text        NOT NULL,
    observed_at timestamptz NOT NULL,
    app_name    text        NOT NULL,
    developer   text,
    rank        integer     NOT NULL,
    event_id    uuid        NOT NULL REFERENCES event_store (event_id),
    PRIMARY KEY (store, country, chart, app_id, observed_at)
);

-- Every state of every shock the alerter raised (open, updated, resolved), with its evidence.
CREATE TABLE shock_events (
    event_id      uuid             PRIMARY KEY REFERENCES event_store (event_id),
    shock_id      uuid             NOT NULL,
    status        text             NOT NULL,
    occurred_at   timestamptz      NOT NULL,
    subject_kind  text             NOT NULL,
    subject       text             NOT NULL,
    direction     text             NOT NULL,
    statistic     text             NOT NULL,
    magnitude     double precision NOT NULL,
    window_start  timestamptz      NOT NULL,
    window_end    timestamptz      NOT NULL,
    article_count integer          NOT NULL,
    payload       jsonb            NOT NULL
);
CREATE INDEX shock_events_by_shock ON shock_events (shock_id, occurred_at);

-- Reference data: benchmarks abnormal returns are measured against, and basket memberships.
CREATE TABLE benchmarks (ticker text PRIMARY KEY);
INSERT INTO benchmarks VALUES ('^SOX'), ('QQQ');
CREATE TABLE basket_members (
    basket text NOT NULL,
    ticker text NOT NULL,
    PRIMARY KEY (basket, ticker)
);
INSERT INTO basket_members (basket, ticker)
SELECT 'ai_hardware', t FROM unnest(ARRAY['NVDA', 'AVGO', 'TSM', 'AMD', 'MU', 'ASML', 'SMCI', 'ARM', 'MRVL', 'VRT']) AS t;

-- Daily simple and log returns per ticker, close to close over consecutive trading days.
CREATE VIEW daily_returns AS
SELECT ticker,
       period_start::date AS day,
       closes_at,
       close,
       lag(close) OVER w AS prev_close,
       close / lag(close) OVER w - 1 AS simple_return,
       ln(close / lag(close) OVER w) AS log_return
FROM price_bars
WHERE bar_interval = '1d'
WINDOW w AS (PARTITION BY ticker ORDER BY period_start);

-- Equal-weighted basket returns: the mean of the members' simple returns that day.
CREATE VIEW basket_returns AS
SELECT m.basket,
       r.day,
       max(r.closes_at) AS closes_at,
       avg(r.simple_return ORDER BY r.ticker) AS simple_return,
       ln(1 + avg(r.simple_return ORDER BY r.ticker)) AS log_return,
       count(*) AS members
FROM daily_returns r
JOIN basket_members m ON m.ticker = r.ticker
WHERE r.simple_return IS NOT NULL
GROUP BY m.basket, r.day;

-- Tickers and baskets (as `basket:<name>`) side by side.
CREATE VIEW instrument_returns AS
SELECT ticker AS instrument, day, closes_at, simple_return, log_return
FROM daily_returns WHERE simple_return IS NOT NULL
UNION ALL
SELECT 'basket:' || basket, day, closes_at, simple_return, log_return FROM basket_returns;

-- Abnormal returns against each benchmark: market-adjusted (r - rm) and market-model (r - alpha - beta rm,
-- alpha and beta by OLS over the up to 120 previous trading days; null with fewer than 5).
CREATE VIEW abnormal_returns AS
WITH paired AS (
    SELECT i.instrument, b.ticker AS benchmark, i.day, i.simple_return AS r, m.simple_return AS rm
    FROM instrument_returns i
    CROSS JOIN benchmarks b
    JOIN daily_returns m ON m.ticker = b.ticker AND m.day = i.day AND m.simple_return IS NOT NULL
), fitted AS (
    SELECT paired.*,
           regr_intercept(r, rm) OVER est AS alpha,
           regr_slope(r, rm) OVER est AS beta,
           regr_count(r, rm) OVER est AS n_estimation,
           regr_syy(r, rm) OVER est AS syy,
           regr_sxy(r, rm) OVER est AS sxy,
           regr_sxx(r, rm) OVER est AS sxx
    FROM paired
    WINDOW est AS (PARTITION BY instrument, benchmark ORDER BY day ROWS BETWEEN 120 PRECEDING AND 1 PRECEDING)
)
SELECT instrument, benchmark, day, r AS simple_return, rm AS benchmark_return,
       r - rm AS market_adjusted_return,
       CASE WHEN n_estimation >= 5 THEN alpha END AS alpha,
       CASE WHEN n_estimation >= 5 THEN beta END AS beta,
       n_estimation,
       CASE WHEN n_estimation >= 5 THEN r - (alpha + beta * rm) END AS abnormal_return,
       CASE WHEN n_estimation >= 5 AND sxx > 0
            THEN sqrt(greatest(syy - sxy * sxy / sxx, 0) / (n_estimation - 2)) END AS residual_sd
FROM fitted;

-- Scores of the active model with what they are about: topics at confidence >= 0.5 and tickers.
CREATE VIEW active_article_subjects AS
SELECT s.subject_kind, s.subject, s.article_id, a.published_at, sc.score, sc.label, sc.model_version
FROM article_subjects s
JOIN active_model am ON am.model_version = s.model_version
JOIN article_scores sc ON sc.article_id = s.article_id AND sc.model_version = s.model_version
JOIN articles a ON a.article_id = s.article_id
WHERE s.subject_kind = 'ticker' OR s.weight >= 0.5;

-- Floating-point sums depend on the order of their terms, so every average over rows of a table is taken in
-- a fixed order: the views then give the same bits whatever order the rows were written in (replay = live).

-- Sentiment per subject and bucket (minute, hour, day; UTC): mean score, shares, count, and buzz = count over
-- the trailing 7-day mean count per bucket of that size (null when the trailing week had no article).
CREATE VIEW sentiment_buckets AS
WITH sizes(bucket_size, per_week) AS (VALUES ('minute', 10080.0::float8), ('hour', 168.0::float8), ('day', 7.0::float8)),
counted AS (
    SELECT z.bucket_size, z.per_week, s.subject_kind, s.subject,
           date_trunc(z.bucket_size, s.published_at, 'UTC') AS bucket_start,
           avg(s.score ORDER BY s.article_id) AS mean_score,
           avg((s.label = 'positive')::int)::float8 AS positive_share,
           avg((s.label = 'negative')::int)::float8 AS negative_share,
           count(*) AS article_count
    FROM active_article_subjects s CROSS JOIN sizes z
    GROUP BY 1, 2, 3, 4, 5
)
SELECT bucket_size, subject_kind, subject, bucket_start, mean_score, positive_share, negative_share, article_count,
       article_count / nullif(coalesce(sum(article_count) OVER prior_week, 0)::float8 / per_week, 0) AS buzz
FROM counted
WINDOW prior_week AS (PARTITION BY bucket_size, subject_kind, subject ORDER BY bucket_start
                    RANGE BETWEEN interval '7 days' PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW);

-- App ranks per app and day (the day's last observation) with the change from the previous observed day
-- (positive = climbed).
CREATE VIEW app_ranks_daily AS
WITH last_of_day AS (
    SELECT DISTINCT ON (store, country, chart, app_id, (observed_at AT TIME ZONE 'UTC')::date)
           store, country, chart, app_id, app_name, (observed_at AT TIME ZONE 'UTC')::date AS day, rank
    FROM app_ranks
    ORDER BY store, country, chart, app_id, (observed_at AT TIME ZONE 'UTC')::date, observed_at DESC
)
SELECT store, country, chart, app_id, app_name, day, rank,
       lag(rank) OVER (PARTITION BY store, country, chart, app_id ORDER BY day) - rank AS rank_change
FROM last_of_day;

-- Each shock's latest state, when it opened, and its evidence.
CREATE VIEW shocks AS
SELECT DISTINCT ON (shock_id)
       shock_id, status, subject_kind, subject, direction, statistic, magnitude, window_start, window_end,
       article_count,
       min(occurred_at) OVER (PARTITION BY shock_id) AS opened_at,
       occurred_at AS updated_at,
       payload -> 'evidence' AS evidence,
       payload -> 'basket' AS basket
FROM shock_events
ORDER BY shock_id, occurred_at DESC, event_id DESC;

-- How two model versions differ on the articles both scored.
CREATE VIEW model_score_differences AS
SELECT a.article_id, a.model_version AS version_a, b.model_version AS version_b,
       a.score AS score_a, b.score AS score_b, b.score - a.score AS score_difference,
       a.label AS label_a, b.label AS label_b, a.label <> b.label AS label_changed
FROM article_scores a
JOIN article_scores b ON a.article_id = b.article_id AND a.model_version < b.model_version;
