//! Query parameters: every one arrives as text and is parsed here, so a bad value gets a problem that names
//! it (axum's own rejections do not). `ApiQuery<T>` deserialises the query string into a handler's
//! parameter struct (whose `IntoParams` derive documents it in the OpenAPI spec).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;

use shockwave_schemas::limits;

use crate::problem::Problem;

/// The query string as `T`; a malformed one (a parameter given twice, say) is a 400 problem.
pub struct ApiQuery<T>(pub T);

/// Longest query string accepted, in bytes.
pub const MAX_QUERY: usize = 4096;

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or_default();
        if query.len() > MAX_QUERY {
            return Err(Problem::invalid_parameter(
                "query",
                format!("the query string may be at most {MAX_QUERY} bytes"),
            ));
        }
        // Control characters (NUL above all) cannot reach a SQL parameter: Postgres refuses them in text.
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if name.chars().chain(value.chars()).any(char::is_control) {
                return Err(Problem::invalid_parameter(
                    "query",
                    format!(
                        "parameter `{}` holds a control character",
                        limits::shown(&name)
                    ),
                ));
            }
        }
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| Problem::invalid_parameter("query", format!("the query string: {e}")))
    }
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub fn required<'a>(name: &'static str, value: &'a Option<String>) -> Result<&'a str, Problem> {
    given(value).ok_or_else(|| Problem::invalid_parameter(name, format!("`{name}` is required")))
}

pub fn optional(value: &Option<String>) -> Option<&str> {
    given(value)
}

/// One of a fixed set of words, or `default` when absent.
pub fn choice(
    name: &'static str,
    value: &Option<String>,
    allowed: &[&'static str],
    default: &'static str,
) -> Result<&'static str, Problem> {
    let Some(text) = given(value) else {
        return Ok(default);
    };
    allowed.iter().copied().find(|a| *a == text).ok_or_else(|| {
        Problem::invalid_parameter(name, format!("`{name}` must be one of {allowed:?}"))
    })
}

/// One of a fixed set of words, or `None` when absent.
pub fn optional_choice(
    name: &'static str,
    value: &Option<String>,
    allowed: &[&'static str],
) -> Result<Option<&'static str>, Problem> {
    given(value)
        .map(|_| choice(name, value, allowed, allowed[0]))
        .transpose()
}

/// The subject of a query: exactly one of `topic` (a topic id) and `ticker`, as (`topic`|`ticker`, name).
pub fn subject(
    topic: &Option<String>,
    ticker: &Option<String>,
) -> Result<(&'static str, String), Problem> {
    match (given(topic), given(ticker)) {
        (Some(topic), None) => Ok(("topic", word("topic", topic)?)),
        (None, Some(ticker)) => Ok(("ticker", instrument("ticker", ticker, false)?)),
        _ => Err(Problem::invalid_parameter(
            "topic",
            "give exactly one of `topic` and `ticker`",
        )),
    }
}

/// A UUID (a path id, a shock id).
pub fn uuid(name: &'static str, text: &str) -> Result<uuid::Uuid, Problem> {
    text.trim()
        .parse()
        .map_err(|_| Problem::invalid_parameter(name, format!("`{name}` must be a UUID")))
}

/// An integer within `min..=max`, or `default`.
pub fn integer(
    name: &'static str,
    value: &Option<String>,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, Problem> {
    let Some(text) = given(value) else {
        return Ok(default);
    };
    text.parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            Problem::invalid_parameter(
                name,
                format!("`{name}` must be an integer from {min} to {max}"),
            )
        })
}

/// A ticker (`NVDA`, `^SOX`, `BRK.B`) or, where `baskets` is true, a basket (`basket:ai_hardware`).
pub fn instrument(name: &'static str, text: &str, baskets: bool) -> Result<String, Problem> {
    if let Some(basket) = text.strip_prefix("basket:") {
        if baskets
            && !basket.is_empty()
            && basket.len() <= 32
            && basket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Ok(text.to_string());
        }
        return Err(Problem::invalid_parameter(
            name,
            format!("`{text}` is not a basket this API knows how to name"),
        ));
    }
    let ticker = text.to_uppercase();
    if ticker.is_empty()
        || ticker.len() > shockwave_schemas::payloads::MAX_TICKER
        || !ticker
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '^' | '.' | '-' | '='))
    {
        return Err(Problem::invalid_parameter(
            name,
            format!("`{text}` is not a ticker symbol"),
        ));
    }
    Ok(ticker)
}

/// A topic id or similar word (`ai_efficiency`).
pub fn word(name: &'static str, text: &str) -> Result<String, Problem> {
    if text.is_empty()
        || text.len() > 64
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '^'))
    {
        return Err(Problem::invalid_parameter(
            name,
            format!("`{name}` has characters it cannot have"),
        ));
    }
    Ok(text.to_string())
}

/// An instant given as RFC 3339 or as a date (`2025-01-27`, meaning its midnight UTC), within the range
/// every event respects (1900-01-01 to 2200-01-01), so nothing computed from it can overflow.
pub fn time(name: &'static str, value: &Option<String>) -> Result<Option<DateTime<Utc>>, Problem> {
    let Some(text) = given(value) else {
        return Ok(None);
    };
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
        .ok_or_else(|| {
            Problem::invalid_parameter(
                name,
                format!(
                    "`{name}` must be an RFC 3339 time or a YYYY-MM-DD date, got `{}`",
                    limits::shown(text)
                ),
            )
        })?;
    if !limits::in_range(parsed) {
        return Err(Problem::invalid_parameter(
            name,
            format!("`{name}` must lie between 1900-01-01 and 2200-01-01"),
        ));
    }
    Ok(Some(parsed))
}

/// A calendar day (`2025-01-27`) within the range every event respects.
pub fn date(name: &'static str, text: &str) -> Result<NaiveDate, Problem> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| {
            d.and_hms_opt(0, 0, 0)
                .is_some_and(|t| limits::in_range(t.and_utc()))
        })
        .ok_or_else(|| {
            Problem::invalid_parameter(
                name,
                format!("`{name}` must be a YYYY-MM-DD date between 1900-01-01 and 2199-12-31"),
            )
        })
}

/// `from`/`to` with defaults (`to`: now; `from`: `default_days` before `to`) and a longest span.
pub fn range(
    from: &Option<String>,
    to: &Option<String>,
    default_days: i64,
    max_days: i64,
) -> Result<(DateTime<Utc>, DateTime<Utc>), Problem> {
    let to = time("to", to)?.unwrap_or_else(Utc::now);
    let from = match time("from", from)? {
        Some(from) => from,
        None => to
            .checked_sub_signed(chrono::Duration::days(default_days))
            .filter(|t| limits::in_range(*t))
            .unwrap_or(limits::EARLIEST),
    };
    if from > to {
        return Err(Problem::invalid_parameter("from", "`from` is after `to`"));
    }
    if to - from > chrono::Duration::days(max_days) {
        return Err(Problem::invalid_parameter(
            "from",
            format!("the range may span at most {max_days} days"),
        ));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn a_date_means_its_midnight_utc_and_offsets_become_utc() {
        let t = time("from", &some("2025-01-27")).unwrap().unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-27T00:00:00+00:00");
        let t = time("to", &some("2025-01-27T09:30:00-05:00"))
            .unwrap()
            .unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-27T14:30:00+00:00");
    }

    #[test]
    fn bad_values_name_their_parameter() {
        let problem = time("from", &some("last tuesday")).unwrap_err();
        assert_eq!((problem.parameter, problem.status), (Some("from"), 400));
        assert_eq!(
            integer("limit", &some("0"), 50, 1, 200)
                .unwrap_err()
                .parameter,
            Some("limit")
        );
        assert_eq!(
            integer("limit", &some("x"), 50, 1, 200)
                .unwrap_err()
                .parameter,
            Some("limit")
        );
        assert_eq!(
            choice("bucket", &some("week"), &["day"], "day")
                .unwrap_err()
                .parameter,
            Some("bucket")
        );
        assert!(instrument("ticker", "NV DA", true).is_err());
        assert!(instrument("ticker", "basket:AI", true).is_err());
        assert_eq!(instrument("ticker", "nvda", false).unwrap(), "NVDA");
        assert_eq!(
            instrument("t", "basket:ai_hardware", true).unwrap(),
            "basket:ai_hardware"
        );
        assert!(range(&some("2025-02-01"), &some("2025-01-01"), 30, 365).is_err());
        assert!(range(&some("2000-01-01"), &some("2025-01-01"), 30, 365).is_err());
    }

    #[test]
    fn extreme_dates_are_refused_not_computed_with() {
        for text in [
            "-262143-01-01",
            "-5000-01-01",
            "+262142-12-31",
            "0001-01-01",
            "2200-01-01",
        ] {
            let problem = time("to", &some(text)).unwrap_err();
            assert_eq!(
                (problem.parameter, problem.status),
                (Some("to"), 400),
                "{text}"
            );
        }
        assert!(range(&None, &some("1900-01-02"), 365, 3660).is_ok());
    }
}
