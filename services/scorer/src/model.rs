//! The sentiment classifier: the committed ONNX model run by ONNX Runtime (loaded dynamically), with the
//! model's own tokenizer. Texts are tokenised, sorted by length and run in batches bounded by a token budget,
//! so padding, not texts, is what batching saves.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use sha2::{Digest, Sha256};
use shockwave_schemas::ModelLineage;
use tokenizers::{Tokenizer, TruncationParams};

/// Longest input the model is run on (the encoder's window is 512; the fine-tune saw 64).
pub const MAX_TOKENS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "loading ONNX Runtime from {path}: {reason} (run deploy/local/install-onnxruntime.sh or set ORT_DYLIB_PATH)"
    )]
    Runtime { path: String, reason: String },
    #[error("loading the model from {path}: {reason}")]
    Load { path: String, reason: String },
    #[error("tokenising: {0}")]
    Tokenize(String),
    #[error("inference: {0}")]
    Inference(#[from] ort::Error),
}

/// What the model says about one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Raw logits, label order negative, neutral, positive.
    pub logits: [f32; 3],
    pub probabilities: [f32; 3],
    /// The text's embedding for the topic head: the model's `topic_embedding` output, else its `embedding`
    /// (empty when the model file has neither).
    pub embedding: Vec<f32>,
}

/// What a model folder says about itself in `model.json`: the name and version every score records.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ModelIdentity {
    pub name: String,
    pub version: String,
}

impl ModelIdentity {
    /// Reads `model.json` from `model_dir`.
    pub fn read(model_dir: &Path) -> Result<Self, ModelError> {
        let path = model_dir.join("model.json");
        let fail = |reason: String| ModelError::Load {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| fail(e.to_string()))
    }
}

/// Where the project's per-machine install puts the runtime library: under `tools` (default
/// `~/.cache/shockwave/tools`).
pub fn default_runtime_path(tools: Option<&Path>) -> PathBuf {
    let tools = tools.map(Path::to_path_buf).unwrap_or_else(|| {
        let home = shockwave_kit::config::env("HOME").unwrap_or_else(|| "/root".into());
        PathBuf::from(home).join(".cache/shockwave/tools")
    });
    tools.join("onnxruntime-1.32.0/libonnxruntime.so.1.32.0")
}

fn environment(runtime: &Path) -> Result<&'static Environment, ModelError> {
    static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env);
    }
    let fail = |reason: String| ModelError::Runtime {
        path: runtime.display().to_string(),
        reason,
    };
    let env = ort::init_from(runtime)
        .map_err(|e| fail(e.to_string()))?
        .with_name("shockwave-scorer")
        .build()
        .map_err(|e| fail(e.to_string()))?;
    Ok(ENVIRONMENT.get_or_init(|| env))
}

/// sha256 over the weights file, then the tokenizer file, then the topic head (`topics.json`) where the model has
/// one: the model's identity in every score. Each of them changes what a score says.
pub fn model_sha256(model_dir: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(std::fs::read(model_dir.join("model.onnx"))?);
    hasher.update(std::fs::read(model_dir.join("tokenizer.json"))?);
    match std::fs::read(model_dir.join("topics.json")) {
        Ok(head) => hasher.update(head),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn softmax(logits: [f32; 3]) -> [f32; 3] {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps = logits.map(|l| (l - max).exp());
    let sum: f32 = exps.iter().sum();
    exps.map(|e| e / sum)
}

pub struct Classifier {
    session: Session,
    tokenizer: Tokenizer,
    /// The output the topic head reads (`topic_embedding`, else `embedding`), if the model file has one.
    embedding_output: Option<&'static str>,
    threads: Threads,
    pub lineage: ModelLineage,
}

/// ONNX Runtime's intra-op thread pool.
#[derive(Debug, Clone, Copy)]
pub struct Threads {
    /// Threads per inference.
    pub intra: usize,
    /// Whether idle threads spin-wait for the next piece of work rather than sleep.
    pub spin: bool,
}

impl Classifier {
    /// Loads `model.onnx` and `tokenizer.json` from `model_dir`, run on the `threads` pool.
    pub fn load(
        model_dir: &Path,
        runtime: &Path,
        name: &str,
        version: &str,
        threads: Threads,
    ) -> Result<Self, ModelError> {
        let fail = |reason: String| ModelError::Load {
            path: model_dir.display().to_string(),
            reason,
        };
        let env = environment(runtime)?;
        let session = Session::builder(env)
            .and_then(|b| {
                b.with_optimization_level(GraphOptimizationLevel::All)
                    .map_err(Into::into)
            })
            .and_then(|b| b.with_intra_threads(threads.intra).map_err(Into::into))
            .and_then(|b| b.with_intra_op_spinning(threads.spin).map_err(Into::into))
            .and_then(|b| b.with_inter_threads(1).map_err(Into::into))
            .and_then(|b| b.with_deterministic_compute(true).map_err(Into::into))
            .and_then(|mut b| b.commit_from_file(model_dir.join("model.onnx")))
            .map_err(|e: ort::Error| fail(e.to_string()))?;
        let mut tokenizer = Tokenizer::from_file(model_dir.join("tokenizer.json"))
            .map_err(|e| fail(e.to_string()))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| fail(e.to_string()))?;
        let sha256 = model_sha256(model_dir).map_err(|e| fail(e.to_string()))?;
        let embedding_output = ["topic_embedding", "embedding"]
            .into_iter()
            .find(|name| session.outputs().iter().any(|o| o.name() == *name));
        Ok(Classifier {
            session,
            tokenizer,
            embedding_output,
            threads,
            lineage: ModelLineage {
                name: name.into(),
                version: version.into(),
                sha256,
            },
        })
    }

    /// Whether ONNX Runtime's idle threads spin-wait for work.
    pub fn spins(&self) -> bool {
        self.threads.spin
    }

    /// Token ids with `[CLS]`/`[SEP]`, truncated to [`MAX_TOKENS`].
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Vec<i64>>, ModelError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| ModelError::Tokenize(e.to_string()))?;
        Ok(encodings
            .iter()
            .map(|e| e.get_ids().iter().map(|&id| i64::from(id)).collect())
            .collect())
    }

    /// Tokens a text takes without the special tokens (for chunking).
    pub fn count_tokens(&self, text: &str) -> usize {
        self.tokenizer
            .encode(text, false)
            .map(|e| e.get_ids().len())
            .unwrap_or(usize::MAX)
    }

    /// Runs pre-tokenised inputs in length-sorted batches of at most `max_batch` texts and `token_budget`
    /// padded tokens, handing each batch's input indexes and predictions to `on_batch` as soon as it is done.
    pub fn predict_each(
        &mut self,
        inputs: &[Vec<i64>],
        max_batch: usize,
        token_budget: usize,
        mut on_batch: impl FnMut(&[usize], Vec<Prediction>),
    ) -> Result<(), ModelError> {
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        order.sort_by_key(|&i| inputs[i].len());
        let mut start = 0;
        while start < order.len() {
            // Sorted ascending, so the last member of a batch sets its width.
            let mut end = start + 1;
            while end < order.len()
                && end - start < max_batch
                && (end - start + 1) * inputs[order[end]].len().max(1) <= token_budget
            {
                end += 1;
            }
            let batch = &order[start..end];
            let rows: Vec<&[i64]> = batch.iter().map(|&i| inputs[i].as_slice()).collect();
            on_batch(batch, self.forward(&rows)?);
            start = end;
        }
        Ok(())
    }

    /// [`Classifier::predict_each`], collected in input order.
    pub fn predict_ids(
        &mut self,
        inputs: &[Vec<i64>],
        max_batch: usize,
        token_budget: usize,
    ) -> Result<Vec<Prediction>, ModelError> {
        let mut out: Vec<Option<Prediction>> = vec![None; inputs.len()];
        self.predict_each(inputs, max_batch, token_budget, |batch, predictions| {
            for (&i, prediction) in batch.iter().zip(predictions) {
                out[i] = Some(prediction);
            }
        })?;
        Ok(out
            .into_iter()
            .map(|p| p.expect("every input is in one batch"))
            .collect())
    }

    pub fn predict_texts(
        &mut self,
        texts: &[&str],
        max_batch: usize,
        token_budget: usize,
    ) -> Result<Vec<Prediction>, ModelError> {
        let ids = self.tokenize(texts)?;
        self.predict_ids(&ids, max_batch, token_budget)
    }

    /// One forward pass over the given rows, padded to the longest (no sorting, no splitting).
    pub fn forward(&mut self, batch: &[&[i64]]) -> Result<Vec<Prediction>, ModelError> {
        let rows = batch.len();
        let width = batch.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0i64; rows * width];
        let mut mask = vec![0i64; rows * width];
        for (r, seq) in batch.iter().enumerate() {
            ids[r * width..r * width + seq.len()].copy_from_slice(seq);
            mask[r * width..r * width + seq.len()].fill(1);
        }
        let outputs = self.session.run(ort::inputs![
            "input_ids" => Tensor::from_array(([rows, width], ids))?,
            "attention_mask" => Tensor::from_array(([rows, width], mask))?,
        ])?;
        let (_, logits) = outputs["logits"].try_extract_tensor::<f32>()?;
        let embeddings: Vec<Vec<f32>> = if let Some(name) = self.embedding_output {
            let (shape, values) = outputs[name].try_extract_tensor::<f32>()?;
            let dim = shape.last().copied().unwrap_or(0).max(1) as usize;
            values.chunks_exact(dim).map(<[f32]>::to_vec).collect()
        } else {
            vec![Vec::new(); rows]
        };
        Ok(logits
            .chunks_exact(3)
            .zip(embeddings)
            .map(|(l, embedding)| {
                let logits = [l[0], l[1], l[2]];
                Prediction {
                    logits,
                    probabilities: softmax(logits),
                    embedding,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_the_order() {
        let p = softmax([2.0, 0.5, -1.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[0] > p[1] && p[1] > p[2]);
    }

    #[test]
    fn softmax_survives_huge_logits() {
        let p = softmax([1000.0, 0.0, -1000.0]);
        assert!(p.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn the_model_hash_covers_weights_tokenizer_and_topic_head() {
        let dir = std::env::temp_dir().join(format!("model-sha256-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("model.onnx"), b"weights").unwrap();
        std::fs::write(dir.join("tokenizer.json"), b"tokenizer").unwrap();
        let without_head = model_sha256(&dir).unwrap();
        std::fs::write(dir.join("topics.json"), b"head a").unwrap();
        let head_a = model_sha256(&dir).unwrap();
        std::fs::write(dir.join("topics.json"), b"head b").unwrap();
        let head_b = model_sha256(&dir).unwrap();
        std::fs::write(dir.join("tokenizer.json"), b"tokenizer 2").unwrap();
        let tokenizer_2 = model_sha256(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(without_head.len(), 64);
        let all = [&without_head, &head_a, &head_b, &tokenizer_2];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert!(
            model_sha256(&dir).is_err(),
            "a folder without weights has no identity"
        );
    }
}
