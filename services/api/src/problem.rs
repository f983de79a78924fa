//! RFC 7807 problem details: every error the API returns, with a stable `type`. Server errors are logged in
//! full and returned generic.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An RFC 7807 problem (`application/problem+json`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<&'static str>,
}

impl Problem {
    /// A query parameter is missing or malformed; `parameter` names it.
    pub fn invalid_parameter(parameter: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            kind: "https://shockwave.dev/problems/invalid-parameter",
            title: "Invalid parameter",
            status: 400,
            detail: detail.into(),
            parameter: Some(parameter),
        }
    }

    /// No credentials: `Authorization: Bearer <token>` is missing.
    pub fn unauthorized() -> Self {
        Problem {
            kind: "https://shockwave.dev/problems/unauthorized",
            title: "Unauthorized",
            status: 401,
            detail: "send `Authorization: Bearer <admin token>`".into(),
            parameter: None,
        }
    }

    /// Credentials that do not grant access (a wrong token, or admin disabled).
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem {
            kind: "https://shockwave.dev/problems/forbidden",
            title: "Forbidden",
            status: 403,
            detail: detail.into(),
            parameter: None,
        }
    }

    /// The request is well-formed but cannot be carried out in the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Problem {
            kind: "https://shockwave.dev/problems/conflict",
            title: "Conflict",
            status: 409,
            detail: detail.into(),
            parameter: None,
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem {
            kind: "https://shockwave.dev/problems/not-found",
            title: "Not found",
            status: 404,
            detail: detail.into(),
            parameter: None,
        }
    }

    /// No route has this path.
    pub fn no_route(path: &str) -> Self {
        Problem {
            kind: "https://shockwave.dev/problems/not-found",
            title: "Not found",
            status: 404,
            detail: format!(
                "no resource at `{}`; see /openapi.json",
                shockwave_schemas::limits::shown(path)
            ),
            parameter: None,
        }
    }

    /// The path exists but not with this method.
    pub fn method_not_allowed(method: &str) -> Self {
        Problem {
            kind: "https://shockwave.dev/problems/method-not-allowed",
            title: "Method not allowed",
            status: 405,
            detail: format!(
                "this resource does not answer {}",
                shockwave_schemas::limits::shown(method)
            ),
            parameter: None,
        }
    }

    /// The server cannot take the request now (too busy, too slow); retrying later may succeed.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Problem {
            kind: "https://shockwave.dev/problems/unavailable",
            title: "Service unavailable",
            status: 503,
            detail: detail.into(),
            parameter: None,
        }
    }

    /// Logs the cause and hides it from the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Problem {
            kind: "https://shockwave.dev/problems/internal",
            title: "Internal error",
            status: 500,
            detail: "the server could not answer; the error is logged".into(),
            parameter: None,
        }
    }
}

impl From<sqlx::Error> for Problem {
    fn from(error: sqlx::Error) -> Self {
        // 57014: the statement timeout cancelled a query too large for it; the client can ask for less.
        let cancelled = error
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "57014");
        if cancelled {
            tracing::warn!(%error, "a query ran past the statement timeout");
            return Problem::unavailable(
                "the query took longer than the statement timeout: ask for a narrower range or a larger bucket",
            );
        }
        Problem::internal(&error)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let challenge = if self.status == 401 { "Bearer" } else { "" };
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            serde_json::to_vec(&self).unwrap_or_default(),
        )
            .into_response();
        if !challenge.is_empty() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static(challenge),
            );
        }
        response
    }
}
