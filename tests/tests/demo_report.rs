//! The demo's closing report over the demo week projected by the real pipeline: it states when the shock alert
//! fired against the US open, the sell-off, the evidence, DeepSeek's climb and the lead-lag figures, and it
//! writes the chart; run twice, it says the same. The chart is the picture on the README's front page
//! (`docs/images/demo-chart.svg`): it must be what the pipeline draws today (`SHOCKWAVE_BLESS=1` rewrites it).

use shockwave_tests::demo_week::DemoWeek;
use shockwave_tests::{repo_root, unique};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_tells_the_story_and_draws_the_chart() {
    let week = DemoWeek::project(19099).await;
    let pool = week.stop().await;
    let out = std::env::temp_dir().join(unique("demo-report"));
    let report = shockwave_report::write(&pool, &out, "http://127.0.0.1:8080")
        .await
        .unwrap();
    println!("{}", report.text);
    let text = &report.text;
    shockwave_tests::demo_week::assert_alert_before_the_open(text);
    assert!(text.contains("NVDA                   -16.97 %"), "{text}");
    assert!(text.contains("2025-01-26  No. 1"), "{text}");
    assert!(text.contains("Sentiment lag +1: n "), "{text}");
    assert!(
        text.contains("curl 'http://127.0.0.1:8080/v1/shocks/"),
        "{text}"
    );
    let evidence = text
        .split("Top evidence:")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    assert!(
        evidence
            .lines()
            .filter(|l| l.trim_start().starts_with('-'))
            .count()
            >= 3,
        "{evidence}"
    );
    let svg = std::fs::read_to_string(&report.chart).unwrap();
    assert!(
        svg.len() > 10_000 && svg.starts_with("<svg"),
        "{} bytes",
        svg.len()
    );
    for label in ["sentiment", "buzz", "NVDA", "^SOX", "shock alert"] {
        assert!(svg.contains(label), "the chart lacks {label}");
    }
    let again = shockwave_report::write(&pool, &out, "http://127.0.0.1:8080")
        .await
        .unwrap();
    assert_eq!(&again.text, text, "the same data gives the same report");
    assert_eq!(std::fs::read_to_string(&again.chart).unwrap(), svg);

    let committed = repo_root().join("docs/images/demo-chart.svg");
    if shockwave_tests::bless() {
        std::fs::create_dir_all(committed.parent().unwrap()).unwrap();
        std::fs::write(&committed, &svg).unwrap();
    }
    assert!(
        std::fs::read_to_string(&committed).is_ok_and(|c| c == svg),
        "{} is not the chart the pipeline draws; regenerate it with SHOCKWAVE_BLESS=1",
        committed.display()
    );
}
