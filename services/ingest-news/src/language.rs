//! Language detection for article text, as ISO 639-1 codes; `und` when the text is too short or the guess
//! is unreliable. Function words decide first for the common Latin-script languages (trigram models are
//! weak on one-line headlines); whatlang's trigrams decide otherwise.

use whatlang::Lang;

/// Detects the language of `text`. Titles alone are often too short, so callers pass title and body.
pub fn detect(text: &str) -> String {
    if text.split_whitespace().count() < 3 {
        return "und".into();
    }
    if let Some(code) = by_function_words(text) {
        return code.into();
    }
    let detector = whatlang::Detector::with_allowlist(KNOWN.to_vec());
    match detector.detect(text) {
        Some(info) if info.confidence() >= MIN_CONFIDENCE => {
            iso_639_1(info.lang()).unwrap_or("und").into()
        }
        _ => "und".into(),
    }
}

/// Frequent words that are rare in the other listed languages.
const FUNCTION_WORDS: [(&str, &[&str]); 7] = [
    (
        "en",
        &[
            "the", "and", "of", "to", "is", "are", "was", "with", "as", "its", "after", "for",
            "on", "by", "from", "that", "this", "has", "have", "said", "says", "into", "than",
            "over", "near", "more", "will", "were", "been", "their", "they", "but", "at", "an",
            "be", "it", "which", "who", "about", "up", "out",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "des", "du", "une", "est", "et", "dans", "pour", "qui", "que",
            "sur", "au", "aux", "après", "avec", "son", "ses", "selon", "mais",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ist", "mit", "für", "auf", "den", "dem", "nach", "sich",
            "nicht", "eine", "ein", "bei",
        ],
    ),
    (
        "es",
        &[
            "el", "los", "las", "del", "una", "por", "con", "para", "que", "según", "sus", "como",
            "tras",
        ],
    ),
    (
        "it",
        &[
            "il", "gli", "della", "delle", "di", "che", "per", "una", "sono", "nel", "alla", "dopo",
        ],
    ),
    (
        "pt",
        &[
            "os", "das", "dos", "uma", "não", "para", "com", "que", "em", "após", "pela", "pelo",
        ],
    ),
    (
        "nl",
        &[
            "het", "een", "van", "en", "voor", "niet", "met", "zijn", "naar", "ook", "bij",
        ],
    ),
];

/// The language with at least two function words and more than twice the runner-up's count.
fn by_function_words(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphabetic() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| w.split('\'').next_back().unwrap_or(w))
        .collect();
    let mut counts: Vec<(usize, &'static str)> = FUNCTION_WORDS
        .iter()
        .map(|(code, list)| (words.iter().filter(|w| list.contains(w)).count(), *code))
        .collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.0));
    let (best, code) = counts[0];
    (best >= 2 && best > 2 * counts[1].0).then_some(code)
}

/// Below this whatlang confidence the guess is not used. Its confidence is low on one-sentence news even
/// when right, so the bar sits below its own `is_reliable` rule; a wrong two-letter guess costs less than `und`.
const MIN_CONFIDENCE: f64 = 0.1;

/// Languages detection may answer with: those with a two-letter code below.
const KNOWN: [Lang; 24] = [
    Lang::Eng,
    Lang::Fra,
    Lang::Deu,
    Lang::Spa,
    Lang::Ita,
    Lang::Por,
    Lang::Nld,
    Lang::Rus,
    Lang::Ukr,
    Lang::Pol,
    Lang::Cmn,
    Lang::Jpn,
    Lang::Kor,
    Lang::Ara,
    Lang::Tur,
    Lang::Swe,
    Lang::Dan,
    Lang::Fin,
    Lang::Nob,
    Lang::Ces,
    Lang::Hin,
    Lang::Heb,
    Lang::Vie,
    Lang::Ind,
];

/// Two-letter codes of the languages whatlang knows that have one.
fn iso_639_1(lang: Lang) -> Option<&'static str> {
    Some(match lang {
        Lang::Eng => "en",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Spa => "es",
        Lang::Ita => "it",
        Lang::Por => "pt",
        Lang::Nld => "nl",
        Lang::Rus => "ru",
        Lang::Ukr => "uk",
        Lang::Pol => "pl",
        Lang::Cmn => "zh",
        Lang::Jpn => "ja",
        Lang::Kor => "ko",
        Lang::Ara => "ar",
        Lang::Tur => "tr",
        Lang::Swe => "sv",
        Lang::Dan => "da",
        Lang::Fin => "fi",
        Lang::Nob => "no",
        Lang::Ces => "cs",
        Lang::Hin => "hi",
        Lang::Heb => "he",
        Lang::Vie => "vi",
        Lang::Ind => "id",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_french_news_are_told_apart() {
        assert_eq!(
            detect(
                "Nvidia shares fell sharply on Monday after a Chinese lab released a cheap reasoning model."
            ),
            "en"
        );
        assert_eq!(
            detect(
                "Le titre de Nvidia a chuté lundi après la publication d'un modèle chinois beaucoup moins cher."
            ),
            "fr"
        );
    }

    #[test]
    fn short_headlines_in_both_languages_are_recognised() {
        assert_eq!(
            detect("Nvidia loses $589 billion of market value as DeepSeek rattles the chip sector"),
            "en"
        );
        assert_eq!(
            detect("Les valeurs des semi-conducteurs plongent à Wall Street"),
            "fr"
        );
    }

    #[test]
    fn too_little_text_is_undetermined() {
        assert_eq!(detect("DeepSeek"), "und");
    }
}
