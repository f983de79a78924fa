//! The `/v1` routes, one resource per file.

mod prices;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/prices", get(prices::list))
}
