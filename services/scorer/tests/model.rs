//! The committed models served from Rust: the default (v2, int8) gives what ONNX Runtime in Python gives on the
//! same file and machine (logits, topic embeddings, topic probabilities) and reproduces the recipe's fixture up to
//! float rounding on any CPU, v1 still loads and reproduces its trainer, outputs are identical run after run,
//! hostile input is scored without crashing or hanging, and the ad-hoc command answers every input line.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use shockwave_schemas::payloads::Validate;
use shockwave_schemas::{ArticlePublished, SentimentLabel};
use shockwave_scorer::model::{Classifier, default_runtime_path};

/// The runtime library: `ORT_DYLIB_PATH` (test.sh sets it), else the per-machine install.
fn runtime() -> PathBuf {
    shockwave_kit::config::env("ORT_DYLIB_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| default_runtime_path(None))
}
use shockwave_scorer::ModelArgs;
use shockwave_scorer::scoring::Scorer;

fn model_dir(version: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../models/sentiment/{version}"))
}

fn args(version: &str, max_batch: usize, token_budget: usize) -> ModelArgs {
    ModelArgs {
        model_dir: model_dir(version),
        model_version: None,
        ort_dylib_path: Some(runtime()),
        tools_dir: None,
        scorer_threads: 2,
        scorer_spin: false,
        scorer_max_batch: max_batch,
        scorer_token_budget: token_budget,
        catalog: None,
    }
}

/// The served model (v2) as the service loads it: classifier, catalog and topic head.
fn scorer(max_batch: usize, token_budget: usize) -> Scorer {
    args("v2", max_batch, token_budget)
        .scorer()
        .expect("model and runtime load (deploy/local/install-onnxruntime.sh)")
}

fn classifier() -> Classifier {
    scorer(32, 4096).classifier
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

fn numbers(value: &serde_json::Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn ids(value: &serde_json::Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

fn fixture(version: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(model_dir(version).join("parity_fixture.json")).unwrap())
        .unwrap()
}

/// ONNX Runtime in Python on this machine, on the fixture's token ids (`recipe/parity_reference.py`, run by the
/// interpreter `deploy/local/install-onnxruntime-python.sh` installs): one JSON case per fixture case.
fn python_reference() -> Vec<serde_json::Value> {
    let python = shockwave_kit::config::env("SHOCKWAVE_ORT_PYTHON")
        .expect("SHOCKWAVE_ORT_PYTHON (deploy/local/install-onnxruntime-python.sh prints it)");
    let recipe = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/sentiment/recipe");
    let catalog =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/catalog/config/catalog.json");
    let output = std::process::Command::new(python)
        .arg(recipe.join("parity_reference.py"))
        .arg(model_dir("v2"))
        .arg(catalog)
        .output()
        .expect("the Python reference runs");
    assert!(
        output.status.success(),
        "parity_reference.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reference: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    reference["cases"].as_array().unwrap().clone()
}

/// The served model's outputs for the fixture's texts, one text per run as the recipe ran them: with dynamic int8
/// quantisation a batch shares one activation scale, so only the same batching gives the same numbers.
fn served_outputs(
    scorer: &mut Scorer,
    cases: &[serde_json::Value],
) -> Vec<shockwave_scorer::model::Prediction> {
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    let tokens = scorer.classifier.tokenize(&texts).unwrap();
    for (case, tokens) in cases.iter().zip(&tokens) {
        assert_eq!(
            tokens,
            &ids(&case["input_ids"]),
            "tokens differ for {:?}",
            case["text"]
        );
    }
    scorer
        .classifier
        .predict_ids(&tokens, 1, usize::MAX)
        .unwrap()
}

fn largest_difference(ours: &[f32], expected: &serde_json::Value) -> f64 {
    let expected = numbers(expected);
    assert_eq!(ours.len(), expected.len());
    ours.iter()
        .zip(expected)
        .map(|(a, b)| (f64::from(*a) - b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn the_served_model_gives_what_onnx_runtime_in_python_gives_on_this_machine_within_1e_3() {
    let fixture = fixture("v2");
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let reference = python_reference();
    assert_eq!(reference.len(), cases.len());
    let mut scorer = scorer(32, 4096);
    let predictions = served_outputs(&mut scorer, cases);
    let head = scorer.topic_head.as_ref().expect("v2 has a topic head");
    let (mut logits, mut embedding, mut topics) = (0.0f64, 0.0f64, 0.0f64);
    for ((case, expected), prediction) in cases.iter().zip(&reference).zip(&predictions) {
        logits = logits.max(largest_difference(&prediction.logits, &expected["logits"]));
        embedding = embedding.max(largest_difference(
            &prediction.embedding,
            &expected["topic_embedding"],
        ));
        let text = case["text"].as_str().unwrap();
        let ours = head.probabilities(&scorer.catalog, &prediction.embedding, text, &[]);
        assert_eq!(ours.len(), expected["topics"].as_object().unwrap().len());
        for (topic, p) in &ours {
            let expected = expected["topics"][topic.as_str()].as_f64().unwrap();
            topics = topics.max((p - expected).abs());
        }
    }
    println!(
        "largest differences from ONNX Runtime in Python on this machine over {} texts: logits {logits:.2e}, \
         topic embedding {embedding:.2e}, topic probabilities {topics:.2e}",
        cases.len()
    );
    assert!(logits < 1e-3, "logits differ by {logits}");
    assert!(embedding < 1e-3, "topic embeddings differ by {embedding}");
    assert!(topics < 1e-3, "topic probabilities differ by {topics}");
}

/// The recipe's fixture was computed on another CPU. The served file's integer arithmetic is exact everywhere
/// (uint8 weights, `recipe/unsigned_weights.py`), so most texts reproduce it to 1e-3 here too; the float kernels'
/// rounding differs per instruction set and moves a few texts a little. With signed weights on a CPU without VNNI
/// the products saturate: no text reproduced the fixture and logits moved by up to 1.19 (AVX2 EPYC).
#[test]
fn the_recipe_fixture_is_reproduced_on_this_cpu_up_to_float_rounding() {
    let fixture = fixture("v2");
    let cases = fixture["cases"].as_array().unwrap();
    let mut scorer = scorer(32, 4096);
    let predictions = served_outputs(&mut scorer, cases);
    let mut exact = 0;
    let mut largest = 0.0f64;
    for (case, prediction) in cases.iter().zip(&predictions) {
        let difference = largest_difference(&prediction.logits, &case["logits"]);
        largest = largest.max(difference);
        exact += usize::from(difference < 1e-3);
        let mut expected = numbers(&case["logits"]);
        let label = argmax(&expected);
        expected.sort_by(f64::total_cmp);
        if expected[2] - expected[1] > 0.5 {
            assert_eq!(
                argmax(
                    &prediction
                        .logits
                        .iter()
                        .map(|&v| f64::from(v))
                        .collect::<Vec<_>>()
                ),
                label,
                "the label of {:?} changed",
                case["text"]
            );
        }
    }
    println!(
        "{exact} of {} texts within 1e-3 of the recipe's logits, largest difference {largest:.3}",
        cases.len()
    );
    assert!(
        exact * 4 >= cases.len() * 3,
        "only {exact} of {} texts reproduce",
        cases.len()
    );
    assert!(largest < 0.25, "logits moved by {largest}");
}

fn argmax(values: &[f64]) -> usize {
    (0..values.len())
        .max_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap()
}

#[test]
fn model_v1_stays_loadable_and_reproduces_its_trainer() {
    let fixture = fixture("v1");
    let cases = fixture["cases"].as_array().unwrap();
    let mut v1 = args("v1", 32, 4096).scorer().unwrap();
    assert_eq!(v1.classifier.lineage.version, "1");
    assert!(v1.topic_head.is_none(), "v1 tags topics by keywords only");
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    let tokens = v1.classifier.tokenize(&texts).unwrap();
    let predictions = v1.classifier.predict_ids(&tokens, 32, 4096).unwrap();
    let mut worst = 0.0f64;
    for ((case, tokens), prediction) in cases.iter().zip(&tokens).zip(&predictions) {
        assert_eq!(tokens, &ids(&case["input_ids"]));
        for (k, expected) in numbers(&case["logits"]).into_iter().enumerate() {
            worst = worst.max((f64::from(prediction.logits[k]) - expected).abs());
        }
    }
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

/// Largest and mean absolute logit change of each text between scoring it alone and in batches of 32.
fn batch_effect(model: &mut Classifier, texts: &[&str]) -> (f64, f64) {
    let together = model.predict_texts(texts, 32, usize::MAX).unwrap();
    let (mut largest, mut total) = (0.0f64, 0.0f64);
    for (text, batched) in texts.iter().zip(&together) {
        let alone = model.predict_texts(&[text], 1, usize::MAX).unwrap();
        let change = (0..3)
            .map(|k| f64::from((alone[0].logits[k] - batched.logits[k]).abs()))
            .fold(0.0, f64::max);
        largest = largest.max(change);
        total += change;
    }
    (largest, total / texts.len() as f64)
}

#[test]
fn batching_leaves_fp32_scores_alone_and_moves_int8_ones_only_within_the_quantisation_bound() {
    let fixture = fixture("v2");
    let texts: Vec<&str> = fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    // v1 runs in fp32: a text scores the same alone or in any batch.
    let mut v1 = args("v1", 32, 4096).scorer().unwrap().classifier;
    let (largest, _) = batch_effect(&mut v1, &texts);
    assert!(largest < 1e-4, "fp32 batch effect {largest}");
    // v2 is dynamically quantised: each batch's activations share one int8 scale, so batch-mates move a
    // text's logits a little (docs/model.md gives the measured effect on the validation set).
    let (largest, mean) = batch_effect(&mut classifier(), &texts);
    println!(
        "int8 batch effect over {} texts: largest {largest:.3}, mean {mean:.3}",
        texts.len()
    );
    assert!(
        largest < 2.5 && mean < 0.35,
        "largest {largest}, mean {mean}"
    );
}

#[test]
fn clear_headlines_get_the_obvious_label_and_topic_in_english_and_french() {
    let mut scorer = scorer(32, 2048);
    let cases = [
        (
            "Nvidia shares plunge 17% in record rout as investors dump chip stocks",
            "en",
            SentimentLabel::Negative,
            None,
        ),
        (
            "Broadcom shares soar after record quarterly revenue beats estimates",
            "en",
            SentimentLabel::Positive,
            None,
        ),
        (
            "L'action Nvidia s'effondre après la publication d'un modèle d'IA chinois très bon marché",
            "fr",
            SentimentLabel::Negative,
            Some("ai_efficiency"),
        ),
        (
            "Les États-Unis durcissent encore les contrôles à l'exportation de puces vers la Chine",
            "fr",
            SentimentLabel::Negative,
            Some("export_controls"),
        ),
        (
            "Microsoft relève fortement ses investissements dans les centres de données pour l'IA",
            "fr",
            SentimentLabel::Positive,
            Some("ai_capex"),
        ),
    ];
    let articles: Vec<ArticlePublished> =
        cases.iter().map(|(t, l, _, _)| article(t, "", l)).collect();
    let inputs: Vec<_> = articles.iter().map(|a| (uuid::Uuid::nil(), a)).collect();
    for ((title, _, label, topic), score) in cases.iter().zip(scorer.score(&inputs).unwrap()) {
        assert_eq!(&score.label, label, "{title}: {:?}", score.probabilities);
        if let Some(topic) = topic {
            assert!(
                score
                    .topics
                    .iter()
                    .any(|t| t.topic == *topic && t.confidence >= 0.5),
                "{title}: {:?}",
                score.topics
            );
        }
    }
}

#[test]
fn hostile_input_is_scored_within_bounds_and_quickly() {
    let mut scorer = scorer(32, 2048);
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
    let mut scorer = scorer(2, 4096);
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

#[test]
fn the_ad_hoc_command_answers_every_line_in_order_bad_lines_with_an_error_of_their_own() {
    // One text per run, as the service scores by default: a text's score does not depend on its neighbours.
    let mut scorer = scorer(1, 4096);
    let text = |out: &[u8]| -> Vec<serde_json::Value> {
        String::from_utf8(out.to_vec())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    // Plain lines: one not UTF-8 (Latin-1 French), one with a Windows line end, one empty, one with a NUL.
    let input: &[u8] = b"Nvidia plunges 17% as DeepSeek rattles chip investors\n\
        \xe9t\xe9 record pour les puces\n\
        Nvidia chute de 17 % : DeepSeek inqui\xc3\xa8te\r\n\
        \n\
        a \x00 NUL\n\
        Microsoft raises its data-centre spending";
    let mut out = Vec::new();
    let count = shockwave_scorer::adhoc::score_lines(&mut scorer, input, &mut out, false).unwrap();
    let lines = text(&out);
    assert_eq!((count, lines.len()), (6, 6));
    assert!(
        lines[1]["error"].as_str().unwrap().contains("UTF-8"),
        "{}",
        lines[1]
    );
    for (i, line) in lines.iter().enumerate().filter(|(i, _)| *i != 1) {
        assert!(line["label"].is_string(), "line {i}: {line}");
        assert_eq!(line["model"]["version"], "2");
    }
    // The same path as the service: the first and third lines score as articles with those titles do.
    let titles = [
        "Nvidia plunges 17% as DeepSeek rattles chip investors",
        "Nvidia chute de 17 % : DeepSeek inquiète",
    ];
    let articles: Vec<_> = titles.iter().map(|t| article(t, "", "und")).collect();
    let direct = scorer
        .score(
            &articles
                .iter()
                .map(|a| (uuid::Uuid::nil(), a))
                .collect::<Vec<_>>(),
        )
        .unwrap();
    for (line, score) in [&lines[0], &lines[2]].into_iter().zip(&direct) {
        // Equal up to the last bit, which JSON's decimal text may not carry back.
        assert!((line["score"].as_f64().unwrap() - score.score).abs() < 1e-12);
        assert_eq!(line["label"], serde_json::to_value(score.label).unwrap());
    }
    assert_eq!(lines[0]["label"], "negative");

    // NDJSON: objects without a title, or not objects, are errors in their place.
    let input: &[u8] =
        b"{\"title\":\"Washington tightens chip export controls\",\"body\":\"Nvidia falls.\"}\n\
        not json\n\
        {\"body\":\"no title\"}\n\
        {\"title\":5}\n\
        \xff\n\
        {\"title\":\"Les b\xc3\xa9n\xc3\xa9fices de TSMC bondissent\"}\n";
    let mut out = Vec::new();
    shockwave_scorer::adhoc::score_lines(&mut scorer, input, &mut out, true).unwrap();
    let lines = text(&out);
    let errors: Vec<bool> = lines.iter().map(|l| l["error"].is_string()).collect();
    assert_eq!(errors, [false, true, true, true, true, false]);
    assert!(
        lines[0]["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["topic"] == "export_controls"),
        "{}",
        lines[0]
    );
}
