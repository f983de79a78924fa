//! Typed configuration from `SHOCKWAVE_*` environment variables, with defaults in code and start-up
//! validation whose error names the bad setting. Reads go through [`Settings`] so tests can supply a map.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;

/// A setting that is present but unusable.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct ConfigError {
    pub name: String,
    pub value: String,
    pub reason: String,
}

/// Looks a setting up by name.
type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where settings come from: the process environment, or a map in tests.
pub struct Settings {
    lookup: Lookup,
}

impl Settings {
    pub fn from_env() -> Self {
        Settings {
            lookup: Box::new(|name| std::env::var(name).ok()),
        }
    }

    pub fn from_map(map: HashMap<String, String>) -> Self {
        Settings {
            lookup: Box::new(move |name| map.get(name).cloned()),
        }
    }

    /// The raw value, `None` when unset or blank.
    pub fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// Parses `name`, or returns `default` when unset.
    pub fn get_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.raw(name) {
            Some(value) => value.parse().map_err(|e: T::Err| ConfigError {
                name: name.into(),
                reason: e.to_string(),
                value,
            }),
            None => Ok(default),
        }
    }

    /// Like [`Settings::get_or`], then checks the value with `check`, which says what is wrong.
    pub fn checked<T>(
        &self,
        name: &str,
        default: T,
        check: impl FnOnce(&T) -> Result<(), String>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + std::fmt::Debug,
        T::Err: std::fmt::Display,
    {
        let value = self.get_or(name, default)?;
        check(&value).map_err(|reason| ConfigError {
            name: name.into(),
            value: format!("{value:?}"),
            reason,
        })?;
        Ok(value)
    }
}

/// Settings every service has.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    /// `SHOCKWAVE_KAFKA_BROKERS` (falls back to `KAFKA_BROKERS`): bootstrap servers.
    pub kafka_brokers: String,
    /// `SHOCKWAVE_DATABASE_URL` (falls back to `DATABASE_URL`).
    pub database_url: String,
    /// `SHOCKWAVE_ADMIN_ADDR`: where `/healthz`, `/readyz` and `/metrics` listen; port 0 picks a free one.
    pub admin_addr: SocketAddr,
    /// `SHOCKWAVE_TOPIC_PARTITIONS`: partitions for topics created when they are missing.
    pub topic_partitions: i32,
    /// `SHOCKWAVE_TOPIC_REPLICATION`: replication factor for created topics (1 locally, 3 on a real cluster).
    pub topic_replication: i32,
    /// `SHOCKWAVE_CONSUMER_INSTANCE_ID`: static group membership (Kafka's `group.instance.id`) for the group
    /// consumers of this process. A restarted instance with the same id takes its partitions back at once,
    /// without a rebalance; give each replica its own (the pod name). Unset: dynamic membership.
    pub instance_id: Option<String>,
    /// `SHOCKWAVE_STUCK_AFTER_SECONDS`: a consumer holding one batch longer than this (a dependency down, a
    /// wait that never ends) makes `/readyz` fail and say so (default 120).
    pub stuck_after: std::time::Duration,
}

impl CommonConfig {
    /// The health tracker of a consumer of this service, for its consumer settings and its readiness.
    pub fn consumer_health(&self, name: &str) -> crate::kafka::health::ConsumerHealth {
        crate::kafka::health::ConsumerHealth::new(name, self.stuck_after)
    }

    pub const DEFAULT_BROKERS: &'static str = "127.0.0.1:9092";
    pub const DEFAULT_DATABASE_URL: &'static str = "postgres://postgres@127.0.0.1:5432/shockwave";

    /// Reads the common settings; `default_admin_port` differs per service so they can share a host.
    pub fn load(settings: &Settings, default_admin_port: u16) -> Result<Self, ConfigError> {
        let brokers = settings
            .raw("KAFKA_BROKERS")
            .unwrap_or_else(|| Self::DEFAULT_BROKERS.into());
        let database_url = settings
            .raw("DATABASE_URL")
            .unwrap_or_else(|| Self::DEFAULT_DATABASE_URL.into());
        Ok(CommonConfig {
            kafka_brokers: settings.get_or("SHOCKWAVE_KAFKA_BROKERS", brokers)?,
            database_url: settings.checked(
                "SHOCKWAVE_DATABASE_URL",
                database_url,
                |url: &String| {
                    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                        Ok(())
                    } else {
                        Err("expected a postgres:// URL".into())
                    }
                },
            )?,
            admin_addr: settings.get_or(
                "SHOCKWAVE_ADMIN_ADDR",
                SocketAddr::from(([127, 0, 0, 1], default_admin_port)),
            )?,
            topic_partitions: settings.checked("SHOCKWAVE_TOPIC_PARTITIONS", 4, |n: &i32| {
                if (1..=256).contains(n) {
                    Ok(())
                } else {
                    Err("expected 1..=256".into())
                }
            })?,
            topic_replication: settings.checked("SHOCKWAVE_TOPIC_REPLICATION", 1, |n: &i32| {
                if (1..=16).contains(n) {
                    Ok(())
                } else {
                    Err("expected 1..=16".into())
                }
            })?,
            instance_id: settings
                .raw("SHOCKWAVE_CONSUMER_INSTANCE_ID")
                .filter(|id| !id.trim().is_empty()),
            stuck_after: std::time::Duration::from_secs(settings.checked(
                "SHOCKWAVE_STUCK_AFTER_SECONDS",
                120,
                |n: &u64| {
                    if (1..=86_400).contains(n) {
                        Ok(())
                    } else {
                        Err("expected 1..=86400".into())
                    }
                },
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn unset_settings_take_their_defaults() {
        let config = CommonConfig::load(&settings(&[]), 9100).unwrap();
        assert_eq!(config.kafka_brokers, CommonConfig::DEFAULT_BROKERS);
        assert_eq!(config.admin_addr.port(), 9100);
        assert_eq!(config.topic_partitions, 4);
    }

    #[test]
    fn the_plain_kafka_brokers_variable_is_honoured_and_the_prefixed_one_wins() {
        let config = CommonConfig::load(&settings(&[("KAFKA_BROKERS", "kafka:9092")]), 1).unwrap();
        assert_eq!(config.kafka_brokers, "kafka:9092");
        let config = CommonConfig::load(
            &settings(&[
                ("KAFKA_BROKERS", "kafka:9092"),
                ("SHOCKWAVE_KAFKA_BROKERS", "other:9092"),
            ]),
            1,
        )
        .unwrap();
        assert_eq!(config.kafka_brokers, "other:9092");
    }

    #[test]
    fn an_unparseable_value_names_the_setting_and_the_value() {
        let message =
            CommonConfig::load(&settings(&[("SHOCKWAVE_ADMIN_ADDR", "localhost-ish")]), 1)
                .unwrap_err()
                .to_string();
        assert!(
            message.contains("SHOCKWAVE_ADMIN_ADDR") && message.contains("localhost-ish"),
            "{message}"
        );
    }

    #[test]
    fn a_value_out_of_range_names_the_setting_and_the_rule() {
        let message = CommonConfig::load(&settings(&[("SHOCKWAVE_TOPIC_PARTITIONS", "0")]), 1)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("SHOCKWAVE_TOPIC_PARTITIONS") && message.contains("1..=256"),
            "{message}"
        );
    }

    #[test]
    fn a_database_url_of_another_scheme_is_refused() {
        let message = CommonConfig::load(&settings(&[("DATABASE_URL", "mysql://x")]), 1)
            .unwrap_err()
            .to_string();
        assert!(message.contains("SHOCKWAVE_DATABASE_URL"), "{message}");
    }
}
