-- Least-privilege group roles (NOLOGIN; deployments create login users that are members of them):
-- - shockwave_reader: SELECT on what the Grafana dashboards read, nothing else;
-- - shockwave_api: what the API reads, and the one change an API call makes itself (the active model);
--   it cannot truncate, delete, migrate or create anything.
-- Roles belong to the whole cluster, so each is created once, whichever database migrates first (two
-- databases migrating at the same moment may both try: the loser's error is ignored).
DO $$
BEGIN
    CREATE ROLE shockwave_reader NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
DO $$
BEGIN
    CREATE ROLE shockwave_api NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO shockwave_reader, shockwave_api;

GRANT SELECT ON articles, article_scores, article_subjects, active_model, price_bars, app_ranks, shock_events,
    daily_returns, basket_returns, instrument_returns, abnormal_returns, active_article_subjects,
    sentiment_buckets, app_ranks_daily, shocks, model_score_differences, benchmarks, basket_members
    TO shockwave_reader;

GRANT SELECT ON ALL TABLES IN SCHEMA public TO shockwave_api;
GRANT INSERT, UPDATE ON active_model TO shockwave_api;
-- Tables and views later migrations create are readable by the API too (they are created by the role that
-- migrates, whose defaults these are).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO shockwave_api;
