//! The demo's closing report over the demo week projected by the real pipeline: it states when the shock alert
//! fired against the US open, the sell-off, the evidence, DeepSeek's climb and the lead-lag figures, and it
//! writes the chart; run twice, it says the same. The chart is the picture on the README's front page
//! (`docs/images/demo-chart.svg`): it must be what the pipeline draws today, up to a pixel or two
//! (`SHOCKWAVE_BLESS=1` rewrites it). A few int8 scores move with the CPU's float rounding
//! (models/sentiment/MODEL_CARD.md, "Same numbers on every CPU"), so a daily mean may move a pixel. Two pixels
//! are about two hours on the chart's time axis: an alert moved by more, or anything added, removed or restyled,
//! fails.

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
    let drawn = std::fs::read_to_string(&committed).unwrap_or_default();
    if let Err(difference) = same_drawing(&drawn, &svg, 2.0) {
        panic!(
            "{} is not the chart the pipeline draws ({difference}); regenerate it with SHOCKWAVE_BLESS=1",
            committed.display()
        );
    }
}

/// Whether two SVG texts are the same drawing: the same text between their numbers, and each number within
/// `tolerance` of its counterpart (coordinates are whole pixels).
fn same_drawing(committed: &str, drawn: &str, tolerance: f64) -> Result<(), String> {
    let (ours, theirs) = (pieces(committed), pieces(drawn));
    if ours.len() != theirs.len() {
        return Err(format!("{} pieces, not {}", theirs.len(), ours.len()));
    }
    for (a, b) in ours.iter().zip(&theirs) {
        match (a, b) {
            (Piece::Number(x), Piece::Number(y)) if (x - y).abs() <= tolerance => {}
            (Piece::Text(x), Piece::Text(y)) if x == y => {}
            _ => return Err(format!("{b:?} where the committed chart has {a:?}")),
        }
    }
    Ok(())
}

#[derive(Debug)]
enum Piece<'a> {
    Number(f64),
    Text(&'a str),
}

/// An SVG text cut into numbers (optional minus, digits, optional fraction) and the text between them.
fn pieces(svg: &str) -> Vec<Piece<'_>> {
    let bytes = svg.as_bytes();
    let mut out = Vec::new();
    let (mut at, mut text_from) = (0, 0);
    while at < bytes.len() {
        let digits_from = at + usize::from(bytes[at] == b'-');
        if !bytes.get(digits_from).is_some_and(u8::is_ascii_digit) {
            at += 1;
            continue;
        }
        let mut end = digits_from;
        while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
            end += 1;
        }
        if let Ok(number) = svg[at..end].parse::<f64>() {
            if text_from < at {
                out.push(Piece::Text(&svg[text_from..at]));
            }
            out.push(Piece::Number(number));
            text_from = end;
        }
        at = end;
    }
    if text_from < bytes.len() {
        out.push(Piece::Text(&svg[text_from..]));
    }
    out
}

#[test]
fn drawings_match_within_the_tolerance_and_not_beyond_it() {
    let line = r##"<line stroke="#1F77B4" x1="60" y1="261.5" x2="-74" y2="35"/><text>-0.6</text>"##;
    assert!(same_drawing(line, line, 2.0).is_ok());
    let nudged = line.replace("261.5", "263").replace("-0.6", "-0.4");
    assert!(same_drawing(line, &nudged, 2.0).is_ok());
    let moved = line.replace("x2=\"-74\"", "x2=\"-77\"");
    assert!(same_drawing(line, &moved, 2.0).is_err());
    let restyled = line.replace("stroke=", "fill=");
    assert!(same_drawing(line, &restyled, 2.0).is_err());
    assert!(same_drawing(line, &format!("{line}<rect/>"), 2.0).is_err());
}
