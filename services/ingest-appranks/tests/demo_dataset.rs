//! The shipped app-rank history reads without a reject and shows DeepSeek's climb as reported.

use std::path::PathBuf;

use chrono::NaiveDate;
use shockwave_ingest_appranks::csv_history;
use shockwave_schemas::{AppStore, Payload};

#[test]
fn deepseek_climbs_to_number_one_on_the_us_app_store() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/deepseek-week/appranks/ranks.csv");
    let bytes = std::fs::read(&path).unwrap();
    let converted = csv_history::convert(&bytes, "ranks.csv", chrono::Utc::now());
    assert!(converted.rejects.is_empty(), "{:?}", converted.rejects);
    let rank_on = |store: AppStore, app: &str, day: &str| {
        let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        converted.events.iter().find_map(|e| match &e.payload {
            Payload::AppRankObserved(r)
                if r.store == store
                    && r.app_name.starts_with(app)
                    && r.observed_at.date_naive() == day =>
            {
                Some(r.rank)
            }
            _ => None,
        })
    };
    assert_eq!(rank_on(AppStore::Apple, "DeepSeek", "2025-01-24"), Some(31));
    assert_eq!(rank_on(AppStore::Apple, "DeepSeek", "2025-01-26"), Some(1));
    assert_eq!(rank_on(AppStore::Apple, "ChatGPT", "2025-01-26"), Some(2));
    assert_eq!(
        rank_on(AppStore::GooglePlay, "DeepSeek", "2025-01-24"),
        Some(133)
    );
    assert_eq!(
        rank_on(AppStore::GooglePlay, "DeepSeek", "2025-01-27"),
        Some(14)
    );
    assert_eq!(
        rank_on(AppStore::Apple, "DeepSeek", "2025-01-05"),
        None,
        "not yet launched"
    );
    for event in &converted.events {
        event.validate().unwrap();
    }
}
