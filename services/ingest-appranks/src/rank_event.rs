//! The `AppRankObserved` event of one observation: its id depends on store, country, chart, app and time,
//! so re-reading the same chart snapshot changes nothing.

use chrono::{DateTime, Utc};
use shockwave_schemas::{AppRankObserved, AppStore, Event, Payload, ids};

pub fn store_name(store: AppStore) -> &'static str {
    match store {
        AppStore::Apple => "apple",
        AppStore::GooglePlay => "google_play",
    }
}

/// Reads a store name as histories write it.
pub fn parse_store(text: &str) -> Option<AppStore> {
    match text
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
        .as_str()
    {
        "apple" | "app_store" | "appstore" | "ios" => Some(AppStore::Apple),
        "google_play" | "googleplay" | "play" | "android" => Some(AppStore::GooglePlay),
        _ => None,
    }
}

pub fn to_event(observation: AppRankObserved, source: &str, observed_at: DateTime<Utc>) -> Event {
    let at = observation.observed_at.to_rfc3339();
    let event_id = ids::event_id(&[
        "AppRankObserved",
        store_name(observation.store),
        &observation.country,
        &observation.chart,
        &observation.app_id,
        &at,
    ]);
    Event::new(
        event_id,
        source,
        observation.observed_at,
        observed_at,
        observation.app_id.clone(),
        Payload::AppRankObserved(observation),
    )
}
