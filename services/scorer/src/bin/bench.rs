//! `scorer-bench`: texts per second and per-text latency of the committed model on the validation texts,
//! tokenisation included, at batch 1, with plain padded batches, with length-sorted token-budgeted batches,
//! and through the full article-scoring path. Usage: `scorer-bench [validation.csv] [model_dir]`.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use shockwave_catalog::Catalog;
use shockwave_kit::cli::{self, VERSION};
use shockwave_schemas::ArticlePublished;
use shockwave_scorer::ModelArgs;
use shockwave_scorer::model::Classifier;
use shockwave_scorer::scoring::Scorer;

/// `scorer-bench`: texts per second and per-text latency of a model on labelled texts, tokenisation included.
#[derive(Debug, Parser)]
#[command(name = "scorer-bench", version = VERSION, about, long_about = None)]
struct Args {
    /// A CSV file whose first column is the text.
    #[arg(default_value = "../shared/data/sentiment/twitter-financial-news/validation.csv")]
    texts: String,
    #[command(flatten)]
    model: ModelArgs,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let args: Args = cli::parse();
    let csv = args.texts.clone();
    let model_dir: PathBuf = args.model.model_dir.clone();
    let threads = args.model.scorer_threads;
    let mut reader = csv::Reader::from_path(&csv)?;
    let texts: Vec<String> = reader
        .records()
        .map(|r| r.map(|r| r[0].to_string()))
        .collect::<Result<_, _>>()?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut classifier =
        Classifier::load(&model_dir, &args.model.runtime(), "bench", "1", threads)?;
    println!(
        "{} texts from {csv}, model {}, {threads} intra-op threads",
        texts.len(),
        model_dir.display()
    );
    classifier.predict_texts(&refs[..256.min(refs.len())], 32, 4096)?; // warm-up

    // Batch 1: each text tokenised and run alone; per-text latency.
    let mut latencies = Vec::with_capacity(refs.len());
    let started = Instant::now();
    for text in &refs {
        let t = Instant::now();
        classifier.predict_texts(&[text], 1, usize::MAX)?;
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let total = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    println!("| mode | texts/s | p50 ms/text | p99 ms/text |\n|---|---|---|---|");
    println!(
        "| batch 1 | {:.0} | {:.2} | {:.2} |",
        refs.len() as f64 / total,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );

    // Plain padded batches of 32 in file order (what a typical client does).
    let started = Instant::now();
    for group in refs.chunks(32) {
        let ids = classifier.tokenize(group)?;
        let rows: Vec<&[i64]> = ids.iter().map(Vec::as_slice).collect();
        classifier.forward(&rows)?;
    }
    println!(
        "| padded batches of 32, file order | {:.0} | | |",
        refs.len() as f64 / started.elapsed().as_secs_f64()
    );

    for (max_batch, budget) in [(32, 4096), (32, 2048), (64, 4096), (16, 1024)] {
        let started = Instant::now();
        classifier.predict_texts(&refs, max_batch, budget)?;
        println!(
            "| length-sorted, <= {max_batch} texts and <= {budget} tokens | {:.0} | | |",
            refs.len() as f64 / started.elapsed().as_secs_f64()
        );
    }

    // The scorer's own path: each text as an article title, chunked, tagged and combined.
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
    let mut scorer = Scorer {
        classifier,
        catalog: Catalog::builtin(),
        max_batch: 32,
        token_budget: 4096,
    };
    for size in [256usize, inputs.len()] {
        let started = Instant::now();
        for group in inputs.chunks(size) {
            scorer.score(group)?;
        }
        println!(
            "| scorer path (chunk, tag, combine), {size} articles per call | {:.0} | | |",
            inputs.len() as f64 / started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
