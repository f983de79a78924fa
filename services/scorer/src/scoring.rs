//! Scoring whole articles: chunk each one, run every chunk of the batch through the model together, and
//! combine each article's chunk probabilities, weighted by chunk relevance, into one `ArticleScored`.

use shockwave_schemas::{
    ArticlePublished, ArticleScored, ChunkScore, SentimentLabel, SentimentProbabilities,
};
use uuid::Uuid;

use crate::catalog::Catalog;
use crate::chunking::{Chunk, article_chunks};
use crate::model::{Classifier, ModelError, Prediction};

/// Body chunk size in tokens: longer than the 64 the model was tuned on, well inside its window.
pub const CHUNK_TOKENS: usize = 128;

pub struct Scorer {
    pub classifier: Classifier,
    pub catalog: Catalog,
    pub max_batch: usize,
    pub token_budget: usize,
}

/// Weighted mean of chunk probabilities; the label is the most probable class.
pub fn combine(
    chunks: &[Chunk],
    predictions: &[Prediction],
) -> (SentimentLabel, SentimentProbabilities, f64) {
    if chunks.is_empty() {
        return (
            SentimentLabel::Neutral,
            SentimentProbabilities {
                negative: 0.0,
                neutral: 1.0,
                positive: 0.0,
            },
            0.0,
        );
    }
    let total: f64 = chunks
        .iter()
        .map(|c| c.weight)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let mut p = [0.0f64; 3];
    for (chunk, prediction) in chunks.iter().zip(predictions) {
        for (k, value) in p.iter_mut().enumerate() {
            *value += chunk.weight * f64::from(prediction.probabilities[k]) / total;
        }
    }
    let label = match (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(1) {
        0 => SentimentLabel::Negative,
        2 => SentimentLabel::Positive,
        _ => SentimentLabel::Neutral,
    };
    let score = (p[2] - p[0]).clamp(-1.0, 1.0);
    (
        label,
        SentimentProbabilities {
            negative: p[0],
            neutral: p[1],
            positive: p[2],
        },
        score,
    )
}

impl Scorer {
    /// Scores articles (event id and payload); one forward pass over all their chunks, length-sorted.
    pub fn score(
        &mut self,
        articles: &[(Uuid, &ArticlePublished)],
    ) -> Result<Vec<ArticleScored>, ModelError> {
        let classifier = &self.classifier;
        let catalog = &self.catalog;
        let count = |text: &str| classifier.count_tokens(text);
        let mentions = |text: &str| catalog.mentions(text);
        let chunked: Vec<Vec<Chunk>> = articles
            .iter()
            .map(|(_, a)| article_chunks(&a.title, &a.body, CHUNK_TOKENS, &count, &mentions))
            .collect();
        let texts: Vec<&str> = chunked.iter().flatten().map(|c| c.text.as_str()).collect();
        let predictions =
            self.classifier
                .predict_texts(&texts, self.max_batch, self.token_budget)?;
        let mut offset = 0;
        let mut scored = Vec::with_capacity(articles.len());
        for ((event_id, article), chunks) in articles.iter().zip(&chunked) {
            let own = &predictions[offset..offset + chunks.len()];
            offset += chunks.len();
            let (label, probabilities, score) = combine(chunks, own);
            let text = format!("{}\n{}", article.title, article.body);
            let topics = self.catalog.topics(&text, &article.topic_hints);
            let tickers = self.catalog.tickers(&text, &topics);
            let chunk_scores = chunks
                .iter()
                .zip(own)
                .enumerate()
                .map(|(i, (c, p))| ChunkScore {
                    index: i as u32,
                    weight: c.weight,
                    score: f64::from(p.probabilities[2] - p.probabilities[0]),
                })
                .collect();
            scored.push(ArticleScored {
                article_event_id: *event_id,
                model: self.classifier.lineage.clone(),
                label,
                probabilities,
                score,
                topics,
                tickers,
                chunks: chunk_scores,
            });
        }
        Ok(scored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prediction(p: [f32; 3]) -> Prediction {
        Prediction {
            logits: [0.0; 3],
            probabilities: p,
        }
    }

    #[test]
    fn chunk_probabilities_are_averaged_by_weight() {
        let chunks = [
            Chunk {
                text: "a".into(),
                weight: 3.0,
            },
            Chunk {
                text: "b".into(),
                weight: 1.0,
            },
        ];
        let (label, p, score) = combine(
            &chunks,
            &[prediction([0.8, 0.1, 0.1]), prediction([0.0, 0.2, 0.8])],
        );
        assert_eq!(label, SentimentLabel::Negative);
        assert!((p.negative - 0.6).abs() < 1e-6 && (p.positive - 0.275).abs() < 1e-6);
        assert!((score - (0.275 - 0.6)).abs() < 1e-6);
    }

    #[test]
    fn no_chunks_is_neutral_zero() {
        let (label, p, score) = combine(&[], &[]);
        assert_eq!(
            (label, p.neutral, score),
            (SentimentLabel::Neutral, 1.0, 0.0)
        );
    }
}
