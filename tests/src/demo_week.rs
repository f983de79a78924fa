//! The whole demo week projected for tests that read the results: a private broker, projector, scorer and
//! alerter, the news, app ranks and prices of `data/deepseek-week` ingested, and everything caught up
//! (every article scored, the alerts raised and projected).

use std::time::Duration;

use shockwave_kit::Shutdown;
use sqlx::PgPool;

use crate::private_broker::PrivateBroker;
use crate::{Running, eventually, fresh_database, repo_root, settings, start_alerter};
use crate::{start_projector_with, start_scorer_with, unique};

pub struct DemoWeek {
    pub pool: PgPool,
    pub database_url: String,
    services: Vec<Running>,
    _broker: PrivateBroker,
}

fn data(path: &str) -> String {
    repo_root()
        .join("data/deepseek-week")
        .join(path)
        .display()
        .to_string()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

impl DemoWeek {
    /// Projects the demo week on a broker of its own at `broker_port`.
    pub async fn project(broker_port: u16) -> DemoWeek {
        let broker = PrivateBroker::start(broker_port);
        let on_broker = vec![("SHOCKWAVE_KAFKA_BROKERS", broker.brokers())];
        let (database_url, pool) = fresh_database().await;
        let projector = start_projector_with(&database_url, &on_broker).await;
        let scorer = start_scorer_with(&database_url, &on_broker).await;
        let alerter = start_alerter(&database_url, &unique("alerter"), &on_broker).await;
        let config = settings(&database_url, &on_broker);
        // The news arrives paced by its own times (four days of history a second, about 12 s for the seven
        // weeks), as it did in the world and does in the demo: published all at once, the scores reach the
        // alerter in an order that depends on the machine's load, and an alert can open on part of the history.
        let mut paced = on_broker.clone();
        paced.push(("SHOCKWAVE_REPLAY_SPEED", "345600".to_string()));
        let news = settings(&database_url, &paced)
            .config::<shockwave_ingest_news::Config>(vec![data("news")])
            .expect("news config");
        assert_eq!(
            shockwave_ingest_news::run(news, Shutdown::new())
                .await
                .unwrap()
                .published,
            129
        );
        let ranks = config
            .config::<shockwave_ingest_appranks::Config>(vec![data("appranks/ranks.csv")])
            .expect("ranks config");
        assert_eq!(
            shockwave_ingest_appranks::run(ranks, Shutdown::new())
                .await
                .unwrap()
                .published,
            595
        );
        let prices = config
            .config::<shockwave_ingest_prices::Config>(vec![data(
                "market/deepseek-window-daily.csv",
            )])
            .expect("prices config");
        assert_eq!(
            shockwave_ingest_prices::run(prices, Shutdown::new())
                .await
                .unwrap()
                .published,
            285
        );
        eventually("the demo week projected", Duration::from_secs(240), || {
            let pool = pool.clone();
            async move {
                let scored = count(&pool, "SELECT count(*) FROM article_scores").await;
                let ranks = count(&pool, "SELECT count(*) FROM app_ranks").await;
                let bars = count(&pool, "SELECT count(*) FROM price_bars").await;
                let alerts = count(&pool, "SELECT count(*) FROM alerts").await;
                let shocks = count(&pool, "SELECT count(*) FROM shock_events").await;
                let unpublished = count(
                    &pool,
                    "SELECT count(*) FROM alerts WHERE published_at IS NULL",
                )
                .await;
                (scored == 129
                    && ranks == 595
                    && bars == 285
                    && alerts > 0
                    && unpublished == 0
                    && shocks == alerts)
                    .then_some(())
            }
        })
        .await;
        // The alerter may still be working through its last batches: wait until its outbox stops growing.
        let mut last = -1;
        loop {
            let alerts = count(&pool, "SELECT count(*) FROM alerts").await;
            let projected = count(&pool, "SELECT count(*) FROM shock_events").await;
            if alerts == last && projected == alerts {
                break;
            }
            last = alerts;
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        DemoWeek {
            pool,
            database_url,
            services: vec![alerter, scorer, projector],
            _broker: broker,
        }
    }

    /// Stops the services (the database stays for reading).
    pub async fn stop(self) -> PgPool {
        for service in self.services {
            service.stop().await;
        }
        self.pool
    }
}

/// Checks what the demo report says of the DeepSeek alert: a negative `ai_efficiency` shock opened before the
/// US open on Monday 27 January 2025, and the lead it states is the difference. Returns the opening instant.
pub fn assert_alert_before_the_open(report: &str) -> chrono::DateTime<chrono::Utc> {
    let marker = "negative sentiment shock on ai_efficiency opened ";
    let at = report
        .split(marker)
        .nth(1)
        .and_then(|rest| rest.get(4..20))
        .unwrap_or_else(|| panic!("the report names no ai_efficiency alert:\n{report}"));
    let opened = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("{at:?}: {e}"))
        .and_utc();
    let open_bell =
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 1, 27, 14, 30, 0).unwrap();
    assert!(
        opened < open_bell,
        "the alert opened at {opened}, after the open"
    );
    let lead = open_bell - opened;
    let stated = format!(
        "It fired {} h {:02} min before the US open (Mon 2025-01-27 14:30 UTC)",
        lead.num_hours(),
        lead.num_minutes() % 60
    );
    assert!(
        report.contains(&stated),
        "the report lacks {stated:?}:\n{report}"
    );
    opened
}
