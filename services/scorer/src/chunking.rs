//! Splitting an article into pieces the model can read: the title on its own, then the body cut at sentence
//! ends into chunks of at most `max_tokens`, each weighted by how much of the article's subject it carries.

/// Most chunks scored per article. A 1 MB body would otherwise cost thousands of forward passes; the leading
/// chunks carry the news, and the chunk count is reported with the score.
pub const MAX_CHUNKS: usize = 32;

/// One piece of an article.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub text: String,
    pub weight: f64,
}

/// Splits text after `.`, `!`, `?` or a line break that ends a sentence.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends = match c {
            '\n' => true,
            '.' | '!' | '?' | '。' => chars.peek().is_none_or(|(_, next)| next.is_whitespace()),
            _ => false,
        };
        if ends {
            let end = i + c.len_utf8();
            let piece = text[start..end].trim();
            if !piece.is_empty() {
                out.push(piece);
            }
            start = end;
        }
    }
    let tail = text[start..].trim();
    if !tail.is_empty() {
        out.push(tail);
    }
    out
}

/// Greedily packs sentences into chunks of at most `max_tokens` (as counted by `count`); a sentence longer
/// than that is cut between words.
pub fn pack(sentences: &[&str], max_tokens: usize, count: &dyn Fn(&str) -> usize) -> Vec<String> {
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_tokens = 0;
    let flush = |current: &mut String, current_tokens: &mut usize, chunks: &mut Vec<String>| {
        if !current.is_empty() {
            chunks.push(std::mem::take(current));
        }
        *current_tokens = 0;
    };
    for sentence in sentences {
        let tokens = count(sentence);
        if tokens > max_tokens {
            flush(&mut current, &mut current_tokens, &mut chunks);
            let mut piece = String::new();
            for word in sentence.split_whitespace() {
                let candidate = if piece.is_empty() {
                    word.to_string()
                } else {
                    format!("{piece} {word}")
                };
                if !piece.is_empty() && count(&candidate) > max_tokens {
                    chunks.push(std::mem::replace(&mut piece, word.to_string()));
                } else {
                    piece = candidate;
                }
            }
            if !piece.is_empty() {
                chunks.push(piece);
            }
            continue;
        }
        if current_tokens + tokens > max_tokens {
            flush(&mut current, &mut current_tokens, &mut chunks);
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(sentence);
        current_tokens += tokens;
        if chunks.len() >= MAX_CHUNKS {
            break;
        }
    }
    flush(&mut current, &mut current_tokens, &mut chunks);
    chunks.truncate(MAX_CHUNKS);
    chunks
}

/// The chunks of an article: the title (weight doubled: headlines carry the news) and the body's chunks.
/// Each chunk's weight is 1 + the number of catalog terms it names, so a paragraph about Nvidia outweighs
/// a boilerplate sign-off.
pub fn article_chunks(
    title: &str,
    body: &str,
    max_tokens: usize,
    count: &dyn Fn(&str) -> usize,
    mentions: &dyn Fn(&str) -> usize,
) -> Vec<Chunk> {
    let mut texts = Vec::new();
    if !title.trim().is_empty() {
        texts.extend(pack(&[title.trim()], max_tokens, count));
    }
    let title_chunks = texts.len();
    texts.extend(pack(&sentences(body), max_tokens, count));
    texts.truncate(MAX_CHUNKS);
    texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let relevance = 1.0 + mentions(&text) as f64;
            let weight = if i < title_chunks {
                2.0 * relevance
            } else {
                relevance
            };
            Chunk { text, weight }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> usize {
        text.split_whitespace().count()
    }

    #[test]
    fn sentences_split_at_their_ends_but_not_inside_numbers() {
        assert_eq!(
            sentences("Nvidia fell 16.97% on Monday. Chips slid! Why?\nNext"),
            vec![
                "Nvidia fell 16.97% on Monday.",
                "Chips slid!",
                "Why?",
                "Next"
            ]
        );
    }

    #[test]
    fn sentences_are_packed_up_to_the_token_limit() {
        let chunks = pack(
            &["one two three.", "four five.", "six seven eight nine."],
            5,
            &words,
        );
        assert_eq!(
            chunks,
            vec!["one two three. four five.", "six seven eight nine."]
        );
    }

    #[test]
    fn an_overlong_sentence_is_cut_between_words() {
        let chunks = pack(&["a b c d e f g"], 3, &words);
        assert_eq!(chunks, vec!["a b c", "d e f", "g"]);
    }

    #[test]
    fn a_huge_body_is_capped_at_max_chunks() {
        let body = "word ".repeat(100_000);
        let chunks = article_chunks("Title", &body, 10, &words, &|_| 0);
        assert_eq!(chunks.len(), MAX_CHUNKS);
    }

    #[test]
    fn the_title_weighs_double_and_relevant_chunks_weigh_more() {
        let chunks = article_chunks(
            "Title here",
            "Nvidia news. Nothing else.",
            2,
            &words,
            &|t| usize::from(t.contains("Nvidia")),
        );
        let weights: Vec<f64> = chunks.iter().map(|c| c.weight).collect();
        assert_eq!(weights, vec![2.0, 2.0, 1.0]);
    }

    #[test]
    fn an_empty_body_leaves_the_title_alone() {
        let chunks = article_chunks("Only a title", "   ", 64, &words, &|_| 0);
        assert_eq!(chunks.len(), 1);
    }
}
