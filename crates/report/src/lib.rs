//! The demo's closing report: read from the projected views after a replay, it says when the sentiment shock
//! alert fired against the US open, how the AI-hardware basket moved, which articles weighed most, how the
//! DeepSeek app climbed, what the lead-lag table shows, and where to query; and it draws the chart (SVG).

pub mod chart;
pub mod facts;
pub mod market_hours;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sqlx::PgPool;

/// What [`write`] produced.
#[derive(Debug)]
pub struct Report {
    pub text: String,
    pub chart: PathBuf,
}

fn pct(x: f64) -> String {
    format!("{:+.2} %", x * 100.0)
}

/// Builds the report and writes `report.txt` and `chart.svg` into `out_dir`.
pub async fn write(pool: &PgPool, out_dir: &Path, api_base: &str) -> anyhow::Result<Report> {
    let facts = facts::gather(pool).await?;
    let mut text = String::new();
    let shock = &facts.shock;
    writeln!(text, "DeepSeek week: the shock, the alert and the market")?;
    writeln!(text)?;
    writeln!(
        text,
        "Alert: {} sentiment shock on {} opened {} (evidence {:.1} nats, {} articles; strongest {:.1}).",
        shock.direction,
        shock.subject,
        shock.opened_at.format("%a %Y-%m-%d %H:%M UTC"),
        shock.opening_evidence.abs(),
        shock.opening_articles,
        shock.peak_evidence.abs()
    )?;
    let lead = facts.us_open - shock.opened_at;
    writeln!(
        text,
        "It fired {} h {:02} min {} the US open ({}).",
        lead.num_minutes().abs() / 60,
        lead.num_minutes().abs() % 60,
        if lead.num_minutes() >= 0 {
            "before"
        } else {
            "after"
        },
        facts.us_open.format("%a %Y-%m-%d %H:%M UTC")
    )?;
    writeln!(text)?;
    writeln!(text, "Market on {}:", facts.event_day)?;
    for (name, value) in &facts.moves {
        writeln!(text, "  {name:<22} {}", pct(*value))?;
    }
    writeln!(text)?;
    writeln!(text, "Top evidence:")?;
    for (title, score) in &shock.evidence {
        writeln!(text, "  {score:+.2}  {title}")?;
    }
    writeln!(text)?;
    writeln!(text, "DeepSeek on the US App Store (top free):")?;
    for (day, rank) in &facts.app_climb {
        writeln!(text, "  {day}  No. {rank}")?;
    }
    writeln!(text)?;
    writeln!(
        text,
        "Lead-lag, ai_efficiency news against the basket (lag in sessions):"
    )?;
    for row in &facts.lead_lag {
        writeln!(text, "  {row}")?;
    }
    writeln!(text)?;
    writeln!(text, "Query it:")?;
    for path in [
        format!("/v1/shocks/{}", shock.shock_id),
        format!("/v1/event-study?shock_id={}", shock.shock_id),
        "/v1/sentiment?topic=ai_efficiency&bucket=day&from=2025-01-13&to=2025-02-07".to_string(),
        "/v1/returns?instrument=basket:ai_hardware&kind=abnormal&benchmark=QQQ&from=2025-01-20&to=2025-01-31"
            .to_string(),
        "/v1/app-ranks?app=6737597349&from=2025-01-20&to=2025-01-31".to_string(),
        "/v1/correlations?topic=ai_efficiency&instrument=basket:ai_hardware".to_string(),
    ] {
        writeln!(text, "  curl '{api_base}{path}'")?;
    }
    std::fs::create_dir_all(out_dir)?;
    let chart = out_dir.join("chart.svg");
    chart::draw(pool, &chart, shock.opened_at, facts.event_day).await?;
    writeln!(text)?;
    writeln!(text, "Chart: {}", chart.display())?;
    std::fs::write(out_dir.join("report.txt"), &text)?;
    Ok(Report { text, chart })
}
