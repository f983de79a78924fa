//! Projections derived from newly appended events. Each is a set-based write over the batch, and each gives
//! the same rows whatever order the events arrive in, so a replay equals the live path.

pub mod app_ranks;
pub mod articles;
pub mod price_bars;
pub mod scores;
pub mod shocks;

use shockwave_schemas::{Event, Payload};
use sqlx::{Postgres, Transaction};

/// Tables rebuilt by a replay (configuration such as `active_model` and reference data are kept), in the order
/// a replay empties them: the sums the triggers keep (`sentiment_minutes`, `sentiment_rollups`) last, once the
/// triggers have taken back what the three article tables gave them.
pub const TABLES: [&str; 8] = [
    "article_subjects",
    "article_scores",
    "articles",
    "app_ranks",
    "shock_events",
    "price_bars",
    "sentiment_minutes",
    "sentiment_rollups",
];

/// Applies every projection to the events that were new in this batch.
pub async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Event],
) -> Result<(), sqlx::Error> {
    let (mut bars, mut articles, mut scores, mut ranks, mut shocks) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for e in events {
        match &e.payload {
            Payload::PriceBarClosed(bar) => bars.push((e.event_id, bar, e.occurred_at)),
            Payload::ArticlePublished(article) => articles.push((e.event_id, article)),
            Payload::ArticleScored(score) => scores.push((e.event_id, score, e.occurred_at)),
            Payload::AppRankObserved(rank) => ranks.push((e.event_id, rank)),
            Payload::SentimentShockDetected(shock) => {
                shocks.push((e.event_id, shock, e.occurred_at))
            }
        }
    }
    price_bars::upsert(tx, &bars).await?;
    articles::insert(tx, &articles).await?;
    scores::upsert(tx, &scores).await?;
    app_ranks::upsert(tx, &ranks).await?;
    shocks::insert(tx, &shocks).await
}
