//! Every feed the service polls by default (`deploy/config/news-feeds.json`) has a response in its real format
//! under `fixtures/sources/`, and the service's own path reads it: items come out as articles in the feed's
//! language, none refused. The list itself has at least 12 feeds, at least 3 of them French.

use shockwave_ingest_news::{convert_feed, feeds_config};
use shockwave_schemas::Payload;

fn manifest(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn every_default_feed_has_a_recorded_response_that_reads_as_articles_in_its_language() {
    let text = std::fs::read_to_string(manifest("../../deploy/config/news-feeds.json")).unwrap();
    let feeds = feeds_config::parse(&text).unwrap();
    assert!(feeds.len() >= 12, "{} feeds", feeds.len());
    let french = feeds
        .iter()
        .filter(|f| f.language.as_deref() == Some("fr"))
        .count();
    assert!(french >= 3, "{french} French feeds");
    for feed in &feeds {
        assert!(
            feed.url.starts_with("https://"),
            "{}: {}",
            feed.id,
            feed.url
        );
        assert!(
            feed.poll_interval_secs >= 300,
            "{} polls more often than every five minutes",
            feed.id
        );
        let path = manifest(&format!("fixtures/sources/{}.xml", feed.id));
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: no recorded response ({e})", path.display()));
        let converted = convert_feed(
            &bytes,
            Some("application/xml"),
            &feed.id,
            Some(&feed.source()),
        );
        assert!(
            converted.rejects.is_empty(),
            "{}: {:?}",
            feed.id,
            converted.rejects
        );
        assert!(
            converted.events.len() >= 2,
            "{}: {} items",
            feed.id,
            converted.events.len()
        );
        for event in &converted.events {
            let Payload::ArticlePublished(article) = &event.payload else {
                panic!("{}: {:?}", feed.id, event.payload);
            };
            assert_eq!(article.feed_id, feed.id);
            assert!(
                !article.title.is_empty() && !article.title.contains('<'),
                "{}",
                article.title
            );
            assert!(
                article.canonical_url.starts_with("https://"),
                "{}",
                article.canonical_url
            );
            assert_eq!(
                Some(article.language.as_str()),
                feed.language.as_deref(),
                "{}: {}",
                feed.id,
                article.title
            );
        }
    }
}
