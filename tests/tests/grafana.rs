//! The Grafana dashboards work on real data: every panel's, annotation's and variable's SQL, with Grafana's
//! macros (`$__timeFilter`, `$__timeGroupAlias`) and the variables expanded, runs as the read-only role the
//! datasource uses against the demo week projected by the pipeline and returns rows with the columns the
//! panel needs (`time` and a value for time series). Every metric a PromQL expression names is one the services export: served on a live `/metrics`
//! (the admin server of this process, after the demo week ran through the in-process services), or, for
//! counters that only get samples on failures, registered in the code.

use std::collections::HashMap;

use serde_json::Value;
use shockwave_tests::demo_week::DemoWeek;
use shockwave_tests::repo_root;
use sqlx::{Column, PgPool, Row};

const FROM: &str = "2025-01-06T00:00:00Z";
const TO: &str = "2025-02-08T00:00:00Z";

fn dashboards() -> Vec<(String, Value)> {
    let dir = repo_root().join("deploy/grafana/dashboards");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.display().to_string(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(out.len(), 3);
    out
}

/// The text between the parentheses that open at `open` (balanced), and the index after them.
fn arguments(text: &str, open: usize) -> (&str, usize) {
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return (&text[open + 1..open + i], open + i + 1);
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced macro in {text}");
}

fn seconds(interval: &str) -> i64 {
    let (n, unit) = interval.split_at(interval.len() - 1);
    let n: i64 = n.parse().unwrap();
    n * match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        other => panic!("interval unit {other}"),
    }
}

/// Expands Grafana's Postgres macros (as Grafana writes them) and the dashboard variables.
fn expand(sql: &str, variables: &HashMap<&str, &str>) -> String {
    let mut out = sql.to_string();
    for (macro_name, render) in [("$__timeFilter", 0), ("$__timeGroupAlias", 1)] {
        while let Some(at) = out.find(macro_name) {
            let (args, end) = arguments(&out, at + macro_name.len());
            let args = args.to_string();
            let replacement = if render == 0 {
                format!("{args} BETWEEN '{FROM}' AND '{TO}'")
            } else {
                let (column, interval) = args.rsplit_once(',').unwrap();
                let step = seconds(interval.trim());
                format!("floor(extract(epoch from {column})/{step})*{step} AS \"time\"")
            };
            out.replace_range(at..end, &replacement);
        }
    }
    for (name, value) in variables {
        out = out
            .replace(&format!("${{{name}}}"), value)
            .replace(&format!("${name}"), value);
    }
    assert!(!out.contains('$'), "unexpanded macro or variable in {out}");
    out
}

/// Runs a dashboard query as Grafana's read-only role (`shockwave_reader`, created by a migration), so a query
/// that needs more than that role may do fails here.
async fn run(pool: &PgPool, sql: &str) -> (usize, Vec<String>) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE shockwave_reader")
        .execute(&mut *tx)
        .await
        .unwrap();
    let rows = sqlx::query(sql)
        .fetch_all(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{sql}\n{e}"));
    tx.rollback().await.unwrap();
    let columns = rows
        .first()
        .map(|r| r.columns().iter().map(|c| c.name().to_string()).collect())
        .unwrap_or_default();
    (rows.len(), columns)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_panel_query_returns_what_its_panel_shows() {
    let week = DemoWeek::project(19098).await;
    let pool = week.stop().await;
    // One request through the API, so its metrics exist in this process too.
    let app = shockwave_api::app(shockwave_api::AppState::with_pool(pool.clone()));
    let request = axum::http::Request::get("/v1/models")
        .body(axum::body::Body::empty())
        .unwrap();
    tower::ServiceExt::oneshot(app, request).await.unwrap();
    let variables = HashMap::from([("topic", "ai_efficiency"), ("ticker", "NVDA")]);
    let mut queries = 0;
    let mut metrics = Vec::new();
    for (file, dashboard) in dashboards() {
        for variable in dashboard["templating"]["list"].as_array().unwrap() {
            let sql = variable["query"].as_str().unwrap();
            let (rows, _) = run(&pool, &expand(sql, &variables)).await;
            assert!(
                rows > 0,
                "{file}: variable {} has no values",
                variable["name"]
            );
            queries += 1;
        }
        for annotation in dashboard["annotations"]["list"].as_array().unwrap() {
            let sql = annotation["target"]["rawSql"].as_str().unwrap();
            let (rows, columns) = run(&pool, &expand(sql, &variables)).await;
            assert!(
                rows > 0,
                "{file}: annotation {} is empty",
                annotation["name"]
            );
            assert!(columns.contains(&"time".to_string()) && columns.contains(&"text".to_string()));
            queries += 1;
        }
        for panel in dashboard["panels"].as_array().unwrap() {
            let title = panel["title"].as_str().unwrap();
            for target in panel["targets"].as_array().unwrap() {
                if let Some(expr) = target["expr"].as_str() {
                    metrics.extend(
                        expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                            .filter(|w| w.starts_with("shockwave_"))
                            .map(str::to_string),
                    );
                    continue;
                }
                let sql = target["rawSql"].as_str().unwrap();
                let (rows, columns) = run(&pool, &expand(sql, &variables)).await;
                assert!(rows > 0, "{file}: panel `{title}` returns no rows");
                if panel["type"] != "table" {
                    assert_eq!(
                        columns.first().map(String::as_str),
                        Some("time"),
                        "{file}: `{title}`"
                    );
                    assert!(columns.len() >= 2, "{file}: `{title}` has no value column");
                }
                queries += 1;
            }
        }
    }
    assert!(queries >= 12, "{queries} queries");

    // The metrics as Prometheus scrapes them: the admin server's `/metrics` of this process, which ran the
    // services of the demo week.
    let shutdown = shockwave_kit::Shutdown::new();
    let admin = shockwave_kit::admin::serve(
        "127.0.0.1:0".parse().unwrap(),
        shockwave_kit::admin::Readiness::new(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let response = reqwest::get(format!("http://{admin}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let live = response.text().await.unwrap();
    shutdown.trigger();
    let code = shockwave_tests::service_sources();
    // Counters whose samples appear only when something fails (or a receiver is configured).
    let on_failure = [
        "dead_letters_total",
        "handler_errors_total",
        "alert_deliveries_total",
    ];
    metrics.sort();
    metrics.dedup();
    assert!(metrics.len() >= 8, "{metrics:?}");
    for metric in metrics {
        let family = metric.trim_end_matches("_bucket");
        let name = family.trim_start_matches("shockwave_");
        if on_failure.contains(&name) {
            assert!(
                code.contains(&format!("\"{name}\"")),
                "{metric} is not registered by any service"
            );
        } else {
            assert!(
                live.contains(&format!("# TYPE {family} ")),
                "{metric} is not in the live metrics"
            );
        }
    }
}
