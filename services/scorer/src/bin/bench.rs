//! `scorer-bench`: texts per second of the served model on labelled texts, tokenisation included, side by side
//! with ONNX Runtime from Python in the same run: rounds alternate between the Python reference (the fp32 twin
//! and the served file, length-sorted batches of 32) and the Rust scorer (the same batching, then its own
//! token-budgeted batching), and the table gives each figure's median and its ratio to the references. Then
//! batch 1 (throughput, latency and CPU per text, back to back and paced, with ONNX Runtime's threads spinning
//! and not) and the full article path (chunk, score, tag topics, combine). `bench/scorer.sh` prepares the
//! Python environment and the fp32 twin and runs it.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use shockwave_kit::cli::{self, VERSION};
use shockwave_schemas::ArticlePublished;
use shockwave_scorer::ModelArgs;
use shockwave_scorer::model::Classifier;

/// `scorer-bench`: the served model's speed beside ONNX Runtime in Python, in one run.
#[derive(Debug, Parser)]
#[command(name = "scorer-bench", version = VERSION, about, long_about = None)]
struct Args {
    /// A CSV file whose first column is the text.
    #[arg(default_value = "../shared/data/sentiment/twitter-financial-news/validation.csv")]
    texts: String,
    #[command(flatten)]
    model: ModelArgs,
    /// A Python interpreter with onnxruntime, tokenizers and numpy: runs the reference beside each round.
    #[arg(long, value_name = "PYTHON")]
    python: Option<PathBuf>,
    /// The fp32 model the Python reference also runs (`recipe/dequantize_int8.py` makes the served file's twin).
    #[arg(long, value_name = "FILE")]
    reference_fp32: Option<PathBuf>,
    /// Rounds; each figure is the median over them.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    rounds: u32,
}

/// This process's CPU time so far, all threads together.
fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Batch-1 figures: throughput counting only the scoring time, per-text latency and CPU per text.
struct BatchOne {
    texts_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_ms_per_text: f64,
}

fn batch_one(
    classifier: &mut Classifier,
    texts: &[&str],
    pause: Option<Duration>,
) -> anyhow::Result<BatchOne> {
    let mut latencies = Vec::with_capacity(texts.len());
    let cpu_before = process_cpu();
    for text in texts {
        let t = Instant::now();
        classifier.predict_texts(&[text], 1, usize::MAX)?;
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        if let Some(pause) = pause {
            std::thread::sleep(pause);
        }
    }
    let cpu = process_cpu() - cpu_before;
    let busy: f64 = latencies.iter().sum::<f64>() / 1000.0;
    latencies.sort_by(f64::total_cmp);
    Ok(BatchOne {
        texts_per_second: texts.len() as f64 / busy,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        cpu_ms_per_text: cpu.as_secs_f64() * 1000.0 / texts.len() as f64,
    })
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, 0.5)
}

/// Texts per second of the Python reference on `model`, length-sorted batches of 32.
fn python_reference(
    python: &PathBuf,
    model: &std::path::Path,
    tokenizer: &std::path::Path,
    texts: &str,
    threads: usize,
) -> anyhow::Result<f64> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/sentiment/recipe/reference_bench.py");
    let out = Command::new(python)
        .arg(script)
        .arg("--model")
        .arg(model)
        .arg("--tokenizer")
        .arg(tokenizer)
        .arg("--texts")
        .arg(texts)
        .env("THREADS", threads.to_string())
        .output()
        .context("running the Python reference")?;
    anyhow::ensure!(
        out.status.success(),
        "the Python reference failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    line["texts_per_second"]
        .as_f64()
        .context("the reference printed no texts_per_second")
}

fn main() -> anyhow::Result<()> {
    let args: Args = cli::parse();
    let model_dir = args.model.model_dir.clone();
    let threads = args.model.scorer_threads;
    let texts: Vec<String> = csv::Reader::from_path(&args.texts)?
        .records()
        .map(|r| r.map(|r| r[0].to_string()))
        .collect::<Result<_, _>>()?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut scorer = args.model.scorer()?;
    println!(
        "{} texts from {}, model {} ({} version {}), {threads} intra-op threads (spinning: {}), {} rounds",
        texts.len(),
        args.texts,
        model_dir.display(),
        scorer.classifier.lineage.name,
        scorer.classifier.lineage.version,
        args.model.scorer_spin,
        args.rounds
    );
    scorer
        .classifier
        .predict_texts(&refs[..256.min(refs.len())], 32, 4096)?; // warm-up

    let (max_batch, budget) = (args.model.scorer_max_batch, args.model.scorer_token_budget);
    let served_batching = format!("length-sorted, <= {max_batch} texts and <= {budget} tokens");
    let mut rows: Vec<(String, Vec<f64>)> = Vec::new();
    let mut record = |name: &str, value: f64| match rows.iter_mut().find(|(n, _)| n == name) {
        Some((_, values)) => values.push(value),
        None => rows.push((name.to_string(), vec![value])),
    };
    let served_file = model_dir.join("model.onnx");
    let tokenizer = model_dir.join("tokenizer.json");
    for _ in 0..args.rounds {
        if let Some(python) = &args.python {
            if let Some(fp32) = &args.reference_fp32 {
                let v = python_reference(python, fp32, &tokenizer, &args.texts, threads)?;
                record(
                    "Python ONNX Runtime, fp32 twin, length-sorted batches of 32",
                    v,
                );
            }
            let v = python_reference(python, &served_file, &tokenizer, &args.texts, threads)?;
            record(
                "Python ONNX Runtime, served file, length-sorted batches of 32",
                v,
            );
        }
        let started = Instant::now();
        scorer.classifier.predict_texts(&refs, 32, usize::MAX)?;
        record(
            "scorer, served file, length-sorted batches of 32",
            refs.len() as f64 / started.elapsed().as_secs_f64(),
        );
        let started = Instant::now();
        scorer.classifier.predict_texts(&refs, max_batch, budget)?;
        record(
            &format!("scorer, served file, {served_batching}"),
            refs.len() as f64 / started.elapsed().as_secs_f64(),
        );
    }
    let fp32 = rows
        .iter()
        .find(|(n, _)| n.contains("fp32 twin"))
        .map(|(_, v)| median(v));
    let same_file = rows
        .iter()
        .find(|(n, _)| n.starts_with("Python") && n.contains("served file"))
        .map(|(_, v)| median(v));
    let ratio = |value: f64, reference: Option<f64>| {
        reference.map_or("".to_string(), |r| format!("{:.2}x", value / r))
    };
    println!(
        "\n| mode | texts/s (median) | min-max | vs Python fp32 | vs Python, same file |\n|---|---|---|---|---|"
    );
    for (name, values) in &rows {
        let m = median(values);
        let (lo, hi) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        println!(
            "| {name} | {m:.0} | {lo:.0}-{hi:.0} | {} | {} |",
            ratio(m, fp32),
            ratio(m, same_file)
        );
    }

    // Batch 1: each text tokenised and run alone, back to back and then paced (a pause after each text, as a
    // stream slower than the scorer gives), with ONNX Runtime's threads spinning between texts and not.
    let mut other = args.model.clone();
    other.scorer_spin = !other.scorer_spin;
    let mut other = other.scorer()?;
    other
        .classifier
        .predict_texts(&refs[..64.min(refs.len())], 1, usize::MAX)?; // warm-up
    println!(
        "\n| batch 1 | spinning | texts/s | p50 ms | p99 ms | CPU ms per text |\n|---|---|---|---|---|---|"
    );
    let paced = &refs[..500.min(refs.len())];
    for (label, texts, pause) in [
        ("back to back", &refs[..], None),
        ("paced, 20 ms pause", paced, Some(Duration::from_millis(20))),
    ] {
        for classifier in [&mut scorer.classifier, &mut other.classifier] {
            let run = batch_one(classifier, texts, pause)?;
            println!(
                "| {label} | {} | {:.0} | {:.2} | {:.2} | {:.1} |",
                if classifier.spins() { "yes" } else { "no" },
                run.texts_per_second,
                run.p50_ms,
                run.p99_ms,
                run.cpu_ms_per_text
            );
        }
    }

    // The scorer's own path: each text as an article title, chunked, scored, tagged and combined.
    let articles: Vec<ArticlePublished> = texts
        .iter()
        .map(|t| ArticlePublished {
            canonical_url: String::new(),
            title: t.clone(),
            body: String::new(),
            language: "en".into(),
            published_at_estimated: false,
            feed_id: "bench".into(),
            source_name: "bench".into(),
            topic_hints: vec![],
            published_at: chrono::Utc::now(),
        })
        .collect();
    let inputs: Vec<_> = articles.iter().map(|a| (uuid::Uuid::nil(), a)).collect();
    let started = Instant::now();
    scorer.score(&inputs)?;
    println!(
        "article path (chunk, score, tag topics, combine): {:.0} articles/s",
        inputs.len() as f64 / started.elapsed().as_secs_f64()
    );
    Ok(())
}
