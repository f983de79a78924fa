//! The committed model served from Rust: it reproduces the trainer's logits, gives identical outputs run after
//! run, and scores hostile input without crashing or hanging.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use shockwave_catalog::Catalog;
use shockwave_schemas::payloads::Validate;
use shockwave_schemas::{ArticlePublished, SentimentLabel};
use shockwave_scorer::model::{Classifier, default_runtime_path};

/// The runtime library: `ORT_DYLIB_PATH` (test.sh sets it), else the per-machine install.
fn runtime() -> PathBuf {
    shockwave_kit::config::env("ORT_DYLIB_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| default_runtime_path(None))
}
use shockwave_scorer::scoring::Scorer;

fn model_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/sentiment/v1")
}

fn classifier() -> Classifier {
    Classifier::load(
        &model_dir(),
        &runtime(),
        "shockwave-sentiment-minilm",
        "1",
        2,
    )
    .expect("model and runtime load (deploy/local/install-onnxruntime.sh)")
}

fn article(title: &str, body: &str, language: &str) -> ArticlePublished {
    ArticlePublished {
        canonical_url: "https://example.org/a".into(),
        title: title.into(),
        body: body.into(),
        language: language.into(),
        published_at_estimated: false,
        feed_id: "test".into(),
        source_name: "test".into(),
        topic_hints: vec![],
        published_at: chrono::Utc::now(),
    }
}

#[test]
fn the_rust_path_reproduces_the_trainers_logits_within_1e_3() {
    let fixture: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model_dir().join("parity_fixture.json")).unwrap())
            .unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 64);
    let mut model = classifier();
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    let ids = model.tokenize(&texts).unwrap();
    let predictions = model.predict_ids(&ids, 32, 4096).unwrap();
    let mut worst = 0.0f64;
    for ((case, ids), prediction) in cases.iter().zip(&ids).zip(&predictions) {
        let expected_ids: Vec<i64> = case["input_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(ids, &expected_ids, "tokens differ for {:?}", case["text"]);
        for (k, expected) in case["logits"].as_array().unwrap().iter().enumerate() {
            worst = worst.max((f64::from(prediction.logits[k]) - expected.as_f64().unwrap()).abs());
        }
    }
    println!("largest logit difference from the trainer over 64 texts: {worst:.2e}");
    assert!(worst < 1e-3, "largest logit difference {worst}");
}

#[test]
fn the_same_input_gives_bit_identical_outputs_run_after_run() {
    let mut model = classifier();
    let texts = [
        "Nvidia shares plunge as DeepSeek rattles chip investors",
        "Apple to hold its annual meeting on Tuesday",
        "Broadcom beats estimates and raises guidance",
    ];
    let first = model.predict_texts(&texts, 32, 4096).unwrap();
    for _ in 0..3 {
        assert_eq!(model.predict_texts(&texts, 32, 4096).unwrap(), first);
    }
    let mut fresh = classifier();
    assert_eq!(fresh.predict_texts(&texts, 32, 4096).unwrap(), first);
}

#[test]
fn batching_does_not_change_what_a_text_scores() {
    let mut model = classifier();
    let texts = [
        "Nvidia shares plunge",
        "A much longer headline about quarterly earnings that beat expectations by a wide margin",
        "ok",
    ];
    let together = model.predict_texts(&texts, 32, 4096).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let alone = model.predict_texts(&[text], 1, 4096).unwrap();
        for k in 0..3 {
            assert!((alone[0].logits[k] - together[i].logits[k]).abs() < 1e-4);
        }
    }
}

#[test]
fn clear_headlines_get_the_obvious_label() {
    let mut scorer = Scorer {
        classifier: classifier(),
        catalog: Catalog::builtin(),
        max_batch: 32,
        token_budget: 2048,
    };
    let bad = article(
        "Nvidia shares plunge 17% in record rout as investors dump chip stocks",
        "",
        "en",
    );
    let good = article(
        "Broadcom shares soar after record quarterly revenue beats estimates",
        "",
        "en",
    );
    let scores = scorer
        .score(&[(uuid::Uuid::nil(), &bad), (uuid::Uuid::nil(), &good)])
        .unwrap();
    assert_eq!(
        scores[0].label,
        SentimentLabel::Negative,
        "{:?}",
        scores[0].probabilities
    );
    assert_eq!(
        scores[1].label,
        SentimentLabel::Positive,
        "{:?}",
        scores[1].probabilities
    );
}

#[test]
fn hostile_input_is_scored_within_bounds_and_quickly() {
    let mut scorer = Scorer {
        classifier: classifier(),
        catalog: Catalog::builtin(),
        max_batch: 32,
        token_budget: 2048,
    };
    let megabyte = "Chipmakers fell sharply on Monday. ".repeat(30_000);
    let cases = [
        article("x", "", "en"),
        article("Title", &megabyte, "en"),
        article(
            "https://t.co/abc https://example.com/x?y=1",
            "https://a.b/c",
            "en",
        ),
        article("\u{1F680}\u{1F680}\u{1F4C9}\u{1F4C9}", "\u{1F525}", "und"),
        article(
            "\u{FFFD}\u{FFFD} broken \u{0000} bytes",
            "\u{200B}\u{200B}",
            "en",
        ),
        article(
            "DeepSeek entraîne un modèle de pointe pour 6 millions de dollars",
            "Les valeurs des semi-conducteurs chutent.",
            "fr",
        ),
        article("深度求索发布新模型", "英伟达股价大跌。", "zh"),
    ];
    let inputs: Vec<_> = cases.iter().map(|a| (uuid::Uuid::nil(), a)).collect();
    let started = Instant::now();
    let scores = scorer.score(&inputs).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(scores.len(), cases.len());
    for score in &scores {
        score.validate().unwrap();
    }
    assert_eq!(
        scores[1].chunks.len(),
        shockwave_scorer::chunking::MAX_CHUNKS
    );
}

#[test]
fn streamed_scores_arrive_in_groups_each_article_once_and_equal_the_collected_ones() {
    let mut scorer = Scorer {
        classifier: classifier(),
        catalog: Catalog::builtin(),
        max_batch: 2,
        token_budget: 4096,
    };
    let cases: Vec<ArticlePublished> = (0..7)
        .map(|i| {
            article(
                &format!("Headline number {i} about {}", "chip stocks ".repeat(i)),
                &"More detail. ".repeat(i * 3),
                "en",
            )
        })
        .collect();
    let inputs: Vec<_> = cases.iter().map(|a| (uuid::Uuid::nil(), a)).collect();
    let collected = scorer.score(&inputs).unwrap();
    let mut groups = Vec::new();
    scorer
        .score_each(&inputs, 2, |done| groups.push(done))
        .unwrap();
    assert!(groups.len() >= 3, "{} groups", groups.len());
    let mut seen: Vec<usize> = groups.iter().flatten().map(|(i, _)| *i).collect();
    seen.sort();
    assert_eq!(seen, (0..7).collect::<Vec<_>>());
    for (i, score) in groups.into_iter().flatten() {
        assert_eq!(score, collected[i]);
    }
}
