//! Synthetic traffic for fault tests and the load benchmark: articles (real headlines and bodies of the bundled
//! archive, under URLs of one run), price bars and app ranks, all tagged with a run name so their counts can
//! be read back exactly; and a paced publisher that sends them at a steady rate.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use shockwave_kafka::producer::EventProducer;
use shockwave_schemas::{
    AppRankObserved, AppStore, ArticlePublished, BarInterval, Event, Payload, PriceBarClosed, ids,
};
use sqlx::PgPool;

/// Title and body of each article in the bundled archive.
fn templates() -> Vec<(String, String)> {
    let path = crate::repo_root().join("data/deepseek-week/news/archive.ndjson");
    std::fs::read_to_string(&path)
        .expect("bundled archive")
        .lines()
        .map(|line| {
            let item: serde_json::Value = serde_json::from_str(line).expect("archive line is JSON");
            (
                item["title"].as_str().expect("title").to_string(),
                item["body"].as_str().expect("body").to_string(),
            )
        })
        .collect()
}

/// Traffic of one run: everything it makes carries `run` (feed id, ticker prefix, app id prefix).
pub struct Traffic {
    pub run: String,
    templates: Vec<(String, String)>,
}

impl Traffic {
    pub fn new(run: &str) -> Traffic {
        Traffic {
            run: run.to_string(),
            templates: templates(),
        }
    }

    /// Article `i`, published (in the world) at `at`.
    pub fn article(&self, i: usize, at: DateTime<Utc>) -> Event {
        let (title, body) = &self.templates[i % self.templates.len()];
        let url = format!("https://load.example/{}/{i}", self.run);
        let id = ids::event_id(&["ArticlePublished", &url]);
        Event::new(
            id,
            "synthetic",
            at,
            Utc::now(),
            id.to_string(),
            Payload::ArticlePublished(ArticlePublished {
                canonical_url: url,
                title: format!("{title} ({i})"),
                body: body.clone(),
                language: "en".into(),
                published_at_estimated: false,
                feed_id: self.run.clone(),
                source_name: "Synthetic wire".into(),
                topic_hints: vec![],
                published_at: at,
            }),
        )
    }

    /// Bar `i`: one of 20 tickers, one day each; its close is [`Traffic::close`].
    pub fn bar(&self, i: usize) -> Event {
        let ticker = format!("{}-T{}", self.run, i % 20);
        let period_start =
            Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap() + chrono::Days::new((i / 20) as u64);
        let close = Self::close(i);
        let id = ids::event_id(&["PriceBarClosed", &ticker, "1d", &period_start.to_rfc3339()]);
        Event::new(
            id,
            "synthetic",
            period_start,
            Utc::now(),
            ticker.clone(),
            Payload::PriceBarClosed(PriceBarClosed {
                ticker,
                interval: BarInterval::OneDay,
                period_start,
                open: close,
                high: close + 1.0,
                low: close - 1.0,
                close,
                volume: Some(1_000),
            }),
        )
    }

    /// The close of bar `i`: differs per bar, with cents, so a sum checks every row.
    pub fn close(i: usize) -> f64 {
        (100 + (i * 37) % 900) as f64 + (i % 100) as f64 / 100.0
    }

    /// Rank observation `i`: one of 10 apps, one minute each.
    pub fn rank(&self, i: usize) -> Event {
        let app_id = format!("{}-app{}", self.run, i % 10);
        let observed_at = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()
            + chrono::Duration::minutes((i / 10) as i64);
        let id = ids::event_id(&[
            "AppRankObserved",
            "apple",
            "us",
            "top-free",
            &app_id,
            &observed_at.to_rfc3339(),
        ]);
        Event::new(
            id,
            "synthetic",
            observed_at,
            Utc::now(),
            app_id.clone(),
            Payload::AppRankObserved(AppRankObserved {
                store: AppStore::Apple,
                country: "us".into(),
                chart: "top-free".into(),
                rank: (1 + i % 100) as u32,
                app_id,
                app_name: format!("App {}", i % 10),
                developer: None,
                observed_at,
            }),
        )
    }

    /// What the database holds of this run.
    pub async fn counts(&self, pool: &PgPool) -> Counts {
        let run = self.run.as_str();
        let pattern = format!("{run}-%");
        let scalar = |sql: &'static str, bind: String| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(bind)
                .fetch_one(pool)
                .await
                .expect("count query")
        };
        let bar_close_sum: f64 = sqlx::query_scalar(
            "SELECT coalesce(sum(close), 0)::float8 FROM price_bars WHERE ticker LIKE $1",
        )
        .bind(&pattern)
        .fetch_one(pool)
        .await
        .expect("sum query");
        Counts {
            articles: scalar("SELECT count(*) FROM articles WHERE feed_id = $1", run.into()).await,
            scores: scalar(
                "SELECT count(*) FROM article_scores s JOIN articles a USING (article_id) WHERE a.feed_id = $1",
                run.into(),
            )
            .await,
            score_events: scalar(
                "SELECT count(*) FROM event_store e JOIN articles a \
                 ON a.article_id = (e.payload->>'article_event_id')::uuid \
                 WHERE e.event_type = 'ArticleScored' AND a.feed_id = $1",
                run.into(),
            )
            .await,
            bars: scalar(
                "SELECT count(*) FROM price_bars WHERE ticker LIKE $1",
                pattern.clone(),
            )
            .await,
            bar_close_sum,
            ranks: scalar(
                "SELECT count(*) FROM app_ranks WHERE app_id LIKE $1",
                pattern,
            )
            .await,
        }
    }
}

/// Rows of one run in the projections.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counts {
    pub articles: i64,
    /// Rows in `article_scores` (one per article and model version).
    pub scores: i64,
    /// `ArticleScored` events in the event store.
    pub score_events: i64,
    pub bars: i64,
    pub bar_close_sum: f64,
    pub ranks: i64,
}

impl Counts {
    /// What `articles` articles, `bars` bars (from bar 0) and `ranks` ranks project to, each once.
    pub fn expected(articles: usize, bars: usize, ranks: usize) -> Counts {
        Counts {
            articles: articles as i64,
            scores: articles as i64,
            score_events: articles as i64,
            bars: bars as i64,
            bar_close_sum: (0..bars).map(Traffic::close).sum(),
            ranks: ranks as i64,
        }
    }

    /// Equal counts, and sums equal to the cent.
    pub fn matches(&self, other: &Counts) -> bool {
        let rounded = |c: &Counts| Counts {
            bar_close_sum: (c.bar_close_sum * 100.0).round(),
            ..*c
        };
        rounded(self) == rounded(other)
    }
}

/// Publishes `events` at `per_second`, each at its slot from the start (a late slot is sent at once, so the
/// average rate holds); returns when all are acknowledged. A failed publish (the broker restarting) is tried
/// again every half second for up to two minutes, as an ingestor would.
pub async fn publish_paced(producer: &EventProducer, events: Vec<Event>, per_second: f64) {
    let start = tokio::time::Instant::now();
    let mut pending = Vec::new();
    for (i, event) in events.into_iter().enumerate() {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / per_second)).await;
        let producer = producer.clone();
        pending.push(tokio::spawn(async move {
            let mut attempts = 0;
            while let Err(error) = producer.publish(&event).await {
                attempts += 1;
                assert!(
                    attempts < 240,
                    "not published after {attempts} attempts: {error}"
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }));
    }
    for p in pending {
        p.await.expect("publish task");
    }
}

/// Publishes `articles` articles, `bars` bars and `ranks` ranks of `traffic`, each kind spread evenly over
/// `seconds`, on a task of its own; the handle ends when all are acknowledged.
pub fn publish_steadily(
    producer: &EventProducer,
    traffic: &Traffic,
    (articles, bars, ranks): (usize, usize, usize),
    seconds: f64,
) -> tokio::task::JoinHandle<()> {
    let now = Utc::now();
    let article_events = (0..articles).map(|i| traffic.article(i, now)).collect();
    let bar_events = (0..bars).map(|i| traffic.bar(i)).collect();
    let rank_events = (0..ranks).map(|i| traffic.rank(i)).collect();
    let producer = producer.clone();
    tokio::spawn(async move {
        tokio::join!(
            publish_paced(&producer, article_events, articles as f64 / seconds),
            publish_paced(&producer, bar_events, bars as f64 / seconds),
            publish_paced(&producer, rank_events, ranks as f64 / seconds),
        );
    })
}
