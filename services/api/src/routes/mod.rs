//! The `/v1` routes, one resource per file, registered with their OpenAPI descriptions.

mod admin;
mod app_ranks;
mod articles;
mod buzz;
mod correlations;
mod event_study;
mod models;
mod pooled_study;
mod prices;
mod returns;
mod sentiment;
mod shocks;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::openapi::ApiDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(articles::list))
        .routes(routes!(articles::one))
        .routes(routes!(sentiment::list))
        .routes(routes!(prices::list))
        .routes(routes!(returns::list))
        .routes(routes!(correlations::table))
        .routes(routes!(event_study::study))
        .routes(routes!(pooled_study::pooled))
        .routes(routes!(app_ranks::list))
        .routes(routes!(shocks::list))
        .routes(routes!(shocks::one))
        .routes(routes!(models::list))
        .routes(routes!(admin::replay))
        .routes(routes!(admin::rescore))
        .routes(routes!(admin::jobs_list))
        .routes(routes!(admin::job))
        .routes(routes!(admin::activate))
}
