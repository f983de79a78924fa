//! `scorer score`: users try the model on their own text. Each line of standard input (a plain text, or with
//! `--ndjson` an object with `title` and optional `body`) goes through exactly the service's scoring path
//! (chunking, the model, topics and tickers from the catalog) and comes out as one JSON line.

use std::io::{BufRead, Write};

use chrono::Utc;
use serde::Deserialize;
use shockwave_schemas::ArticlePublished;
use uuid::Uuid;

use crate::scoring::Scorer;

/// Lines scored per model call.
const GROUP: usize = 64;

#[derive(Deserialize)]
struct Input {
    title: String,
    #[serde(default)]
    body: String,
}

fn article(title: String, body: String) -> ArticlePublished {
    ArticlePublished {
        canonical_url: String::new(),
        title,
        body,
        language: "und".into(),
        published_at_estimated: false,
        feed_id: "stdin".into(),
        source_name: "stdin".into(),
        topic_hints: Vec::new(),
        published_at: Utc::now(),
    }
}

/// The JSON line for one scored input, or for one that could not be read.
fn line(result: Result<shockwave_schemas::ArticleScored, String>) -> serde_json::Value {
    match result {
        Ok(score) => serde_json::json!({
            "label": score.label,
            "probabilities": score.probabilities,
            "score": score.score,
            "topics": score.topics,
            "tickers": score.tickers,
            "model": score.model,
        }),
        Err(error) => serde_json::json!({ "error": error }),
    }
}

/// The article one input line holds, or why it holds none. A line that is not UTF-8 gets an error of its own,
/// so the lines around it are still scored and the output keeps one line per input line.
fn read_line(bytes: &[u8], ndjson: bool) -> Result<ArticlePublished, String> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
    if ndjson {
        serde_json::from_str::<Input>(text)
            .map(|i| article(i.title, i.body))
            .map_err(|e| format!("not an object with a title: {e}"))
    } else {
        Ok(article(text.to_string(), String::new()))
    }
}

/// Scores every line of `input` and writes one JSON line per input line to `output`, in order.
pub fn score_lines(
    scorer: &mut Scorer,
    input: impl BufRead,
    mut output: impl Write,
    ndjson: bool,
) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut pending: Vec<Result<ArticlePublished, String>> = Vec::new();
    let mut lines = input.split(b'\n');
    loop {
        let next = lines.next();
        if let Some(bytes) = next.as_ref() {
            let bytes = bytes
                .as_ref()
                .map_err(|e| anyhow::anyhow!("reading input: {e}"))?;
            pending.push(read_line(bytes, ndjson));
        }
        if pending.len() >= GROUP || (next.is_none() && !pending.is_empty()) {
            let readable: Vec<(Uuid, &ArticlePublished)> = pending
                .iter()
                .filter_map(|p| p.as_ref().ok())
                .map(|a| (Uuid::nil(), a))
                .collect();
            let mut scores = scorer.score(&readable)?.into_iter();
            for item in &pending {
                let result = match item {
                    Ok(_) => Ok(scores.next().expect("one score per readable input")),
                    Err(error) => Err(error.clone()),
                };
                writeln!(output, "{}", line(result))?;
                count += 1;
            }
            output.flush()?;
            pending.clear();
        }
        if next.is_none() {
            return Ok(count);
        }
    }
}
