//! Polite HTTP polling: conditional GET (ETag / Last-Modified), a timeout and a body-size cap per request,
//! retries with exponential backoff on 5xx, 429 and network errors, and a per-host request budget. Redirects
//! are followed here, not by the client, so each hop is checked (see [`redirects`]): at most
//! [`MAX_REDIRECTS`], never to an internal address unless allowed, and the caller's headers (API keys) only
//! to the host first asked.

mod redirects;

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{HistogramVec, IntCounterVec};
use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use tokio::sync::Mutex;
use tokio::time::Instant;

use shockwave_kit::metrics::{counter_vec, histogram_vec};

static REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "http_fetches_total",
        "Outbound HTTP requests of the ingestors, by host and outcome (ok, not_modified, status, timeout, network, too_large).",
        &["host", "outcome"],
    )
});

static LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram_vec(
        "http_fetch_seconds",
        "Time to fetch one URL, body included.",
        &["host"],
        vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
    )
});

/// Limits and manners of the fetcher.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// Attempts per fetch, the first included.
    pub max_attempts: u32,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Requests allowed per host per minute (retries count).
    pub per_host_per_minute: u32,
    pub user_agent: String,
    /// Follow redirects to loopback, private and link-local addresses (tests, intranet feeds).
    pub allow_internal_redirects: bool,
}

/// Redirects followed per fetch at most.
pub const MAX_REDIRECTS: usize = 5;

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            timeout: Duration::from_secs(10),
            max_body_bytes: 5 * 1024 * 1024,
            max_attempts: 4,
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            per_host_per_minute: 30,
            user_agent: concat!("shockwave-ingest/", env!("CARGO_PKG_VERSION")).into(),
            allow_internal_redirects: false,
        }
    }
}

/// What a successful fetch returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The server said 304: nothing changed since the last fetch of this URL.
    NotModified,
    Body {
        bytes: Vec<u8>,
        content_type: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not a valid URL: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("{url}: HTTP {status} after {attempts} attempt(s)")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error("{url}: timed out after {attempts} attempt(s)")]
    Timeout { url: String, attempts: u32 },
    #[error("{url}: network error after {attempts} attempt(s): {reason}")]
    Network {
        url: String,
        reason: String,
        attempts: u32,
    },
    #[error("{url}: body larger than the {limit}-byte limit")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: {reason}")]
    Redirect { url: String, reason: String },
}

impl FetchError {
    /// A bounded label for metrics and dead letters.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl { .. } => "invalid_url",
            FetchError::Status { .. } => "status",
            FetchError::Timeout { .. } => "timeout",
            FetchError::Network { .. } => "network",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Redirect { .. } => "redirect",
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Validators {
    etag: Option<String>,
    last_modified: Option<String>,
}

/// One attempt's result, before the retry decision.
enum Attempt {
    Done(Fetched),
    Retry(FetchError),
    Fail(FetchError),
}

/// A shared HTTP client for polling. Remembers validators per URL and the next free slot per host.
pub struct Fetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
    validators: Mutex<HashMap<String, Validators>>,
    next_slot: Mutex<HashMap<String, Instant>>,
}

impl Fetcher {
    pub fn new(policy: FetchPolicy) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .user_agent(policy.user_agent.clone())
            .build()?;
        Ok(Fetcher {
            client,
            policy,
            validators: Mutex::new(HashMap::new()),
            next_slot: Mutex::new(HashMap::new()),
        })
    }

    /// GETs `url` with conditional headers from the previous fetch and any `headers` given (API keys).
    pub async fn get(&self, url: &str, headers: &HeaderMap) -> Result<Fetched, FetchError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| FetchError::InvalidUrl {
            url: url.into(),
            reason: e.to_string(),
        })?;
        let host = parsed.host_str().unwrap_or("").to_string();
        let mut attempt = 1;
        loop {
            self.take_slot(&host).await;
            let started = Instant::now();
            let outcome = self.attempt(url, &parsed, headers, attempt).await;
            LATENCY
                .with_label_values(&[&host])
                .observe(started.elapsed().as_secs_f64());
            match outcome {
                Attempt::Done(fetched) => {
                    let label = match fetched {
                        Fetched::NotModified => "not_modified",
                        Fetched::Body { .. } => "ok",
                    };
                    REQUESTS.with_label_values(&[&host, label]).inc();
                    return Ok(fetched);
                }
                Attempt::Fail(error) => {
                    REQUESTS.with_label_values(&[&host, error.kind()]).inc();
                    return Err(error);
                }
                Attempt::Retry(error) => {
                    REQUESTS.with_label_values(&[&host, error.kind()]).inc();
                    if attempt >= self.policy.max_attempts {
                        return Err(error);
                    }
                    let backoff = self.backoff(attempt);
                    tracing::warn!(%url, attempt, ?backoff, error = %error, "fetch failed, retrying");
                    tokio::time::sleep(backoff).await;
                    attempt += 1;
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.policy
            .backoff_initial
            .saturating_mul(factor)
            .min(self.policy.backoff_max)
    }

    /// Holds every request to `host` for `wait`.
    async fn pause_host(&self, host: &str, wait: Duration) {
        let mut slots = self.next_slot.lock().await;
        let until = Instant::now() + wait;
        let slot = slots.entry(host.to_string()).or_insert(until);
        *slot = (*slot).max(until);
        tracing::warn!(host, ?wait, "the server asked to wait (Retry-After)");
    }

    /// Waits for this host's next request slot and books the one after it.
    async fn take_slot(&self, host: &str) {
        let spacing = Duration::from_secs(60) / self.policy.per_host_per_minute.max(1);
        let due = {
            let mut slots = self.next_slot.lock().await;
            let now = Instant::now();
            let due = slots.get(host).copied().unwrap_or(now).max(now);
            slots.insert(host.to_string(), due + spacing);
            due
        };
        tokio::time::sleep_until(due).await;
    }

    async fn attempt(
        &self,
        url: &str,
        parsed: &reqwest::Url,
        headers: &HeaderMap,
        attempt: u32,
    ) -> Attempt {
        let known = self.validators.lock().await.get(url).cloned();
        let mut target = parsed.clone();
        let mut hops = 0;
        let response = loop {
            // The caller's headers go only to the host it named.
            let same_host =
                target.host_str() == parsed.host_str() && target.port() == parsed.port();
            let mut request = self.client.get(target.clone());
            if same_host {
                request = request.headers(headers.clone());
            }
            if let Some(known) = &known {
                if let Some(etag) = &known.etag {
                    request = request.header(IF_NONE_MATCH, etag);
                }
                if let Some(last_modified) = &known.last_modified {
                    request = request.header(IF_MODIFIED_SINCE, last_modified);
                }
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => return Attempt::Retry(network_error(url, &error, attempt)),
            };
            if !response.status().is_redirection() || response.status() == StatusCode::NOT_MODIFIED
            {
                break response;
            }
            let refuse = |reason: String| {
                Attempt::Fail(FetchError::Redirect {
                    url: url.into(),
                    reason,
                })
            };
            hops += 1;
            if hops > MAX_REDIRECTS {
                return refuse(format!("more than {MAX_REDIRECTS} redirects"));
            }
            let Some(next) = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|location| target.join(location).ok())
            else {
                return refuse(format!(
                    "HTTP {} without a usable Location",
                    response.status()
                ));
            };
            // Within the origin the operator configured nothing is gained; elsewhere each hop is checked.
            let same_origin = next.host_str() == parsed.host_str() && next.port() == parsed.port();
            if let Err(reason) =
                redirects::check_target(&next, self.policy.allow_internal_redirects || same_origin)
                    .await
            {
                return refuse(reason);
            }
            target = next;
        };
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Attempt::Done(Fetched::NotModified);
        }
        if !status.is_success() {
            let error = FetchError::Status {
                url: url.into(),
                status: status.as_u16(),
                attempts: attempt,
            };
            let transient = status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
            // A server that says when to come back is not asked before then, by this fetch or any other.
            if let Some(wait) = retry_after(response.headers()) {
                let host = parsed.host_str().unwrap_or("").to_string();
                self.pause_host(&host, wait.min(MAX_RETRY_AFTER)).await;
            }
            return if transient {
                Attempt::Retry(error)
            } else {
                Attempt::Fail(error)
            };
        }
        let limit = self.policy.max_body_bytes;
        if response
            .content_length()
            .is_some_and(|n| n as usize > limit)
        {
            return Attempt::Fail(FetchError::TooLarge {
                url: url.into(),
                limit,
            });
        }
        let validators = Validators {
            etag: header_text(response.headers(), ETAG),
            last_modified: header_text(response.headers(), LAST_MODIFIED),
        };
        let content_type = header_text(response.headers(), CONTENT_TYPE);
        let bytes = match read_capped(response, url, limit, attempt).await {
            Ok(bytes) => bytes,
            Err(error @ FetchError::TooLarge { .. }) => return Attempt::Fail(error),
            Err(error) => return Attempt::Retry(error),
        };
        self.validators
            .lock()
            .await
            .insert(url.to_string(), validators);
        Attempt::Done(Fetched::Body {
            bytes,
            content_type,
        })
    }
}

/// Longest `Retry-After` honoured: a server asking for more is asked again after this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// A `Retry-After` header's wait: delay-seconds, or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = header_text(headers, reqwest::header::RETRY_AFTER)?;
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

fn header_text(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn network_error(url: &str, error: &reqwest::Error, attempts: u32) -> FetchError {
    if error.is_timeout() {
        FetchError::Timeout {
            url: url.into(),
            attempts,
        }
    } else {
        FetchError::Network {
            url: url.into(),
            reason: error.to_string(),
            attempts,
        }
    }
}

/// Reads the body chunk by chunk and gives up as soon as it passes `limit`.
async fn read_capped(
    mut response: reqwest::Response,
    url: &str,
    limit: usize,
    attempt: u32,
) -> Result<Vec<u8>, FetchError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(FetchError::TooLarge {
                        url: url.into(),
                        limit,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(error) => return Err(network_error(url, &error, attempt)),
        }
    }
}

#[cfg(test)]
mod tests;
