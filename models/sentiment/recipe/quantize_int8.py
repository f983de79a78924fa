"""Measures the int8 option: per-channel dynamic quantisation of the committed model's weights, evaluated on
the validation split (the figures in MODEL_CARD.md). Not what the scorer serves (see the card for why).

Usage: python3 quantize_int8.py MODEL_DIR VALIDATION.csv OUT.onnx
"""
import csv
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from reference_bench import run_sorted


def plain_fp32(src, dst):
    """Undoes fp16 storage (fp16 initialiser -> Cast) so the quantiser sees fp32 weights."""
    m = onnx.load(src)
    inits = {i.name: i for i in m.graph.initializer}
    keep, new, used = [], [], set()
    for node in m.graph.node:
        if node.op_type == "Cast" and node.input[0] in inits:
            new.append(numpy_helper.from_array(numpy_helper.to_array(inits[node.input[0]]).astype(np.float32), node.output[0]))
            used.add(node.input[0])
        else:
            keep.append(node)
    new += [i for i in m.graph.initializer if i.name not in used]
    del m.graph.node[:], m.graph.initializer[:]
    m.graph.node.extend(keep)
    m.graph.initializer.extend(new)
    onnx.save(m, dst)


def main():
    model_dir, validation, out = sys.argv[1:4]
    plain_fp32(f"{model_dir}/model.onnx", out + ".fp32.onnx")
    quantize_dynamic(out + ".fp32.onnx", out, weight_type=QuantType.QInt8, per_channel=True)
    with open(validation, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    gold = np.array([["negative", "neutral", "positive"].index(r["label"]) for r in rows])
    texts = [r["text"] for r in rows]
    for name, path in (("fp16-stored", f"{model_dir}/model.onnx"), ("int8 per-channel", out)):
        logits, _ = run_sorted(path, f"{model_dir}/tokenizer.json", texts)
        pred = logits.argmax(1)
        f1 = []
        for c in range(3):
            tp = ((pred == c) & (gold == c)).sum()
            p, r = tp / max((pred == c).sum(), 1), tp / max((gold == c).sum(), 1)
            f1.append(0.0 if tp == 0 else 2 * p * r / (p + r))
        print(f"{name}: accuracy {np.mean(pred == gold):.4f} macro-F1 {np.mean(f1):.4f}")


if __name__ == "__main__":
    main()
