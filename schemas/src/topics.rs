//! Kafka topics: their names, what each carries and what its messages are keyed by. Defined here once.

use crate::EventType;

/// Every topic of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `ArticlePublished`, keyed by article id (hash of canonical URL or guid).
    Articles,
    /// `AppRankObserved`, keyed by app id.
    AppRanks,
    /// `PriceBarClosed`, keyed by ticker.
    Prices,
    /// `ArticleScored`, keyed by article id, so an article's scores stay ordered.
    Scores,
    /// `SentimentShockDetected`, keyed by shock subject (topic or ticker).
    Shocks,
    /// Anything that could not be processed: original bytes plus reason in headers, keyed by the producing stage.
    DeadLetters,
}

impl Topic {
    pub const ALL: [Topic; 6] = [
        Topic::Articles,
        Topic::AppRanks,
        Topic::Prices,
        Topic::Scores,
        Topic::Shocks,
        Topic::DeadLetters,
    ];

    /// Topic name on the broker. Versioned so a breaking contract change can run beside the old one.
    pub fn name(self) -> &'static str {
        match self {
            Topic::Articles => "shockwave.articles.v1",
            Topic::AppRanks => "shockwave.app-ranks.v1",
            Topic::Prices => "shockwave.prices.v1",
            Topic::Scores => "shockwave.scores.v1",
            Topic::Shocks => "shockwave.shocks.v1",
            Topic::DeadLetters => "shockwave.dead-letters.v1",
        }
    }

    /// What the message key is, for documentation and the README.
    pub fn key_description(self) -> &'static str {
        match self {
            Topic::Articles | Topic::Scores => "article id",
            Topic::AppRanks => "app id",
            Topic::Prices => "ticker",
            Topic::Shocks => "shock subject (topic or ticker)",
            Topic::DeadLetters => "producing stage",
        }
    }

    /// The topic an event type is published to.
    pub fn for_event(event_type: EventType) -> Topic {
        match event_type {
            EventType::ArticlePublished => Topic::Articles,
            EventType::AppRankObserved => Topic::AppRanks,
            EventType::PriceBarClosed => Topic::Prices,
            EventType::ArticleScored => Topic::Scores,
            EventType::SentimentShockDetected => Topic::Shocks,
        }
    }

    pub fn from_name(name: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_name_maps_back_to_its_topic() {
        for topic in Topic::ALL {
            assert_eq!(Topic::from_name(topic.name()), Some(topic));
        }
    }

    #[test]
    fn every_event_type_has_a_topic_that_is_not_the_dead_letter_topic() {
        for event_type in EventType::ALL {
            assert_ne!(Topic::for_event(event_type), Topic::DeadLetters);
        }
    }
}
