"""The reference the scorer is measured beside: ONNX Runtime from Python (2 intra-op threads) on a model file and
texts, tokenisation included, in length-sorted batches of 32 (or file-order padded batches with --file-order).
Prints one JSON line: texts per second and the ONNX Runtime version. `scorer-bench --python` runs it between
its own rounds, so the ratios come from one run.

Usage: python3 reference_bench.py --model FILE.onnx --tokenizer tokenizer.json --texts FILE.csv [--batch 32]
"""
import argparse
import csv
import json
import os
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("THREADS", "2"))
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def tokenizer(path):
    tok = Tokenizer.from_file(path)
    tok.no_padding()
    tok.enable_truncation(256)
    return tok


def run_batch(sess, ids_list):
    width = max(len(x) for x in ids_list)
    ids = np.zeros((len(ids_list), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for r, row in enumerate(ids_list):
        ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    return sess.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]


def run_sorted(model, tokenizer_path, texts, batch=32):
    """(logits in input order, seconds) for length-sorted batches, tokenisation included."""
    sess, tok = session(model), tokenizer(tokenizer_path)
    run_batch(sess, [e.ids for e in tok.encode_batch(texts[:64])])  # warm-up
    start = time.perf_counter()
    ids = [e.ids for e in tok.encode_batch(texts)]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros((len(ids), 3), dtype=np.float32)
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        out[idx] = run_batch(sess, [ids[i] for i in idx])
    return out, time.perf_counter() - start


def run_file_order(model, tokenizer_path, texts, batch=32):
    sess, tok = session(model), tokenizer(tokenizer_path)
    run_batch(sess, [e.ids for e in tok.encode_batch(texts[:64])])
    start = time.perf_counter()
    for s in range(0, len(texts), batch):
        run_batch(sess, [e.ids for e in tok.encode_batch(texts[s : s + batch])])
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--texts", required=True, help="a CSV file whose first column is the text")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--file-order", action="store_true")
    args = p.parse_args()
    with open(args.texts, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        texts = [r[0] for r in rows]
    if args.file_order:
        seconds = run_file_order(args.model, args.tokenizer, texts, args.batch)
    else:
        _, seconds = run_sorted(args.model, args.tokenizer, texts, args.batch)
    print(json.dumps({"texts": len(texts), "seconds": seconds, "texts_per_second": len(texts) / seconds,
                      "onnxruntime": ort.__version__}))


if __name__ == "__main__":
    main()
