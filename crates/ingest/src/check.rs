//! `--check-sources`: fetch each configured source once through the service's own fetch and parse path and
//! print a table (source, HTTP outcome, items, newest item, items refused), so a user sees at once which
//! sources work from their network. Nothing is published.

use chrono::{DateTime, Utc};

use crate::fetch::{Fetched, Fetcher};
use crate::poll::{Converted, PollTarget};

/// What one source gave.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    pub source: String,
    /// `200`, `304`, or the fetch error's kind and words.
    pub outcome: String,
    pub items: usize,
    pub newest: Option<DateTime<Utc>>,
    pub refused: usize,
    /// Whether the source answered and every item in it was read.
    pub ok: bool,
}

impl CheckRow {
    /// The row for a fetched document, converted by the service's parser.
    pub fn from_converted(source: &str, converted: &Converted) -> Self {
        Self {
            source: source.to_string(),
            outcome: "200".into(),
            items: converted.events.len(),
            newest: converted.events.iter().map(|e| e.occurred_at).max(),
            refused: converted.rejects.len(),
            ok: converted.rejects.is_empty() && !converted.events.is_empty(),
        }
    }

    /// The row for a source that did not answer with a document.
    pub fn failed(source: &str, outcome: String) -> Self {
        Self {
            source: source.to_string(),
            outcome,
            items: 0,
            newest: None,
            refused: 0,
            ok: false,
        }
    }
}

/// Fetches every target once, one after the other, and converts what it got.
pub async fn check_targets<T: PollTarget>(
    fetcher: &Fetcher,
    targets: &[T],
    convert: impl Fn(&T, &[u8], Option<&str>, &str) -> Converted,
) -> Vec<CheckRow> {
    let mut rows = Vec::with_capacity(targets.len());
    for target in targets {
        let url = target.url();
        let row = match fetcher.get(&url, &target.headers()).await {
            Ok(Fetched::Body {
                bytes,
                content_type,
            }) => CheckRow::from_converted(
                target.id(),
                &convert(target, &bytes, content_type.as_deref(), &url),
            ),
            Ok(Fetched::NotModified) => CheckRow {
                outcome: "304".into(),
                ok: true,
                ..CheckRow::failed(target.id(), String::new())
            },
            Err(error) => CheckRow::failed(target.id(), format!("{}: {error}", error.kind())),
        };
        rows.push(row);
    }
    rows
}

/// Prints the table on standard output and exits: 0 when every source works, 1 otherwise.
pub fn print_and_exit(rows: &[CheckRow]) -> ! {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe must not turn a finished check into a panic; the exit code still tells.
    let _ = stdout.write_all(table(rows).as_bytes());
    let _ = stdout.flush();
    std::process::exit(if rows.iter().all(|r| r.ok) { 0 } else { 1 })
}

/// The rows as a fixed-width table, with a last line counting the sources that work.
pub fn table(rows: &[CheckRow]) -> String {
    let width = rows
        .iter()
        .map(|r| r.source.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!(
        "{:<width$}  {:<4}  {:>5}  {:<17}  {:>7}  outcome\n",
        "source", "ok", "items", "newest (UTC)", "refused"
    );
    for row in rows {
        let newest = row
            .newest
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{:<width$}  {:<4}  {:>5}  {:<17}  {:>7}  {}\n",
            row.source,
            if row.ok { "yes" } else { "NO" },
            row.items,
            newest,
            row.refused,
            row.outcome
        ));
    }
    let working = rows.iter().filter(|r| r.ok).count();
    out.push_str(&format!("{working} of {} sources work\n", rows.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_marks_failures_and_counts_what_works() {
        let rows = vec![
            CheckRow {
                source: "wire".into(),
                outcome: "200".into(),
                items: 3,
                newest: DateTime::from_timestamp(1_737_990_000, 0),
                refused: 0,
                ok: true,
            },
            CheckRow::failed("gone", "status: HTTP 404 after 1 attempt(s)".into()),
        ];
        let text = table(&rows);
        assert!(
            text.contains("wire    yes       3  2025-01-27 15:00"),
            "{text}"
        );
        assert!(text.contains("gone    NO        0  -"), "{text}");
        assert!(text.ends_with("1 of 2 sources work\n"), "{text}");
    }
}
