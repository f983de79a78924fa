//! Buzz over stored buckets: each bucket's count against the mean count per bucket of the trailing seven days
//! before it, the same figure as the `sentiment_buckets` view's window (`RANGE BETWEEN interval '7 days'
//! PRECEDING AND CURRENT ROW`, less the bucket itself), computed in one pass with a sliding sum of integers.

use chrono::{DateTime, Duration, Utc};

/// Stored buckets as the queries return them: one array per column, in time order.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct Columns {
    starts: Vec<DateTime<Utc>>,
    means: Vec<f64>,
    positives: Vec<i64>,
    negatives: Vec<i64>,
    counts: Vec<i64>,
}

impl Columns {
    /// The buckets, in time order (`array_agg` keeps its ordered subquery's order; sorted again if not).
    pub(super) fn into_rows(self) -> Vec<Stored> {
        let mut rows: Vec<Stored> = self
            .starts
            .into_iter()
            .zip(self.means)
            .zip(self.positives.into_iter().zip(self.negatives))
            .zip(self.counts)
            .map(
                |(((bucket_start, mean_score), (positive, negative)), article_count)| Stored {
                    bucket_start,
                    mean_score,
                    positive,
                    negative,
                    article_count,
                },
            )
            .collect();
        if !rows.is_sorted_by_key(|r| r.bucket_start) {
            rows.sort_by_key(|r| r.bucket_start);
        }
        rows
    }
}

/// One bucket as stored: its start, mean score, label counts and article count.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stored {
    pub bucket_start: DateTime<Utc>,
    pub mean_score: f64,
    pub positive: i64,
    pub negative: i64,
    pub article_count: i64,
}

/// The trailing window buzz compares against.
pub(super) const TRAILING: Duration = Duration::days(7);

/// `rows` in time order, from `TRAILING` before `first` on: returns the buckets from `first` on, each with
/// its label shares and buzz (absent when the trailing week held no article). `per_week` is how many buckets
/// of this size a week holds.
pub(super) fn with_buzz(
    rows: &[Stored],
    first: DateTime<Utc>,
    per_week: f64,
) -> Vec<super::sentiment::Bucket> {
    let mut out = Vec::with_capacity(rows.len());
    let (mut tail, mut window) = (0usize, 0i64);
    for (i, row) in rows.iter().enumerate() {
        window += row.article_count;
        while rows[tail].bucket_start < row.bucket_start - TRAILING {
            window -= rows[tail].article_count;
            tail += 1;
        }
        if row.bucket_start < first {
            continue;
        }
        debug_assert!(tail <= i);
        let count = row.article_count as f64;
        let before = window - row.article_count;
        let mean_before = before as f64 / per_week;
        out.push(super::sentiment::Bucket {
            bucket_start: row.bucket_start,
            mean_score: row.mean_score,
            positive_share: row.positive as f64 / count,
            negative_share: row.negative as f64 / count,
            article_count: row.article_count,
            buzz: (mean_before != 0.0).then(|| count / mean_before),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, day, hour, 0, 0).unwrap()
    }

    fn row(bucket_start: DateTime<Utc>, article_count: i64) -> Stored {
        Stored {
            bucket_start,
            mean_score: -0.5,
            positive: 0,
            negative: article_count,
            article_count,
        }
    }

    #[test]
    fn buzz_is_the_count_over_the_trailing_weeks_mean_per_bucket() {
        // Days 1..=7 hold one article each, day 8 holds seven: the week before day 8 averages one a day (day
        // 1 is exactly seven days before it, and the window includes its start).
        let mut rows: Vec<Stored> = (1..=7).map(|d| row(at(d, 0), 1)).collect();
        rows.push(row(at(8, 0), 7));
        let out = with_buzz(&rows, at(8, 0), 7.0);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].buzz, Some(7.0 / (7.0 / 7.0)));
        assert_eq!(out[0].negative_share, 1.0);
        // Day 9, with day 1 now out of the window.
        rows.push(row(at(9, 0), 2));
        let out = with_buzz(&rows, at(9, 0), 7.0);
        assert_eq!(out[0].buzz, Some(2.0 / ((6.0 + 7.0) / 7.0)));
    }

    #[test]
    fn columns_become_rows_in_time_order() {
        let columns = Columns {
            starts: vec![at(2, 0), at(1, 0)],
            means: vec![0.5, -0.5],
            positives: vec![1, 0],
            negatives: vec![0, 1],
            counts: vec![1, 1],
        };
        let rows = columns.into_rows();
        assert_eq!(
            rows,
            vec![
                row(at(1, 0), 1),
                Stored {
                    mean_score: 0.5,
                    positive: 1,
                    negative: 0,
                    ..row(at(2, 0), 1)
                }
            ]
        );
    }

    #[test]
    fn a_quiet_trailing_week_has_no_buzz_and_earlier_rows_are_context_only() {
        let rows = vec![row(at(1, 0), 3), row(at(20, 5), 2), row(at(20, 6), 1)];
        let out = with_buzz(&rows, at(20, 0), 168.0);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].buzz, None, "day 1 is out of the window");
        assert_eq!(out[1].buzz, Some(1.0 / (2.0 / 168.0)));
    }
}
