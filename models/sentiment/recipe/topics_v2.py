"""The topic head of model v2: which catalog topics a text is about, from its meaning and its words.

The served model has a second embedding output, `topic_embedding`: the L2-normalised mean pooling of encoder
layer 7 of 12. Sentiment fine-tuning reshapes the top layers for sentiment (the final embedding separates
topics no better than chance plus a little: mean AUC 0.65 on the evaluation headlines), while layer 7 keeps what
the multilingual base knew about meaning (AUC 0.87), at no extra cost: it is computed on the way.
For each catalog topic:
    p = sigmoid(w . e + w_keywords * k + bias)
where e is the text's topic embedding (for an article, its chunks' embeddings averaged with the chunk weights the
sentiment uses, normalised) and k = 1 - exp(-0.7 x distinct catalog keywords found) is the keyword evidence the
catalog alone gave before (a feed's topic hint counts half a keyword). The text is about the topic when
p >= 0.5. w, w_keywords and bias are a logistic regression per topic on the labelled training headlines
(`data/topics_train.csv` and the domain headlines in `data/headlines_train.csv`, English and French); its L2
penalty and decision threshold are chosen by 5-fold cross-validation on that training set (never on the
evaluation headlines), and the threshold is folded into the bias so that 0.5 is always the cut.

The Rust scorer applies exactly this (services/scorer/src/topics.rs), from `topics.json` in the model folder.
"""
import csv
import json
import math
from pathlib import Path

import numpy as np

import labelled_sets as sets

L2_GRID = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.03, 0.1)
THRESHOLD_GRID = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
FOLDS = 5


def is_word_char(c):
    return c.isalnum() or c == "_"


def count_word(haystack, needle):
    """Occurrences of `needle` in `haystack` on word boundaries; a trailing `*` matches any word ending
    (the catalog's rule, as crates/catalog implements it)."""
    prefix = needle.endswith("*")
    if prefix:
        needle = needle[:-1]
    if not needle:
        return 0
    count, start = 0, 0
    while True:
        at = haystack.find(needle, start)
        if at < 0:
            return count
        before_ok = at == 0 or not is_word_char(haystack[at - 1]) or not is_word_char(needle[0])
        end = at + len(needle)
        after_ok = prefix or end == len(haystack) or not is_word_char(haystack[end]) or not is_word_char(needle[-1])
        if before_ok and after_ok:
            count += 1
        start = at + 1


def fold(text):
    """Lower case, typographic apostrophes as plain ones (crates/catalog's `fold`)."""
    return text.lower().replace("\u2019", "'")


def keyword_evidence(topic, text):
    lower = fold(text)
    distinct = sum(1 for k in topic["keywords"] if count_word(lower, k) > 0)
    return 1.0 - math.exp(-0.7 * distinct)


def probabilities(head, catalog, embedding, text):
    """Topic -> probability for one text (what the parity fixture records); keyword evidence from `catalog`."""
    embedding = np.asarray(embedding, dtype=np.float64)
    by_id = {t["id"]: t for t in catalog["topics"]}
    out = {}
    for t in head["topics"]:
        z = float(np.dot(embedding, t["weights"])) + t["w_keywords"] * keyword_evidence(by_id[t["topic"]], text) \
            + t["bias"]
        out[t["topic"]] = round(1.0 / (1.0 + math.exp(-z)), 6)
    return out


def logistic(x, y, l2, steps=60):
    """Weights minimising the log loss plus l2 * |w|^2 (the bias, last column, unpenalised), by Newton's method."""
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + 2 * penalty * w
        hess = x.T @ (x * (p * (1 - p))[:, None]) + np.diag(2 * penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


def read_topic_set(path):
    with Path(path).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [set(t for t in r["topics"].split(";") if t) for r in rows]


def training_set():
    texts, gold = read_topic_set(sets.RECIPE / "data" / "topics_train.csv")
    more, more_gold = read_topic_set(sets.RECIPE / "data" / "headlines_train.csv")
    return texts + more, gold + more_gold


def design(emb, keywords):
    return np.hstack([emb, keywords[:, None], np.ones((len(emb), 1))])


def scores(predicted, gold):
    tp = sum(len(p & g) for p, g in zip(predicted, gold))
    fp = sum(len(p - g) for p, g in zip(predicted, gold))
    fn = sum(len(g - p) for p, g in zip(predicted, gold))
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 0.0 if tp == 0 else 2 * precision * recall / (precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1, "true_positives": tp, "false_positives": fp,
            "false_negatives": fn}


def cross_validate(emb, keywords, gold, topics):
    """(l2, threshold) with the best micro F1 over 5 folds of the training set (every topic together)."""
    rng = np.random.default_rng(20250127)
    fold = rng.permutation(len(emb)) % FOLDS
    best = None
    for l2 in L2_GRID:
        probs = {t["id"]: np.zeros(len(emb)) for t in topics}
        for k in range(FOLDS):
            train, test = fold != k, fold == k
            for t in topics:
                y = np.array([t["id"] in g for g in gold], dtype=float)
                x = design(emb, keywords[t["id"]])
                w = logistic(x[train], y[train], l2)
                probs[t["id"]][test] = 1.0 / (1.0 + np.exp(-x[test] @ w))
        for threshold in THRESHOLD_GRID:
            predicted = [{tid for tid in probs if probs[tid][i] >= threshold} for i in range(len(emb))]
            f1 = scores(predicted, gold)["f1"]
            if best is None or f1 > best[0]:
                best = (f1, l2, threshold)
    return {"f1": best[0], "l2": best[1], "threshold": best[2]}


def fit(embed, tokenizer, catalog):
    """(the head as JSON, figures): fitted on the training headlines, measured on the evaluation headlines."""
    from train import encode  # imports torch: only fitting and evaluating need it, `probabilities` does not

    texts, gold = training_set()
    emb = embed(encode(tokenizer, texts, 256)).astype(np.float64)
    keywords = {t["id"]: np.array([keyword_evidence(t, x) for x in texts]) for t in catalog["topics"]}
    chosen = cross_validate(emb, keywords, gold, catalog["topics"])
    shift = math.log(chosen["threshold"] / (1 - chosen["threshold"]))
    head = {"version": 2, "embedding": "topic_embedding", "cross_validation": chosen, "topics": []}
    for t in catalog["topics"]:
        y = np.array([t["id"] in g for g in gold], dtype=float)
        w = logistic(design(emb, keywords[t["id"]]), y, chosen["l2"])
        head["topics"].append({"topic": t["id"], "w_keywords": round(float(w[-2]), 6),
                               "bias": round(float(w[-1]) - shift, 6),
                               "weights": [round(float(v), 6) for v in w[:-2]]})
    report = evaluate(head, embed, tokenizer, catalog)
    report["training_headlines"] = len(texts)
    report["cross_validation"] = chosen
    return head, report


def evaluate(head, embed, tokenizer, catalog):
    """Micro precision and recall over (headline, topic) pairs on the evaluation headlines, per language and
    together, for the head and for the keywords alone (confidence >= 0.5, the catalog's rule before)."""
    from train import encode

    by_topic = {t["id"]: t for t in catalog["topics"]}
    report = {}
    all_head, all_kw, all_gold = [], [], []
    for language in ("en", "fr"):
        texts, gold = read_topic_set(sets.EVAL / f"headlines_{language}.csv")
        emb = embed(encode(tokenizer, texts, 256)).astype(np.float64)
        head_pred = [{t for t, p in probabilities(head, catalog, e, text).items() if p >= 0.5}
                     for e, text in zip(emb, texts)]
        kw_pred = [{tid for tid, topic in by_topic.items() if keyword_evidence(topic, text) >= 0.5}
                   for text in texts]
        report[language] = {"head": scores(head_pred, gold), "keywords_only": scores(kw_pred, gold),
                            "headlines": len(texts)}
        all_head += head_pred
        all_kw += kw_pred
        all_gold += gold
    report["both"] = {"head": scores(all_head, all_gold), "keywords_only": scores(all_kw, all_gold)}
    return report
