"""Keeps only the vocabulary pieces English and French text uses, and the embedding rows of those pieces.

A piece is kept when the full tokenizer produces it for some input of:
- the dictionaries of Debian's `wamerican-large`, `wbritish-large` and `wfrench` (every word as written, lower
  case, capitalised and upper case, alone, after `l'`/`d'`/`qu'`, and beside common punctuation);
- running text: the training sets, the French manual pages of Debian's `manpages-fr`, and numbers, amounts and
  percentages in both languages' styles;
- every single character of the Latin, punctuation, currency and symbol blocks, alone and word-initial.
Unigram segmentation picks the best path through the kept pieces; a text whose best path used only kept pieces
gets exactly the same tokens as before, and the rest falls back to smaller pieces that are kept.

Usage: python3 trim_vocab.py FULL_DIR OUT_DIR [TEXT_FILE ...]
  FULL_DIR  output of convert_e5.py; TEXT_FILE: extra running text, one item per line (CSV columns are fine)
"""
import gzip
import json
import re
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

DICTIONARIES = ["/usr/share/dict/american-english-large", "/usr/share/dict/british-english-large",
                "/usr/share/dict/french"]
MANPAGES_FR = Path("/usr/share/man/fr")
CHAR_RANGES = [(0x20, 0x7E), (0xA0, 0x24F), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x218F),
               (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2500, 0x257F), (0x25A0, 0x25FF), (0x2600, 0x27BF),
               (0x1F300, 0x1F64F), (0x1F680, 0x1F6FF)]
# Lower-case words also in the contexts that glue pieces to them: punctuation and French elision.
WORD_CONTEXTS = ["{w}.", "({w}),", "\"{w}\"", "{w}'s", "l'{w}", "d'{w}", "qu'{w}"]


def dictionary_words():
    """Every form of every dictionary word, and the lower-case forms in their contexts."""
    forms, lower = set(), set()
    for path in DICTIONARIES:
        for line in Path(path).read_text(encoding="utf-8", errors="ignore").splitlines():
            w = line.strip()
            if w:
                forms.update({w, w.lower(), w.capitalize(), w.upper()})
                lower.add(w.lower())
    return sorted(forms) + [ctx.format(w=w) for w in sorted(lower) for ctx in WORD_CONTEXTS]


def manpage_text():
    lines = []
    for page in sorted(MANPAGES_FR.rglob("*.gz")):
        for line in gzip.open(page, "rt", encoding="utf-8", errors="ignore"):
            if line.startswith((".", "'")):
                line = line.split(" ", 1)[1] if " " in line else ""
            line = re.sub(r"\\f[BIRP]|\\f\(..|\\-|\\\(..|\\[&e|^]", " ", line).strip()
            if line:
                lines.append(line)
    return lines


def number_texts():
    out = []
    for n in range(0, 10000):
        out += [str(n), f"{n}%", f"{n} %", f"${n}", f"{n}$", f"{n}€", f"{n} €", f"€{n}"]
    for n in range(0, 1000):
        a, b = divmod(n, 10)
        out += [f"{a}.{b}", f"{a},{b}", f"{a}.{b}%", f"{a},{b} %", f"${a}.{b}bn", f"{a},{b} Md€", f"+{a}.{b}%",
                f"-{a}.{b}%", f"{n:,}", f"{n}m", f"{n}bn", f"{n}k", f"Q{b % 4 + 1}", f"{1900 + n % 200}"]
    return out


def single_chars():
    out = []
    for lo, hi in CHAR_RANGES:
        for cp in range(lo, hi + 1):
            c = chr(cp)
            out += [c, f"a{c}", f"{c}a"]
    return out


def extra_text(paths):
    out = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8", errors="ignore").splitlines():
            out.append(line)
    return out


def used_ids(tokenizer, texts, batch=20000):
    used = set()
    for start in range(0, len(texts), batch):
        for enc in tokenizer.encode_batch(texts[start : start + batch], add_special_tokens=False):
            used.update(enc.ids)
    return used


def main():
    full, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer.from_file(str(full / "tokenizer.json"))
    spec = json.loads((full / "tokenizer.json").read_text())
    full_pieces = len(spec["model"]["vocab"])
    config = json.loads((full / "config.json").read_text())
    words = dictionary_words()
    texts = words + manpage_text() + number_texts() + single_chars() + extra_text(sys.argv[3:])
    used = used_ids(tokenizer, texts)
    specials = sorted(config["special_ids"].values())
    keep = specials + sorted(used - set(specials))
    print(f"{len(texts):,} inputs: keeping {len(keep):,} of {full_pieces:,} pieces", flush=True)

    remap = {old: new for new, old in enumerate(keep)}
    spec["model"]["vocab"] = [spec["model"]["vocab"][old] for old in keep]
    spec["model"]["unk_id"] = remap[spec["model"]["unk_id"]]
    for name, token in spec["post_processor"]["special_tokens"].items():
        token["ids"] = [remap[i] for i in token["ids"]]
    config["special_ids"] = {k: remap[v] for k, v in config["special_ids"].items()}
    config["vocab_size"] = len(keep)
    config["trimmed_from"] = {"pieces": full_pieces, "kept": len(keep)}

    weights = load_file(str(full / "model.safetensors"))
    name = "embeddings.word_embeddings.weight"
    weights[name] = weights[name][torch.tensor(keep)].contiguous()
    save_file(weights, str(out / "model.safetensors"))
    (out / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False))
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "kept_ids.json").write_text(json.dumps(keep))


if __name__ == "__main__":
    main()
