//! The shipped DeepSeek-week news replays cleanly: every file reads without a reject, the counts the demo
//! promises are there, the French items are detected as French, and ids are unique.

use std::collections::HashSet;
use std::path::PathBuf;

use shockwave_ingest_news::{convert_archive, convert_feed};
use shockwave_schemas::Payload;

fn news_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/deepseek-week/news")
}

#[test]
fn every_demo_item_becomes_an_article() {
    let mut events = Vec::new();
    for (file, archive) in [
        ("harbour-markets-wire.rss.xml", false),
        ("lantern-tech-desk.atom.xml", false),
        ("die-shot-chip-letter.json", false),
        ("archive.ndjson", true),
    ] {
        let path = news_dir().join(file);
        let bytes = std::fs::read(&path).unwrap();
        let location = path.display().to_string();
        let converted = if archive {
            convert_archive(&bytes, &location)
        } else {
            convert_feed(&bytes, None, &location, None)
        };
        assert!(
            converted.rejects.is_empty(),
            "{file}: {:?}",
            converted.rejects
        );
        events.extend(converted.events);
    }
    assert_eq!(events.len(), 129);
    let ids: HashSet<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), events.len(), "article ids are unique");
    let articles: Vec<_> = events
        .iter()
        .map(|e| match &e.payload {
            Payload::ArticlePublished(a) => a,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(articles.iter().all(|a| !a.published_at_estimated));
    let french: Vec<_> = articles
        .iter()
        .filter(|a| a.source_name == "Le Fil Éco")
        .collect();
    assert_eq!(french.len(), 20);
    let misdetected: Vec<_> = french
        .iter()
        .filter(|a| a.language != "fr")
        .map(|a| &a.title)
        .collect();
    assert!(
        misdetected.is_empty(),
        "not detected as French: {misdetected:?}"
    );
    let english_as_other = articles
        .iter()
        .filter(|a| a.source_name != "Le Fil Éco" && a.language != "en")
        .map(|a| (&a.title, &a.language))
        .collect::<Vec<_>>();
    assert!(english_as_other.is_empty(), "{english_as_other:?}");
    for event in &events {
        event.validate().unwrap();
    }
}
