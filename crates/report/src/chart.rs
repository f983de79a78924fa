//! The chart (SVG): three stacked panels over the weeks around the shock: daily `ai_efficiency` mean sentiment,
//! its buzz, and NVDA and ^SOX closes indexed to 100 on the first day; a red line marks when the shock alert
//! opened.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Days, NaiveDate, Utc};
use plotters::prelude::*;
use sqlx::PgPool;

type Series = Vec<(f64, f64)>;
/// One line of a panel: its points, colour and legend.
type Line<'a> = (&'a Series, RGBColor, &'static str);

/// Days since `start`, with the fraction of the day.
fn x_of(start: NaiveDate, at: DateTime<Utc>) -> f64 {
    let origin = start.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    (at - origin).num_seconds() as f64 / 86_400.0
}

async fn sentiment(
    pool: &PgPool,
    start: NaiveDate,
    end: NaiveDate,
) -> anyhow::Result<(Series, Series)> {
    let rows: Vec<(DateTime<Utc>, f64, Option<f64>)> = sqlx::query_as(
        "SELECT bucket_start, mean_score, buzz FROM sentiment_buckets WHERE bucket_size = 'day' \
         AND subject_kind = 'topic' AND subject = 'ai_efficiency' AND bucket_start::date BETWEEN $1 AND $2 ORDER BY 1",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    let mean = rows
        .iter()
        .map(|(t, m, _)| (x_of(start, *t) + 0.5, *m))
        .collect();
    let buzz = rows
        .iter()
        .filter_map(|(t, _, b)| b.map(|b| (x_of(start, *t) + 0.5, b)))
        .collect();
    Ok((mean, buzz))
}

async fn closes(
    pool: &PgPool,
    ticker: &str,
    start: NaiveDate,
    end: NaiveDate,
) -> anyhow::Result<Series> {
    let rows: Vec<(DateTime<Utc>, f64)> = sqlx::query_as(
        "SELECT closes_at, close FROM daily_returns WHERE ticker = $1 AND day BETWEEN $2 AND $3 AND closes_at IS NOT NULL ORDER BY day",
    )
    .bind(ticker)
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    let first = rows
        .first()
        .map(|r| r.1)
        .with_context(|| format!("no {ticker} closes"))?;
    Ok(rows
        .iter()
        .map(|(t, c)| (x_of(start, *t), c / first * 100.0))
        .collect())
}

fn bounds(series: &[&Series], pad: f64) -> (f64, f64) {
    let values = series.iter().flat_map(|s| s.iter().map(|p| p.1));
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    let span = (hi - lo).max(1e-9);
    (lo - span * pad, hi + span * pad)
}

pub async fn draw(
    pool: &PgPool,
    path: &Path,
    shock_at: DateTime<Utc>,
    event_day: NaiveDate,
) -> anyhow::Result<()> {
    let start = event_day - Days::new(21);
    let end = event_day + Days::new(11);
    let (mean, buzz) = sentiment(pool, start, end).await?;
    let nvda = closes(pool, "NVDA", start, end).await?;
    let sox = closes(pool, "^SOX", start, end).await?;
    let days = (end - start).num_days() as f64;
    let shock_x = x_of(start, shock_at);
    let label = |x: &f64| {
        (start + Days::new(x.max(0.0) as u64))
            .format("%b %d")
            .to_string()
    };

    let root = SVGBackend::new(path, (1000, 900)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((3, 1));
    let specs: [(&str, Vec<Line>); 3] = [
        (
            "ai_efficiency daily mean sentiment (-1 to +1)",
            vec![(&mean, BLUE, "sentiment")],
        ),
        (
            "ai_efficiency buzz (articles vs trailing week)",
            vec![(&buzz, RGBColor(230, 120, 0), "buzz")],
        ),
        (
            "closes, indexed to 100",
            vec![
                (&nvda, RGBColor(40, 160, 40), "NVDA"),
                (&sox, RGBColor(120, 60, 160), "^SOX"),
            ],
        ),
    ];
    for (area, (title, lines)) in panels.iter().zip(specs) {
        let all: Vec<&Series> = lines.iter().map(|(s, _, _)| *s).collect();
        let (lo, hi) = bounds(&all, 0.1);
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..days, lo..hi)?;
        chart
            .configure_mesh()
            .x_labels(12)
            .x_label_formatter(&label)
            .draw()?;
        for (series, color, name) in lines {
            chart
                .draw_series(LineSeries::new(
                    series.iter().copied(),
                    color.stroke_width(2),
                ))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            chart.draw_series(series.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
        }
        chart
            .draw_series(LineSeries::new(
                [(shock_x, lo), (shock_x, hi)],
                RED.stroke_width(2),
            ))?
            .label("shock alert")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
