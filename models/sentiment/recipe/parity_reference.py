"""ONNX Runtime in Python on this machine, on the parity fixture's token ids: what the Rust scorer must match.

The recipe's `parity_fixture.json` was computed on the machine that ran the recipe. The served file's integer
arithmetic is exact on every CPU (unsigned_weights.py), but ONNX Runtime's float kernels (GEMM, softmax, erf,
layer norm) round differently per instruction set, and dynamic quantisation turns a different rounding of an
activation into a different int8 step, so another CPU gives slightly different logits. This script recomputes the
fixture's outputs here, with the same engine version the scorer loads, so the scorer's test compares like with
like. It needs only onnxruntime and numpy (deploy/local/install-onnxruntime-python.sh).

Usage: python3 parity_reference.py MODEL_DIR CATALOG.json  > reference.json
Writes {"onnxruntime": version, "cases": [{"logits", "topic_embedding", "topics"}...]} in the fixture's order.
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

import topics_v2


def main():
    model_dir, catalog_path = Path(sys.argv[1]), Path(sys.argv[2])
    fixture = json.loads((model_dir / "parity_fixture.json").read_text(encoding="utf-8"))
    head = json.loads((model_dir / "topics.json").read_text(encoding="utf-8"))
    catalog = json.loads(catalog_path.read_text(encoding="utf-8"))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
    cases = []
    for case in fixture["cases"]:
        ids = np.array([case["input_ids"]], dtype=np.int64)
        logits, _, topic_embedding = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        cases.append({"logits": logits[0].tolist(), "topic_embedding": topic_embedding[0].tolist(),
                      "topics": topics_v2.probabilities(head, catalog, topic_embedding[0], case["text"])})
    json.dump({"onnxruntime": ort.__version__, "cases": cases}, sys.stdout)


if __name__ == "__main__":
    main()
