//! The topic head a model may carry (`topics.json` beside `model.onnx`): which catalog topics a text is about,
//! from its meaning as well as its words, in any language the model reads. For each topic,
//! `p = sigmoid(w . e + w_keywords * k + bias)`, where `e` is the article's topic embedding (the model's
//! `topic_embedding` output for each chunk, averaged with the chunk weights and normalised) and `k` the catalog's
//! keyword evidence; the article is about the topic at `p >= 0.5`. `models/sentiment/recipe/topics_v2.py` fits
//! it; the parity test checks this code gives the recipe's probabilities. Topics the head does not know (a
//! custom catalog's) keep their keyword evidence.

use std::path::Path;

use serde::Deserialize;
use shockwave_catalog::{Catalog, reported};
use shockwave_schemas::TopicConfidence;

use crate::model::ModelError;

#[derive(Debug, Clone, Deserialize)]
struct TopicWeights {
    topic: String,
    weights: Vec<f32>,
    w_keywords: f64,
    bias: f64,
}

/// The fitted head of one model.
#[derive(Debug, Clone, Deserialize)]
pub struct TopicHead {
    topics: Vec<TopicWeights>,
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

impl TopicHead {
    /// The head in `model_dir/topics.json`; `None` when the model has none.
    pub fn load(model_dir: &Path) -> Result<Option<Self>, ModelError> {
        let path = model_dir.join("topics.json");
        if !path.exists() {
            return Ok(None);
        }
        let fail = |reason: String| ModelError::Load {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
        let head: TopicHead = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
        if let Some(bad) = head.topics.iter().find(|t| t.weights.is_empty()) {
            return Err(fail(format!("topic {} has no weights", bad.topic)));
        }
        Ok(Some(head))
    }

    /// The probability of every catalog topic for a text with embedding `embedding` (unit length), its keyword
    /// evidence taken from `catalog`; topics the head lacks keep the keyword evidence.
    pub fn probabilities(
        &self,
        catalog: &Catalog,
        embedding: &[f32],
        text: &str,
        hints: &[String],
    ) -> Vec<(String, f64)> {
        catalog
            .keyword_evidence(text, hints)
            .into_iter()
            .map(|(topic, keywords)| {
                let p = match self.topics.iter().find(|t| t.topic == topic) {
                    Some(w) if w.weights.len() == embedding.len() => {
                        let z = dot(embedding, &w.weights) + w.w_keywords * keywords + w.bias;
                        1.0 / (1.0 + (-z).exp())
                    }
                    _ => keywords,
                };
                (topic.to_string(), p)
            })
            .collect()
    }

    /// The topics an article is about, for its `ArticleScored`.
    pub fn topics(
        &self,
        catalog: &Catalog,
        embedding: &[f32],
        text: &str,
        hints: &[String],
    ) -> Vec<TopicConfidence> {
        reported(self.probabilities(catalog, embedding, text, hints))
    }
}

/// The weighted mean of chunk embeddings, normalised to unit length (empty when the model gives none).
pub fn article_embedding<'a>(chunks: impl IntoIterator<Item = (f64, &'a [f32])>) -> Vec<f32> {
    let mut sum: Vec<f64> = Vec::new();
    for (weight, embedding) in chunks {
        if sum.is_empty() {
            sum = vec![0.0; embedding.len()];
        }
        if embedding.len() != sum.len() {
            return Vec::new();
        }
        for (s, v) in sum.iter_mut().zip(embedding) {
            *s += weight * f64::from(*v);
        }
    }
    let norm = sum.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
    sum.iter().map(|v| (v / norm) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> TopicHead {
        serde_json::from_value(serde_json::json!({"topics": [{
            "topic": "ai_efficiency", "weights": [10.0, 0.0], "w_keywords": 2.0, "bias": -6.0
        }]}))
        .unwrap()
    }

    #[test]
    fn meaning_alone_can_carry_a_topic_and_keywords_add_to_it() {
        let catalog = Catalog::builtin();
        let near = head().probabilities(&catalog, &[1.0, 0.0], "plain words", &[]);
        let far = head().probabilities(&catalog, &[0.0, 1.0], "plain words", &[]);
        let p = |v: &[(String, f64)]| v.iter().find(|(t, _)| t == "ai_efficiency").unwrap().1;
        assert!(p(&near) > 0.95 && p(&far) < 0.01, "{near:?} {far:?}");
        let worded = head().probabilities(&catalog, &[0.6, 0.8], "a cheap open-weight model", &[]);
        let unworded = head().probabilities(&catalog, &[0.6, 0.8], "a model", &[]);
        assert!(p(&worded) > p(&unworded));
    }

    #[test]
    fn topics_the_head_lacks_keep_their_keyword_evidence() {
        let catalog = Catalog::builtin();
        let text = "export controls and sanctions on chips";
        let from_head = head().probabilities(&catalog, &[0.0, 1.0], text, &[]);
        let from_words = catalog.keyword_evidence(text, &[]);
        let export =
            |v: &[(String, f64)]| v.iter().find(|(t, _)| t == "export_controls").unwrap().1;
        let words = from_words
            .iter()
            .find(|(t, _)| *t == "export_controls")
            .unwrap()
            .1;
        assert_eq!(export(&from_head), words);
    }

    #[test]
    fn the_article_embedding_is_the_weighted_mean_made_unit_length() {
        let e = article_embedding([
            (3.0, [1.0f32, 0.0].as_slice()),
            (1.0, [0.0, 1.0].as_slice()),
        ]);
        assert!(
            (e[0] - 0.948_683).abs() < 1e-5 && (e[1] - 0.316_228).abs() < 1e-5,
            "{e:?}"
        );
        assert!(article_embedding([(1.0, [].as_slice())]).is_empty());
    }
}
