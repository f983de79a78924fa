"""The reference the scorer is measured beside: ONNX Runtime from Python (2 intra-op threads) on the same
model and texts, tokenisation included, with plain padded batches of 32 in file order (what a typical client
writes) and with length-sorted batches of 32.

Usage: python3 reference_bench.py MODEL_DIR VALIDATION.csv
"""
import csv
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(__import__("os").environ.get("THREADS", "2"))
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def tokenizer(path):
    tok = Tokenizer.from_file(path)
    tok.no_padding()  # the file carries a fixed 128-token padding; batches pad to their own longest text
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
    sess, tok = session(model), tokenizer(tokenizer_path)
    start = time.perf_counter()
    ids = [e.ids for e in tok.encode_batch(texts)]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros((len(ids), 3), dtype=np.float32)
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        out[idx] = run_batch(sess, [ids[i] for i in idx])
    return out, time.perf_counter() - start


def main():
    model_dir, validation = sys.argv[1:3]
    with open(validation, newline="", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    sess, tok = session(f"{model_dir}/model.onnx"), tokenizer(f"{model_dir}/tokenizer.json")
    run_batch(sess, [e.ids for e in tok.encode_batch(texts[:64])])  # warm-up
    start = time.perf_counter()
    for s in range(0, len(texts), 32):
        run_batch(sess, [e.ids for e in tok.encode_batch(texts[s : s + 32])])
    padded = len(texts) / (time.perf_counter() - start)
    _, elapsed = run_sorted(f"{model_dir}/model.onnx", f"{model_dir}/tokenizer.json", texts)
    print(f"python onnxruntime {ort.__version__}, {len(texts)} texts: padded batches of 32 {padded:.0f} texts/s, "
          f"length-sorted batches of 32 {len(texts) / elapsed:.0f} texts/s")


if __name__ == "__main__":
    main()
