//! Alertmanager's v2 API (`POST /api/v2/alerts`). A shock is one alert, identified by its labels
//! (`alertname="SentimentShock"` and `shock_id`). While it is open its `endsAt` lies `hold` ahead, and the
//! open shocks are pushed again before that passes (Alertmanager resolves an alert nobody refreshes); the
//! resolved state is pushed with `endsAt` at the resolution.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use shockwave_schemas::{
    Direction, Event, Payload, SentimentShockDetected, ShockStatus, SubjectKind,
};

use super::webhook::describe;

pub const RECEIVER: &str = "alertmanager";

#[derive(Debug, Clone)]
pub struct Alertmanager {
    pub base_url: String,
    /// Where users can read a shock (the API); `shock_id` is appended.
    pub shock_url: Option<String>,
    pub hold: Duration,
}

fn severity(shock: &SentimentShockDetected) -> &'static str {
    if shock.magnitude.abs() >= 5.0 {
        "critical"
    } else {
        "warning"
    }
}

impl Alertmanager {
    /// The alert for one state of a shock, at wall-clock time `now`.
    pub fn alert(&self, event: &Event, now: DateTime<Utc>) -> Option<serde_json::Value> {
        let Payload::SentimentShockDetected(shock) = &event.payload else {
            return None;
        };
        let ends_at = match shock.status {
            ShockStatus::Resolved => shock.window_end.min(now),
            _ => now + chrono::Duration::from_std(self.hold).unwrap_or_default(),
        };
        let evidence: Vec<String> = shock
            .evidence
            .iter()
            .map(|e| format!("{:+.2} {}", e.score, e.title))
            .collect();
        let mut alert = json!({
            "labels": {
                "alertname": "SentimentShock",
                "shock_id": shock.shock_id.to_string(),
                "subject_kind": match shock.subject_kind { SubjectKind::Topic => "topic", SubjectKind::Ticker => "ticker" },
                "subject": shock.subject,
                "direction": match shock.direction { Direction::Negative => "negative", Direction::Positive => "positive" },
                "severity": severity(shock),
                "service": "shockwave",
            },
            "annotations": {
                "summary": format!(
                    "{} sentiment shock on {} ({} articles, z {:.1})",
                    match shock.direction { Direction::Negative => "Negative", Direction::Positive => "Positive" },
                    shock.subject, shock.article_count, shock.magnitude
                ),
                "description": evidence.join("\n"),
                "basket": shock.basket.join(","),
                "window": format!("{} to {}", shock.window_start.to_rfc3339(), shock.window_end.to_rfc3339()),
                "baseline": format!("mean {:.3}, sd {:.3}; window mean {:.3}", shock.baseline_mean, shock.baseline_std, shock.observed_mean),
            },
            "startsAt": shock.window_start.to_rfc3339(),
            "endsAt": ends_at.max(shock.window_start).to_rfc3339(),
        });
        if let Some(base) = &self.shock_url {
            alert["generatorURL"] =
                json!(format!("{}/{}", base.trim_end_matches('/'), shock.shock_id));
        }
        Some(alert)
    }

    /// Pushes alerts; `Ok` only for a 2xx answer.
    pub async fn push(
        &self,
        client: &reqwest::Client,
        alerts: Vec<serde_json::Value>,
        timeout: Duration,
    ) -> Result<(), String> {
        let url = format!("{}/api/v2/alerts", self.base_url.trim_end_matches('/'));
        let response = client
            .post(url)
            .timeout(timeout)
            .json(&alerts)
            .send()
            .await
            .map_err(describe)?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(format!(
                "answered {status}: {}",
                body.chars().take(200).collect::<String>()
            ))
        }
    }
}
