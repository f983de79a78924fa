//! The ingestors fed files with the odd items real sources contain, between good ones: a JSON Feed with a NUL in
//! a title, a bell in a body, a 1.2 MB title and a date in the year 3000; a price CSV with a date before 4713 BC,
//! a close of 1e300 and a ticker with a control character; an app-rank history with a date in 2300 and a NUL in
//! an app name. No ingestor stops: the good items are published (free text of articles cleaned of control
//! characters), each refused item is dead-lettered once with its class, and nothing else is sent.

use std::collections::BTreeMap;

use shockwave_kit::Shutdown;
use shockwave_schemas::dead_letter::DeadLetter;
use shockwave_schemas::{Event, Payload, Topic};
use shockwave_tests::topic_tail::TopicMark;
use shockwave_tests::{brokers, settings, unique};

fn write(dir: &std::path::Path, name: &str, body: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

/// Reason kinds of the dead letters that `pick` chooses, counted.
fn kinds(letters: &[DeadLetter], pick: impl Fn(&DeadLetter) -> bool) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for letter in letters.iter().filter(|l| pick(l)) {
        *out.entry(letter.reason_kind.clone()).or_default() += 1;
    }
    out
}

fn located_in(file: &'static str) -> impl Fn(&DeadLetter) -> bool {
    move |l| l.location.as_deref().is_some_and(|loc| loc.contains(file))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_items_in_files_become_dead_letters_and_the_good_ones_go_through() {
    let run = unique("hostile_files");
    let dir = std::env::temp_dir().join(&run);
    std::fs::create_dir_all(&dir).unwrap();
    let url = |i: usize| format!("https://odd.example/{run}/{i}");
    let feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Odd wire",
        "items": [
            {"id": url(1), "url": url(1), "title": "Chip stocks rally", "content_text": "Good news.", "date_published": "2025-01-27T14:00:00Z"},
            {"id": url(2), "url": url(2), "title": "Nvidia\u{0} falls", "content_text": "A NUL in the title.", "date_published": "2025-01-27T14:01:00Z"},
            {"id": url(3), "url": url(3), "title": "Bell in the body", "content_text": "Ding\u{7} dong", "date_published": "2025-01-27T14:02:00Z"},
            {"id": url(4), "url": url(4), "title": "x".repeat(1_200_000), "content_text": "Huge title.", "date_published": "2025-01-27T14:03:00Z"},
            {"id": url(5), "url": url(5), "title": "From the future", "content_text": "Year 3000.", "date_published": "3000-01-01T00:00:00Z"},
        ]
    });
    let news = write(&dir, "odd-feed.json", &serde_json::to_vec(&feed).unwrap());
    let ticker = format!("ODD{}", &run[run.len() - 6..]).to_uppercase();
    let prices = write(
        &dir,
        "odd-prices.csv",
        format!(
            "date,ticker,open,high,low,close,volume\n\
             2025-01-27,{ticker},10,11,9,10.5,100\n\
             -4714-11-24,{ticker},10,11,9,10.5,100\n\
             2025-01-28,{ticker},1e300,1e300,9,1e300,100\n\
             2025-01-29,{ticker}\u{7},10,11,9,10.5,100\n\
             2025-01-30,{ticker},10,11,9,10.6,100\n"
        )
        .as_bytes(),
    );
    let app = format!("{run}-app");
    let ranks = write(
        &dir,
        "odd-ranks.csv",
        format!(
            "date,store,country,chart,rank,app_id,app_name,developer\n\
             2025-01-26,apple,us,top-free,1,{app},Odd App,Dev\n\
             2300-01-01,apple,us,top-free,2,{app},Odd App,Dev\n\
             2025-01-27,apple,us,top-free,3,{app},Odd\u{0}App,Dev\n"
        )
        .as_bytes(),
    );

    let brokers = brokers();
    let articles = TopicMark::now(&brokers, Topic::Articles).await;
    let bars = TopicMark::now(&brokers, Topic::Prices).await;
    let ranked = TopicMark::now(&brokers, Topic::AppRanks).await;
    let dead = TopicMark::now(&brokers, Topic::DeadLetters).await;
    let config = settings("postgres://unused@127.0.0.1/unused", &[]);

    let summary = shockwave_ingest_news::run(
        config
            .config::<shockwave_ingest_news::Config>(vec![news])
            .unwrap(),
        Shutdown::new(),
    )
    .await
    .expect("the news ingestor finishes");
    assert_eq!((summary.published, summary.dead_lettered), (3, 2));
    let summary = shockwave_ingest_prices::run(
        config
            .config::<shockwave_ingest_prices::Config>(vec![prices])
            .unwrap(),
        Shutdown::new(),
    )
    .await
    .expect("the price ingestor finishes");
    assert_eq!((summary.published, summary.dead_lettered), (2, 3));
    let summary = shockwave_ingest_appranks::run(
        config
            .config::<shockwave_ingest_appranks::Config>(vec![ranks])
            .unwrap(),
        Shutdown::new(),
    )
    .await
    .expect("the rank ingestor finishes");
    assert_eq!((summary.published, summary.dead_lettered), (1, 2));

    // Published articles carry cleaned text.
    let mut titles: Vec<(String, String)> = articles
        .read_since(&brokers)
        .await
        .into_iter()
        .filter_map(|r| Event::decode(&r.payload).ok())
        .filter_map(|e| match e.payload {
            Payload::ArticlePublished(a) if a.canonical_url.contains(&run) => {
                Some((a.title, a.body))
            }
            _ => None,
        })
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        vec![
            ("Bell in the body".to_string(), "Ding dong".to_string()),
            ("Chip stocks rally".to_string(), "Good news.".to_string()),
            (
                "Nvidia falls".to_string(),
                "A NUL in the title.".to_string()
            ),
        ]
    );
    let bar_count = bars
        .read_since(&brokers)
        .await
        .into_iter()
        .filter_map(|r| Event::decode(&r.payload).ok())
        .filter(|e| e.key == ticker)
        .count();
    assert_eq!(bar_count, 2);
    let rank_count = ranked
        .read_since(&brokers)
        .await
        .into_iter()
        .filter_map(|r| Event::decode(&r.payload).ok())
        .filter(|e| e.key == app)
        .count();
    assert_eq!(rank_count, 1);

    let letters: Vec<DeadLetter> = dead
        .read_since(&brokers)
        .await
        .into_iter()
        .filter_map(|r| serde_json::from_slice(&r.payload).ok())
        .collect();
    assert_eq!(
        kinds(&letters, located_in("odd-feed.json")),
        BTreeMap::from([("time_out_of_range".into(), 1), ("too_large".into(), 1)])
    );
    let prices_kinds = kinds(&letters, located_in("odd-prices.csv"));
    assert_eq!(prices_kinds.values().sum::<usize>(), 3, "{prices_kinds:?}");
    let price_reasons: Vec<&str> = letters
        .iter()
        .filter(|l| located_in("odd-prices.csv")(l))
        .map(|l| l.reason.as_str())
        .collect();
    for expected in ["-4714", "is outside", "control character"] {
        assert!(
            price_reasons.iter().any(|r| r.contains(expected)),
            "no reason mentions {expected}: {price_reasons:?}"
        );
    }
    let about_app = |l: &DeadLetter| {
        l.original()
            .is_ok_and(|o| String::from_utf8_lossy(&o).contains(app.as_str()))
    };
    assert_eq!(
        kinds(&letters, about_app),
        BTreeMap::from([
            ("control_character".into(), 1),
            ("time_out_of_range".into(), 1)
        ]),
        "the rank events the contract refused"
    );
    for letter in &letters {
        assert!(letter.to_json().len() < 1_000_000);
    }
    std::fs::remove_dir_all(&dir).ok();
}
