//! Admin endpoints (bearer token): rebuild the projections from the event store, re-score every article
//! with a model version (runs `scorer rescore` as its own process), switch the model version the views use.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::authorize;
use crate::params;
use crate::problem::Problem;

fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::invalid_parameter("body", format!("the JSON body: {e}")))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    /// Events re-applied from the event store.
    pub events: u64,
}

/// Rebuild every projection from the event store (one transaction; readers see the old data until it commits).
#[utoipa::path(post, path = "/v1/admin/replay", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, body = Replayed),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn replay(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    authorize(&state, &headers)?;
    let summary = shockwave_projector::replay::replay(&state.pool)
        .await
        .map_err(|e| Problem::internal(&format!("{e:#}")))?;
    state.cache.clear();
    tracing::info!(events = summary.events, "projections rebuilt on request");
    Ok(Json(Replayed {
        events: summary.events as u64,
    })
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RescoreRequest {
    /// The version label to record on the new scores, e.g. `2`.
    pub model_version: String,
    /// The model folder (with `model.onnx` and `tokenizer.json`); default the scorer's.
    pub model_dir: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RescoreStarted {
    /// Process id of the `scorer rescore` run (its log goes to the API's standard error).
    pub pid: u32,
    pub model_version: String,
}

/// Re-score every stored article with a model version (in the background).
#[utoipa::path(post, path = "/v1/admin/rescore", tag = "admin", security(("admin_token" = [])),
    request_body = RescoreRequest,
    responses((status = 202, body = RescoreStarted),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn rescore(
    State(state): State<AppState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    authorize(&state, &headers)?;
    let request: RescoreRequest = body(&bytes)?;
    let version = params::word("model_version", request.model_version.trim())?;
    let mut command = tokio::process::Command::new(&state.scorer_bin);
    command.arg("rescore").arg("--model").arg(&version);
    if let Some(dir) = request.model_dir.as_deref().filter(|d| !d.is_empty()) {
        command.arg("--model-dir").arg(dir);
    }
    let child = command
        .stdin(std::process::Stdio::null())
        .kill_on_drop(false)
        .spawn()
        .map_err(|e| Problem::internal(&format!("starting {}: {e}", state.scorer_bin.display())))?;
    let pid = child.id().unwrap_or_default();
    tracing::info!(pid, %version, "re-scoring started on request");
    tokio::spawn(async move {
        let mut child = child;
        match child.wait().await {
            Ok(status) => tracing::info!(pid, %status, "re-scoring finished"),
            Err(error) => tracing::error!(pid, %error, "re-scoring could not be awaited"),
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(RescoreStarted {
            pid,
            model_version: version,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActivateRequest {
    /// A version that has scores, e.g. `2`.
    pub model_version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Activated {
    pub model_version: String,
}

/// Switch the model version every view uses.
#[utoipa::path(put, path = "/v1/admin/active-model", tag = "admin", security(("admin_token" = [])),
    request_body = ActivateRequest,
    responses((status = 200, body = Activated),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn activate(
    State(state): State<AppState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    authorize(&state, &headers)?;
    let request: ActivateRequest = body(&bytes)?;
    let version = params::word("model_version", request.model_version.trim())?;
    shockwave_projector::active_model::activate(&state.pool, &version)
        .await
        .map_err(|e| Problem::conflict(format!("{e:#}")))?;
    state.cache.clear();
    tracing::info!(%version, "active model switched on request");
    Ok(Json(Activated {
        model_version: version,
    })
    .into_response())
}
