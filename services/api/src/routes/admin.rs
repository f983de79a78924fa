//! Admin endpoints (bearer token). Rebuilding the projections and re-scoring history are jobs: the API queues
//! one (`shockwave_ops::jobs`) and answers 202 with where to follow it; the projector or a scorer carries it
//! out. Switching the model version the views use is one statement, done here.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shockwave_ops::jobs::{self, Job, Kind};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::authorize;
use crate::params;
use crate::problem::Problem;

fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::invalid_parameter("body", format!("the JSON body: {e}")))
}

/// A job as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct JobView {
    pub job_id: uuid::Uuid,
    /// `replay`, `replay_from_kafka` or `rescore`.
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// What the service reported last, e.g. `{"done": 12000, "total": 40000}`.
    #[schema(value_type = Object)]
    pub progress: serde_json::Value,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// A summary when done, the error when failed.
    pub outcome: Option<String>,
    /// Where to follow it.
    pub href: String,
}

fn view(job: Job) -> JobView {
    JobView {
        href: format!("/v1/admin/jobs/{}", job.job_id),
        job_id: job.job_id,
        kind: job.kind.as_str().to_string(),
        state: job.state.as_str().to_string(),
        params: job.params,
        progress: job.progress,
        requested_by: job.requested_by,
        created_at: job.created_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        outcome: job.outcome,
    }
}

fn accepted(job: Job) -> Response {
    let view = view(job);
    let location = view.href.clone();
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(view),
    )
        .into_response()
}

fn job_problem(error: jobs::JobError) -> Problem {
    Problem::internal(&error)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub(super) struct ReplayRequest {
    /// Rebuild from the Kafka topics (offset 0) instead of from the event store.
    #[serde(default)]
    pub from_kafka: bool,
}

/// Queue a rebuild of every projection (by the projector: from the event store in one transaction, readers
/// keep the old rows until it commits; or, with `from_kafka`, from every topic's offset 0).
#[utoipa::path(post, path = "/v1/admin/replay", tag = "admin", security(("admin_token" = [])),
    request_body(content = ReplayRequest, description = "Optional; `{}` rebuilds from the event store."),
    responses((status = 202, body = JobView, description = "Queued; follow `href`"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn replay(
    State(state): State<AppState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    authorize(&state, &headers)?;
    let request: ReplayRequest = if bytes.iter().all(u8::is_ascii_whitespace) {
        ReplayRequest::default()
    } else {
        body(&bytes)?
    };
    let kind = if request.from_kafka {
        Kind::ReplayFromKafka
    } else {
        Kind::Replay
    };
    let job = jobs::submit(&state.pool, kind, serde_json::json!({}), "api")
        .await
        .map_err(job_problem)?;
    state.cache.clear();
    Ok(accepted(job))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct RescoreRequest {
    /// The version label to record on the new scores, e.g. `2`.
    pub model_version: String,
    /// The model folder on the scorers' disk (with `model.onnx` and `tokenizer.json`); default the one the
    /// scorer serves.
    pub model_dir: Option<String>,
}

/// Queue a re-score of every stored article with a model version (carried out by a scorer).
#[utoipa::path(post, path = "/v1/admin/rescore", tag = "admin", security(("admin_token" = [])),
    request_body = RescoreRequest,
    responses((status = 202, body = JobView, description = "Queued; follow `href`"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn rescore(
    State(state): State<AppState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    authorize(&state, &headers)?;
    let request: RescoreRequest = body(&bytes)?;
    let version = params::word("model_version", request.model_version.trim())?;
    let mut params = serde_json::json!({ "model_version": version });
    if let Some(dir) = request
        .model_dir
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        if dir.len() > 1024 || dir.chars().any(char::is_control) {
            return Err(Problem::invalid_parameter(
                "model_dir",
                "`model_dir` is not a usable path",
            ));
        }
        params["model_dir"] = dir.into();
    }
    let job = jobs::submit(&state.pool, Kind::Rescore, params, "api")
        .await
        .map_err(job_problem)?;
    Ok(accepted(job))
}

/// One job, with its progress.
#[utoipa::path(get, path = "/v1/admin/jobs/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, body = JobView),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn job(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    authorize(&state, &headers)?;
    let id = params::uuid("id", &id)?;
    let job = jobs::get(&state.pool, id)
        .await
        .map_err(job_problem)?
        .ok_or_else(|| Problem::not_found(format!("no job {id}")))?;
    Ok(Json(view(job)).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct JobList {
    pub items: Vec<JobView>,
}

/// The latest jobs, newest first.
#[utoipa::path(get, path = "/v1/admin/jobs", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, body = JobList),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn jobs_list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    authorize(&state, &headers)?;
    let items = jobs::list(&state.pool, 50)
        .await
        .map_err(job_problem)?
        .into_iter()
        .map(view)
        .collect();
    Ok(Json(JobList { items }).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct ActivateRequest {
    /// A version that has scores, e.g. `2`.
    pub model_version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Activated {
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
pub(super) async fn activate(
    State(state): State<AppState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, Problem> {
    authorize(&state, &headers)?;
    let request: ActivateRequest = body(&bytes)?;
    let version = params::word("model_version", request.model_version.trim())?;
    shockwave_ops::models::activate(&state.pool, &version)
        .await
        .map_err(|e| match e {
            shockwave_ops::models::SwitchError::NoScores(_) => Problem::conflict(e.to_string()),
            shockwave_ops::models::SwitchError::Database(db) => Problem::from(db),
        })?;
    state.cache.clear();
    tracing::info!(%version, "active model switched on request");
    Ok(Json(Activated {
        model_version: version,
    })
    .into_response())
}
