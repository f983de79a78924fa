//! Canonical article URLs: the same article reached through a tracking link, another letter case in the host
//! or a fragment must get the same id.

use url::Url;

/// Query parameters that identify a campaign or a click, not the article.
fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_")
        || matches!(
            name.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "ocid"
                | "cmpid"
                | "ref"
                | "ref_src"
                | "smid"
                | "guccounter"
        )
}

/// Normalises an absolute http(s) URL: lower-case scheme and host, default port and fragment dropped,
/// tracking parameters removed, remaining parameters sorted. `None` when it is not an http(s) URL.
pub fn canonicalize(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    let mut kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !is_tracking(name))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    kept.sort();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_fragments_and_host_case_do_not_make_a_new_article() {
        let a =
            canonicalize("https://News.Example.org:443/a/deepseek?utm_source=x&id=7#top").unwrap();
        let b = canonicalize("https://news.example.org/a/deepseek?id=7&fbclid=abc").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, "https://news.example.org/a/deepseek?id=7");
    }

    #[test]
    fn remaining_parameters_are_sorted() {
        assert_eq!(
            canonicalize("http://x.org/p?b=2&a=1").unwrap(),
            "http://x.org/p?a=1&b=2"
        );
    }

    #[test]
    fn non_http_and_relative_links_are_not_canonical_urls() {
        assert_eq!(canonicalize("urn:uuid:1234"), None);
        assert_eq!(canonicalize("/relative/path"), None);
        assert_eq!(canonicalize("mailto:desk@example.org"), None);
    }
}
