"""The labelled sets model v2 is trained and measured on, read the same way by training, export and evaluation.

- Twitter financial news (MIT): `train.csv` for training, `validation.csv` for model selection and figures.
- FinEntity (ODC-BY 1.0, "FinEntity, yixuantt/FinEntity"): entity-level labels become one article-level label
  by this rule: more Positive than Negative entities -> positive, more Negative than Positive -> negative, only
  Neutral entities -> neutral; a tie between Positive and Negative is ambiguous and left out. A fixed 20 % of
  the snippets (every fifth, in file order) is held out as the formal-news evaluation set.
- French training sentences: 1,200 training-split tweets (400 per class, seeded draw) translated into French in
  this project (`data/twitter_train_fr.csv`, with the source row of each).
- Domain headlines for training (`data/headlines_train.csv`): 245 English headlines written for this project on
  chips, cloud capex, AI models, export controls and ordinary market news, each with its French translation
  (the `pair` column links them); none is a near-copy of an evaluation headline (word overlap checked).
- The evaluation headlines (`../eval/headlines_{en,fr}.csv`), written for this project and never trained on.
"""
import csv
import hashlib
import json
from pathlib import Path

LABELS = ["negative", "neutral", "positive"]
RECIPE = Path(__file__).resolve().parent
EVAL = RECIPE.parent / "eval"


def read_csv(path: Path, text="text", label="label"):
    with Path(path).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r[text] for r in rows], [LABELS.index(r[label]) for r in rows]


def finentity_label(annotations):
    pos = sum(a["label"] == "Positive" for a in annotations)
    neg = sum(a["label"] == "Negative" for a in annotations)
    if pos > neg:
        return LABELS.index("positive")
    if neg > pos:
        return LABELS.index("negative")
    if pos == 0:
        return LABELS.index("neutral")
    return None  # as many positive as negative entities: no article-level label


def finentity(path: Path):
    """(train texts, train labels, held-out texts, held-out labels)."""
    items = json.loads(Path(path).read_text(encoding="utf-8"))
    split = {True: ([], []), False: ([], [])}
    for i, item in enumerate(items):
        label = finentity_label(item["annotations"])
        if label is None:
            continue
        held_out = i % 5 == 4
        split[held_out][0].append(item["content"])
        split[held_out][1].append(label)
    return (*split[False], *split[True])


def parallel_pairs(twitter_train: Path):
    """(English, French) texts of the same meaning: each translated training tweet with its original, and each
    domain headline with its translation."""
    english = read_csv(twitter_train)[0]
    pairs = []
    with (RECIPE / "data" / "twitter_train_fr.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            pairs.append((english[int(row["source_row"])], row["text"]))
    by_pair = {}
    with (RECIPE / "data" / "headlines_train.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_pair.setdefault(row["pair"], {})[row["language"]] = row["text"]
    pairs += [(p["en"], p["fr"]) for p in by_pair.values() if "en" in p and "fr" in p]
    return pairs


def headlines_train():
    return read_csv(RECIPE / "data" / "headlines_train.csv")


def headlines(language: str):
    return read_csv(EVAL / f"headlines_{language}.csv")


def ntrex(folder: Path):
    english = (Path(folder) / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    french = (Path(folder) / "newstest2019-ref.fra.txt").read_text(encoding="utf-8").splitlines()
    assert len(english) == len(french)
    return english, french


def training_mix(twitter: Path, finentity_path: Path):
    """(texts, labels, EN/FR pairs, a one-line description) of what v2 and later models train on: the Twitter
    train split, the FinEntity training part twice, the French tweets, the domain headlines twice."""
    tw_texts, tw_labels = read_csv(Path(twitter) / "train.csv")
    fe_texts, fe_labels, _, _ = finentity(finentity_path)
    fr_texts, fr_labels = read_csv(RECIPE / "data" / "twitter_train_fr.csv")
    hl_texts, hl_labels = headlines_train()
    pairs = parallel_pairs(Path(twitter) / "train.csv")
    texts = tw_texts + fe_texts + fe_texts + fr_texts + hl_texts + hl_texts
    labels = tw_labels + fe_labels + fe_labels + fr_labels + hl_labels + hl_labels
    described = (f"twitter {len(tw_texts)}, finentity {len(fe_texts)} x2, french tweets {len(fr_texts)}, "
                 f"headlines {len(hl_texts)} x2")
    return texts, labels, pairs, described


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def data_hashes(twitter: Path, finentity_path: Path):
    """sha256 of every file the training mix and model selection read."""
    return {"train.csv": sha256(Path(twitter) / "train.csv"), "validation.csv": sha256(Path(twitter) / "validation.csv"),
            "FinEntity.json": sha256(finentity_path),
            "twitter_train_fr.csv": sha256(RECIPE / "data" / "twitter_train_fr.csv"),
            "headlines_train.csv": sha256(RECIPE / "data" / "headlines_train.csv")}
