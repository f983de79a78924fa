//! Scoring whole articles: chunk each one, run every chunk of the batch through the model together, and
//! combine each article's chunk probabilities, weighted by chunk relevance, into one `ArticleScored`.

use shockwave_schemas::{
    ArticlePublished, ArticleScored, ChunkScore, ModelLineage, SentimentLabel,
    SentimentProbabilities,
};
use uuid::Uuid;

use crate::chunking::{Chunk, article_chunks};
use crate::model::{Classifier, ModelError, Prediction};
use crate::topics::{TopicHead, article_embedding};
use shockwave_catalog::Catalog;

/// Body chunk size in tokens: longer than the 64 the model was tuned on, well inside its window.
pub const CHUNK_TOKENS: usize = 128;

pub struct Scorer {
    pub classifier: Classifier,
    pub catalog: Catalog,
    /// The model's topic head, when it has one; keywords alone otherwise.
    pub topic_head: Option<TopicHead>,
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
    /// Scores articles (event id and payload) and returns the scores in input order.
    pub fn score(
        &mut self,
        articles: &[(Uuid, &ArticlePublished)],
    ) -> Result<Vec<ArticleScored>, ModelError> {
        let mut out: Vec<Option<ArticleScored>> = vec![None; articles.len()];
        self.score_each(articles, usize::MAX, |done| {
            for (i, score) in done {
                out[i] = Some(score);
            }
        })?;
        Ok(out
            .into_iter()
            .map(|s| s.expect("every article is scored"))
            .collect())
    }

    /// Scores articles with one length-sorted pass over all their chunks, handing finished articles (input
    /// index and score) to `on_done` in groups of about `group` as soon as their last chunk is scored, so
    /// the caller can publish them while the rest is still running.
    pub fn score_each(
        &mut self,
        articles: &[(Uuid, &ArticlePublished)],
        group: usize,
        mut on_done: impl FnMut(Vec<(usize, ArticleScored)>),
    ) -> Result<(), ModelError> {
        let classifier = &self.classifier;
        let catalog = &self.catalog;
        let count = |text: &str| classifier.count_tokens(text);
        let mentions = |text: &str| catalog.mentions(text);
        let chunked: Vec<Vec<Chunk>> = articles
            .iter()
            .map(|(_, a)| article_chunks(&a.title, &a.body, CHUNK_TOKENS, &count, &mentions))
            .collect();
        let owner: Vec<usize> = chunked
            .iter()
            .enumerate()
            .flat_map(|(i, c)| std::iter::repeat_n(i, c.len()))
            .collect();
        let first_chunk: Vec<usize> = chunked
            .iter()
            .scan(0, |at, c| {
                let start = *at;
                *at += c.len();
                Some(start)
            })
            .collect();
        let texts: Vec<&str> = chunked.iter().flatten().map(|c| c.text.as_str()).collect();
        let ids = self.classifier.tokenize(&texts)?;
        let mut predictions: Vec<Option<Prediction>> = vec![None; texts.len()];
        let mut remaining: Vec<usize> = chunked.iter().map(Vec::len).collect();
        let mut finished = Vec::new();
        let (catalog, head, lineage) = (
            &self.catalog,
            self.topic_head.as_ref(),
            self.classifier.lineage.clone(),
        );
        let assemble = |i: usize, predictions: &[Option<Prediction>]| {
            let own: Vec<Prediction> = predictions
                [first_chunk[i]..first_chunk[i] + chunked[i].len()]
                .iter()
                .map(|p| p.clone().expect("all chunks scored"))
                .collect();
            article_score(articles[i], &chunked[i], &own, catalog, head, &lineage)
        };
        // An article with no chunk (impossible for valid articles, which have a title) is finished at once.
        for i in (0..articles.len()).filter(|&i| remaining[i] == 0) {
            finished.push((i, assemble(i, &predictions)));
        }
        self.classifier.predict_each(
            &ids,
            self.max_batch,
            self.token_budget,
            |batch, batch_predictions| {
                for (&chunk, prediction) in batch.iter().zip(batch_predictions) {
                    predictions[chunk] = Some(prediction);
                    let article = owner[chunk];
                    remaining[article] -= 1;
                    if remaining[article] == 0 {
                        finished.push((article, assemble(article, &predictions)));
                    }
                }
                if finished.len() >= group {
                    on_done(std::mem::take(&mut finished));
                }
            },
        )?;
        if !finished.is_empty() {
            on_done(finished);
        }
        Ok(())
    }
}

/// One article's score from its chunks' predictions, with topics (from the model's topic head, else the
/// catalog's keywords) and tickers.
fn article_score(
    article: (Uuid, &ArticlePublished),
    chunks: &[Chunk],
    predictions: &[Prediction],
    catalog: &Catalog,
    head: Option<&TopicHead>,
    lineage: &ModelLineage,
) -> ArticleScored {
    let (event_id, article) = article;
    let (label, probabilities, score) = combine(chunks, predictions);
    let text = format!("{}\n{}", article.title, article.body);
    let embedding = article_embedding(
        chunks
            .iter()
            .zip(predictions)
            .map(|(c, p)| (c.weight, p.embedding.as_slice())),
    );
    let topics = match head {
        Some(head) if !embedding.is_empty() => {
            head.topics(catalog, &embedding, &text, &article.topic_hints)
        }
        _ => catalog.topics(&text, &article.topic_hints),
    };
    let tickers = catalog.tickers(&text, &topics);
    let chunk_scores = chunks
        .iter()
        .zip(predictions)
        .enumerate()
        .map(|(i, (c, p))| ChunkScore {
            index: i as u32,
            weight: c.weight,
            score: f64::from(p.probabilities[2] - p.probabilities[0]),
        })
        .collect();
    ArticleScored {
        article_event_id: event_id,
        model: lineage.clone(),
        label,
        probabilities,
        score,
        topics,
        tickers,
        chunks: chunk_scores,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prediction(p: [f32; 3]) -> Prediction {
        Prediction {
            logits: [0.0; 3],
            probabilities: p,
            embedding: Vec::new(),
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
