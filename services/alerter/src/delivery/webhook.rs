//! Signed webhooks. The body is the `SentimentShockDetected` event as published (JSON). Headers:
//! - `X-Shockwave-Timestamp`: Unix seconds when the request was signed;
//! - `Idempotency-Key`: the alert's event id, the same on every retry, so a receiver can drop a repeat;
//! - `X-Shockwave-Signature`: `sha256=` and the hex HMAC-SHA256, keyed with the shared secret, of
//!   `{timestamp}.{idempotency key}.{body}`. All three are signed: a replayed request is refused by its age,
//!   and a captured body cannot be sent again under another key (which would defeat the receiver's
//!   de-duplication) or another time.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The shared secret; never printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The MAC over what a request signs: `{timestamp}.{idempotency key}.{body}`.
fn mac(secret: &Secret, timestamp: i64, idempotency_key: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.0.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(idempotency_key.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header's value for a body sent under `idempotency_key` at `timestamp`.
pub fn signature(secret: &Secret, timestamp: i64, idempotency_key: &str, body: &[u8]) -> String {
    let mac = mac(secret, timestamp, idempotency_key, body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// How old a signed request a receiver should still accept (and how far ahead of its clock).
pub const FRESHNESS: Duration = Duration::from_secs(300);

/// Whether `header` is the right signature (constant-time comparison) for a request whose timestamp is
/// within [`FRESHNESS`] of `now` (Unix seconds), for receivers written in Rust.
pub fn verify(
    secret: &Secret,
    timestamp: i64,
    idempotency_key: &str,
    body: &[u8],
    header: &str,
    now: i64,
) -> bool {
    if now.abs_diff(timestamp) > FRESHNESS.as_secs() {
        return false;
    }
    let Some(hex_part) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = hex::decode(hex_part) else {
        return false;
    };
    mac(secret, timestamp, idempotency_key, body)
        .verify_slice(&given)
        .is_ok()
}

/// One webhook receiver.
#[derive(Clone)]
pub struct Webhook {
    /// `webhook:` and a digest of the URL: what logs, metrics and the delivery table show (a URL may
    /// carry a token).
    pub name: String,
    url: String,
    secret: Secret,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").field("name", &self.name).finish()
    }
}

impl Webhook {
    pub fn new(url: &str, secret: Secret) -> Self {
        let digest = hex::encode(Sha256::digest(url.as_bytes()));
        Webhook {
            name: format!("webhook:{}", &digest[..12]),
            url: url.to_string(),
            secret,
        }
    }

    /// Posts one alert; `Ok` only for a 2xx answer.
    pub async fn send(
        &self,
        client: &reqwest::Client,
        event_id: &str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<(), String> {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signature(&self.secret, timestamp, event_id, &body);
        let response = client
            .post(&self.url)
            .timeout(timeout)
            .header("content-type", "application/json")
            .header("idempotency-key", event_id)
            .header("x-shockwave-timestamp", timestamp.to_string())
            .header("x-shockwave-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered {status}"))
        }
    }
}

/// A transport error without the URL (which may carry a token).
pub fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "connection refused or unreachable".into()
    } else {
        error.without_url().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_key_body_and_timestamp_while_fresh() {
        let secret = Secret::new("s3cret".into());
        let (t, key, body) = (1_737_900_000, "0f0b6c55-key", b"{\"a\":1}".as_slice());
        let header = signature(&secret, t, key, body);
        assert!(header.starts_with("sha256=") && header.len() == 7 + 64);
        assert!(verify(&secret, t, key, body, &header, t + 10));
        assert!(!verify(&secret, t + 1, key, body, &header, t + 10));
        assert!(!verify(&secret, t, "another-key", body, &header, t + 10));
        assert!(!verify(&secret, t, key, b"{\"a\":2}", &header, t + 10));
        assert!(!verify(
            &Secret::new("other".into()),
            t,
            key,
            body,
            &header,
            t
        ));
        assert!(!verify(&secret, t, key, body, &header, t + 301), "stale");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }

    #[test]
    fn the_receiver_name_does_not_reveal_the_url() {
        let hook = Webhook::new(
            "https://hooks.example/T0/secret-token",
            Secret::new("k".into()),
        );
        assert!(hook.name.starts_with("webhook:"));
        assert!(!format!("{hook:?}").contains("secret-token"));
        assert!(!hook.name.contains("token"));
    }
}
