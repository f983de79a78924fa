//! Alert delivery from the outbox against real receivers: a real Alertmanager (Debian's
//! `prometheus-alertmanager`, on loopback) routes the shock to a webhook this test runs and reports it firing,
//! then resolved; an Alertmanager that is down is retried, then the alert is dead-lettered and counted; a
//! webhook receiver that is down for a while gets the alert once it is back, and only once.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use shockwave_alerter::delivery::alertmanager::Alertmanager;
use shockwave_alerter::delivery::webhook::{Secret, Webhook};
use shockwave_alerter::delivery::{Backoff, Delivery, Receiver};
use shockwave_alerter::handler::shock_event;
use shockwave_alerter::store;
use shockwave_kafka::admin::ensure_topics;
use shockwave_kafka::producer::EventProducer;
use shockwave_kit::Shutdown;
use shockwave_schemas::dead_letter::DeadLetter;
use shockwave_schemas::{
    Direction, Event, Evidence, SentimentShockDetected, ShockStatus, SubjectKind, Topic,
};
use shockwave_tests::topic_tail::TopicMark;
use shockwave_tests::webhook_sink::{WebhookSink, free_addr};
use shockwave_tests::{brokers, eventually, fresh_database};
use sqlx::PgPool;
use uuid::Uuid;

/// A fresh database with the schema.
async fn migrated_database() -> PgPool {
    let (_, pool) = fresh_database().await;
    shockwave_store::MIGRATOR.run(&pool).await.unwrap();
    pool
}

fn shock(status: ShockStatus, hour: u32) -> Event {
    shock_event(SentimentShockDetected {
        shock_id: Uuid::new_v4(),
        status,
        subject_kind: SubjectKind::Topic,
        subject: "ai_efficiency".into(),
        direction: Direction::Negative,
        statistic: "window_z_daily".into(),
        magnitude: -4.2,
        window_start: Utc.with_ymd_and_hms(2025, 1, 25, 19, 40, 0).unwrap(),
        window_end: Utc.with_ymd_and_hms(2025, 1, 26, hour, 40, 0).unwrap(),
        baseline_mean: 0.05,
        baseline_std: 0.2,
        observed_mean: -0.4,
        article_count: 9,
        evidence: vec![Evidence {
            article_event_id: Uuid::new_v4(),
            title: "A $6M model rattles chip stocks".into(),
            score: -0.8,
        }],
        basket: vec!["NVDA".into(), "^SOX".into()],
    })
}

/// The same shock in another state.
fn later(event: &Event, status: ShockStatus, hour: u32) -> Event {
    let shockwave_schemas::Payload::SentimentShockDetected(mut s) = event.payload.clone() else {
        unreachable!()
    };
    s.status = status;
    s.window_end = Utc.with_ymd_and_hms(2025, 1, 26, hour, 40, 0).unwrap();
    shock_event(s)
}

async fn worker(pool: &PgPool, receivers: Vec<Receiver>, max_attempts: i32) -> Shutdown {
    ensure_topics(&brokers(), &[Topic::DeadLetters], 4, 1)
        .await
        .unwrap();
    let delivery = Delivery {
        receivers,
        backoff: Backoff {
            first: Duration::from_millis(100),
            max: Duration::from_millis(500),
            max_attempts,
        },
        timeout: Duration::from_secs(2),
        poll: Duration::from_millis(100),
        refresh: Duration::from_secs(1),
    };
    let shutdown = Shutdown::new();
    tokio::spawn(delivery.run(
        pool.clone(),
        EventProducer::new(&brokers()).unwrap(),
        shutdown.clone(),
    ));
    shutdown
}

struct RealAlertmanager {
    child: Child,
    url: String,
    _dir: std::path::PathBuf,
}

impl RealAlertmanager {
    async fn start(hook_url: &str) -> RealAlertmanager {
        let dir = std::env::temp_dir().join(shockwave_tests::unique("alertmanager"));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::write(
            dir.join("alertmanager.yml"),
            format!(
                "route:\n  receiver: hook\n  group_by: ['shock_id']\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n\
                 receivers:\n  - name: hook\n    webhook_configs:\n      - url: '{hook_url}'\n        send_resolved: true\n"
            ),
        )
        .unwrap();
        let addr = free_addr();
        let child = Command::new("prometheus-alertmanager")
            .arg(format!(
                "--config.file={}",
                dir.join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus-alertmanager is installed (deploy/local/install-prometheus.sh)");
        eventually(
            "Alertmanager listening",
            Duration::from_secs(30),
            || async move { listening(addr).await.then_some(()) },
        )
        .await;
        let url = format!("http://{addr}");
        RealAlertmanager {
            child,
            url,
            _dir: dir,
        }
    }
}

/// Whether something accepts connections at `addr`.
async fn listening(addr: std::net::SocketAddr) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_ok()
}

impl Drop for RealAlertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_reports_the_shock_firing_then_resolved() {
    let pool = migrated_database().await;
    let sink = WebhookSink::start("127.0.0.1:0".parse().unwrap(), "unused", vec![]).await;
    let alertmanager = RealAlertmanager::start(&sink.url).await;
    let receiver = Receiver::Alertmanager(Alertmanager {
        base_url: alertmanager.url.clone(),
        shock_url: Some("http://127.0.0.1:8080/v1/shocks".into()),
        hold: Duration::from_secs(60),
    });
    let name = receiver.name().to_string();
    let stop = worker(&pool, vec![receiver], 5).await;

    let open = shock(ShockStatus::Open, 19);
    store::record(
        &pool,
        std::slice::from_ref(&open),
        std::slice::from_ref(&name),
    )
    .await
    .unwrap();
    let shock_id = match &open.payload {
        shockwave_schemas::Payload::SentimentShockDetected(s) => s.shock_id.to_string(),
        _ => unreachable!(),
    };
    let notified = |status: &'static str| {
        let sink = &sink;
        let shock_id = shock_id.clone();
        move || {
            let found = sink.received().into_iter().find(|r| {
                r.body["status"] == status
                    && r.body["alerts"].as_array().is_some_and(|a| {
                        a.iter()
                            .any(|x| x["labels"]["shock_id"] == shock_id.as_str())
                    })
            });
            async move { found }
        }
    };
    let firing = eventually(
        "Alertmanager notifies firing",
        Duration::from_secs(60),
        notified("firing"),
    )
    .await;
    let alert = &firing.body["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "SentimentShock");
    assert_eq!(alert["labels"]["subject"], "ai_efficiency");
    assert_eq!(alert["labels"]["direction"], "negative");
    assert!(
        alert["annotations"]["description"]
            .as_str()
            .unwrap()
            .contains("$6M model")
    );
    assert_eq!(
        alert["generatorURL"],
        format!("http://127.0.0.1:8080/v1/shocks/{shock_id}")
    );

    let resolved = later(&open, ShockStatus::Resolved, 23);
    store::record(&pool, &[resolved], &[name]).await.unwrap();
    eventually(
        "Alertmanager notifies resolved",
        Duration::from_secs(60),
        notified("resolved"),
    )
    .await;
    stop.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alertmanager_that_is_down_is_retried_then_the_alert_is_dead_lettered() {
    let pool = migrated_database().await;
    let receiver = Receiver::Alertmanager(Alertmanager {
        base_url: format!("http://{}", free_addr()),
        shock_url: None,
        hold: Duration::from_secs(60),
    });
    let name = receiver.name().to_string();
    let mark = TopicMark::now(&brokers(), Topic::DeadLetters).await;
    let stop = worker(&pool, vec![receiver], 3).await;
    let open = shock(ShockStatus::Open, 19);
    store::record(&pool, std::slice::from_ref(&open), &[name])
        .await
        .unwrap();
    let (attempts, error): (i32, String) =
        eventually("the delivery given up", Duration::from_secs(30), || {
            let pool = pool.clone();
            async move {
                sqlx::query_as(
                    "SELECT attempts, last_error FROM alert_deliveries WHERE failed_at IS NOT NULL",
                )
                .fetch_optional(&pool)
                .await
                .unwrap()
            }
        })
        .await;
    assert_eq!(attempts, 3);
    assert!(error.contains("connection"), "{error}");
    let id = open.event_id.to_string();
    eventually("the dead letter", Duration::from_secs(30), || {
        let mark = mark.clone();
        let id = id.clone();
        async move {
            let letters = mark.read_since(&brokers()).await;
            letters
                .iter()
                .filter_map(|r| serde_json::from_slice::<DeadLetter>(&r.payload).ok())
                .find(|l| {
                    l.stage == "alerter"
                        && l.reason_kind == "delivery_failed"
                        && String::from_utf8(l.original().unwrap_or_default())
                            .unwrap_or_default()
                            .contains(&id)
                })
                .map(|_| ())
        }
    })
    .await;
    let metrics = shockwave_kit::metrics::render();
    assert!(
        metrics.contains(
            "shockwave_alert_deliveries_total{outcome=\"failed\",receiver=\"alertmanager\"} 1"
        ),
        "{metrics}"
    );
    stop.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_down_for_a_while_gets_the_alert_once_it_is_back() {
    let pool = migrated_database().await;
    let addr = free_addr();
    let hook = Webhook::new(&format!("http://{addr}/hook"), Secret::new("k".into()));
    let name = hook.name.clone();
    let stop = worker(&pool, vec![Receiver::Webhook(hook)], 100).await;
    let open = shock(ShockStatus::Open, 19);
    let resolved = later(&open, ShockStatus::Resolved, 22);
    store::record(&pool, &[open.clone(), resolved.clone()], &[name])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let failed_attempts: i32 =
        sqlx::query_scalar("SELECT attempts FROM alert_deliveries WHERE event_id = $1")
            .bind(open.event_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        failed_attempts >= 3,
        "{failed_attempts} attempts while down"
    );
    let sink = WebhookSink::start(addr, "k", vec![]).await;
    eventually("both states delivered", Duration::from_secs(30), || {
        let n = sink.accepted().len();
        async move { (n == 2).then_some(()) }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = sink.received();
    assert_eq!(received.len(), 2, "nothing sent twice");
    assert_eq!(
        received
            .iter()
            .map(|r| r.idempotency_key.clone())
            .collect::<Vec<_>>(),
        vec![open.event_id.to_string(), resolved.event_id.to_string()],
        "in order: the shock opens before it resolves"
    );
    assert!(received.iter().all(|r| r.signature_ok));
    stop.trigger();
}
