//! The topic and instrument catalog: which words put an article in a topic, which names and aliases mean a
//! ticker, and which basket each topic exposes. Loaded from JSON (`config/catalog.json` is the built-in one,
//! `SHOCKWAVE_CATALOG` names another). The scorer tags articles with it; the alerter names each topic's basket.

use serde::Deserialize;
use shockwave_schemas::{TickerRelevance, TopicConfidence};

/// Topic confidence at or above which an article maps to the topic's exposure basket.
pub const BASKET_THRESHOLD: f64 = 0.5;
/// Topics below this confidence are not reported.
pub const REPORT_THRESHOLD: f64 = 0.3;

#[derive(Debug, Clone, Deserialize)]
pub struct Topic {
    pub id: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub basket: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Instrument {
    pub symbol: String,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Catalog {
    pub topics: Vec<Topic>,
    pub tickers: Vec<Instrument>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("reading catalog {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("catalog is not valid: {0}")]
    Parse(#[from] serde_json::Error),
}

/// Text as keywords are matched against: lower case, with typographic apostrophes (’) as plain ones ('), so
/// "l’exportation" and "l'exportation" read alike.
pub fn fold(text: &str) -> String {
    text.to_lowercase().replace('\u{2019}', "'")
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Counts occurrences of `needle` in `haystack` on word boundaries. A trailing `*` in the needle matches any
/// word ending. `haystack` and `needle` are compared as given (callers lower-case both for names).
pub fn count_word(haystack: &str, needle: &str) -> usize {
    let (needle, prefix) = match needle.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (needle, false),
    };
    if needle.is_empty() {
        return 0;
    }
    haystack
        .match_indices(needle)
        .filter(|(at, _)| {
            let before_ok = haystack[..*at]
                .chars()
                .next_back()
                .is_none_or(|c| !is_word_char(c) || !needle.starts_with(is_word_char));
            let after = &haystack[at + needle.len()..];
            let after_ok = prefix
                || after
                    .chars()
                    .next()
                    .is_none_or(|c| !is_word_char(c) || !needle.ends_with(is_word_char));
            before_ok && after_ok
        })
        .count()
}

impl Catalog {
    /// Topic id to the tickers it exposes.
    pub fn baskets(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        self.topics
            .iter()
            .map(|t| (t.id.clone(), t.basket.clone()))
            .collect()
    }

    /// The built-in catalog, or the one at `path`.
    pub fn load(path: Option<&str>) -> Result<Self, CatalogError> {
        match path {
            Some(path) => Self::from_file(path),
            None => Ok(Self::builtin()),
        }
    }

    /// The catalog shipped with the project.
    pub fn builtin() -> Self {
        Self::from_json(include_str!("../config/catalog.json"))
            .expect("the built-in catalog is valid")
    }

    pub fn from_json(text: &str) -> Result<Self, CatalogError> {
        Ok(serde_json::from_str(text)?)
    }

    pub fn from_file(path: &str) -> Result<Self, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            path: path.into(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// How many catalog terms (topic keywords and instrument names) a piece of text contains; the scorer
    /// weights chunks by it.
    pub fn mentions(&self, text: &str) -> usize {
        let lower = fold(text);
        let keywords: usize = self
            .topics
            .iter()
            .flat_map(|t| &t.keywords)
            .map(|k| count_word(&lower, k))
            .sum();
        keywords
            + self
                .tickers
                .iter()
                .filter(|i| self.names(i, text, &lower))
                .count()
    }

    fn names(&self, instrument: &Instrument, text: &str, lower: &str) -> bool {
        // Symbols must appear in capitals (or as a cashtag) so "arm" or "mu" in prose do not count.
        let symbol = count_word(text, &instrument.symbol) > 0
            || text.contains(&format!("${}", instrument.symbol.trim_start_matches('^')));
        symbol || instrument.aliases.iter().any(|a| count_word(lower, a) > 0)
    }

    /// Keyword evidence for every topic, in catalog order: each distinct keyword found counts once, a feed's
    /// topic hint counts as half a keyword; evidence = 1 - exp(-0.7 x count), in [0, 1).
    pub fn keyword_evidence(&self, text: &str, hints: &[String]) -> Vec<(&str, f64)> {
        let lower = fold(text);
        self.topics
            .iter()
            .map(|topic| {
                let distinct = topic
                    .keywords
                    .iter()
                    .filter(|k| count_word(&lower, k) > 0)
                    .count() as f64;
                let hinted = if hints.iter().any(|h| h == &topic.id) {
                    0.5
                } else {
                    0.0
                };
                (topic.id.as_str(), 1.0 - (-0.7 * (distinct + hinted)).exp())
            })
            .collect()
    }

    /// Topic confidences from keyword evidence alone (what a model without a topic head gives).
    pub fn topics(&self, text: &str, hints: &[String]) -> Vec<TopicConfidence> {
        reported(
            self.keyword_evidence(text, hints)
                .into_iter()
                .map(|(topic, confidence)| (topic.to_string(), confidence)),
        )
    }

    /// Tickers the article concerns: those it names (symbol or alias), then the baskets of its confident topics.
    pub fn tickers(&self, text: &str, topics: &[TopicConfidence]) -> Vec<TickerRelevance> {
        let lower = fold(text);
        let mut out: Vec<TickerRelevance> = self
            .tickers
            .iter()
            .filter(|i| self.names(i, text, &lower))
            .map(|i| TickerRelevance {
                ticker: i.symbol.clone(),
                reason: "mentioned".into(),
            })
            .collect();
        for confident in topics.iter().filter(|t| t.confidence >= BASKET_THRESHOLD) {
            let Some(topic) = self.topics.iter().find(|t| t.id == confident.topic) else {
                continue;
            };
            for ticker in &topic.basket {
                if !out.iter().any(|r| &r.ticker == ticker) {
                    out.push(TickerRelevance {
                        ticker: ticker.clone(),
                        reason: format!("basket:{}", topic.id),
                    });
                }
            }
        }
        out
    }
}

/// The topics worth reporting (confidence at least [`REPORT_THRESHOLD`]), rounded to three decimals, most
/// confident first.
pub fn reported(confidences: impl IntoIterator<Item = (String, f64)>) -> Vec<TopicConfidence> {
    let mut found: Vec<TopicConfidence> = confidences
        .into_iter()
        .filter(|(_, confidence)| *confidence >= REPORT_THRESHOLD)
        .map(|(topic, confidence)| TopicConfidence {
            topic,
            confidence: (confidence * 1000.0).round() / 1000.0,
        })
        .collect();
    found.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then_with(|| a.topic.cmp(&b.topic))
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalog_exposes_the_hardware_basket_to_ai_efficiency_news() {
        let baskets = Catalog::builtin().baskets();
        let basket = &baskets["ai_efficiency"];
        assert!(basket.iter().any(|t| t == "NVDA"));
        assert!(basket.iter().any(|t| t == "^SOX"));
    }

    #[test]
    fn words_match_on_boundaries_only() {
        assert_eq!(count_word("the r1 model", "r1"), 1);
        assert_eq!(count_word("the r10 model", "r1"), 0);
        assert_eq!(count_word("distilled and distillation", "distill*"), 2);
        assert_eq!(count_word("cost $6m to train", "$6m"), 1);
    }

    #[test]
    fn an_article_about_a_cheap_model_that_names_no_ticker_maps_to_the_hardware_basket() {
        let catalog = Catalog::builtin();
        let text = "DeepSeek says its open-weight R1 reasoning model was trained for about $6M, a fraction of the cost of rival systems.";
        let topics = catalog.topics(text, &[]);
        assert_eq!(topics[0].topic, "ai_efficiency");
        assert!(topics[0].confidence > 0.9, "{topics:?}");
        let tickers = catalog.tickers(text, &topics);
        let nvda = tickers
            .iter()
            .find(|t| t.ticker == "NVDA")
            .expect("NVDA is exposed");
        assert_eq!(nvda.reason, "basket:ai_efficiency");
        assert!(tickers.iter().any(|t| t.ticker == "^SOX"));
    }

    #[test]
    fn french_keywords_match_with_either_apostrophe() {
        let catalog = Catalog::builtin();
        for text in [
            "Washington durcit les contrôles à l'exportation de puces",
            "Washington durcit les contrôles à l\u{2019}exportation de puces",
        ] {
            let topics = catalog.topics(text, &[]);
            assert!(
                topics.iter().any(|t| t.topic == "export_controls"),
                "{text}: {topics:?}"
            );
        }
    }

    #[test]
    fn a_french_article_on_the_same_story_is_tagged_too() {
        let catalog = Catalog::builtin();
        let topics = catalog.topics(
            "DeepSeek entraîne un modèle de pointe pour 6 millions de dollars, bien moins cher",
            &[],
        );
        assert_eq!(
            topics.first().map(|t| t.topic.as_str()),
            Some("ai_efficiency")
        );
    }

    #[test]
    fn a_named_company_is_mentioned_not_inferred() {
        let catalog = Catalog::builtin();
        let tickers = catalog.tickers("Nvidia and $AMD rallied while TSMC reported results", &[]);
        let names: Vec<(&str, &str)> = tickers
            .iter()
            .map(|t| (t.ticker.as_str(), t.reason.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("NVDA", "mentioned"),
                ("TSM", "mentioned"),
                ("AMD", "mentioned")
            ]
        );
    }

    #[test]
    fn ordinary_words_do_not_make_tickers() {
        let catalog = Catalog::builtin();
        assert!(
            catalog
                .tickers("She hurt her arm; mu is a Greek letter", &[])
                .is_empty()
        );
    }

    #[test]
    fn unrelated_news_gets_no_topic_and_no_basket() {
        let catalog = Catalog::builtin();
        let text =
            "The central bank held interest rates steady and signalled patience on inflation.";
        assert!(catalog.topics(text, &[]).is_empty());
        assert!(catalog.tickers(text, &[]).is_empty());
    }

    #[test]
    fn a_feed_hint_alone_is_not_enough_for_the_basket() {
        let catalog = Catalog::builtin();
        let topics = catalog.topics(
            "Quarterly results are due on Thursday",
            &["ai_capex".to_string()],
        );
        assert!(
            topics.iter().all(|t| t.confidence < BASKET_THRESHOLD),
            "{topics:?}"
        );
    }
}
