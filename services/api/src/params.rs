//! Query-parameter parsing with errors that name the parameter (axum's own rejections do not).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::problem::Problem;

pub struct Params(pub HashMap<String, String>);

impl Params {
    pub fn required(&self, name: &'static str) -> Result<&str, Problem> {
        self.0
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Problem::invalid_parameter(name, format!("`{name}` is required")))
    }

    pub fn optional(&self, name: &'static str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// An instant given as RFC 3339 or as a date (`2025-01-27`, meaning its midnight UTC).
    pub fn time(&self, name: &'static str) -> Result<Option<DateTime<Utc>>, Problem> {
        let Some(text) = self.optional(name) else {
            return Ok(None);
        };
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Ok(Some(t.with_timezone(&Utc)));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|d| Some(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()))
            .map_err(|_| {
                Problem::invalid_parameter(
                    name,
                    format!("`{name}` must be an RFC 3339 time or a YYYY-MM-DD date, got `{text}`"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_date_means_its_midnight_utc() {
        let t = params(&[("from", "2025-01-27")])
            .time("from")
            .unwrap()
            .unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-27T00:00:00+00:00");
    }

    #[test]
    fn an_offset_time_is_converted_to_utc() {
        let t = params(&[("to", "2025-01-27T09:30:00-05:00")])
            .time("to")
            .unwrap()
            .unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-27T14:30:00+00:00");
    }

    #[test]
    fn a_bad_time_names_the_parameter() {
        let problem = params(&[("from", "last tuesday")])
            .time("from")
            .unwrap_err();
        assert_eq!(problem.parameter, Some("from"));
        assert_eq!(problem.status, 400);
    }
}
