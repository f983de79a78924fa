"""Exports the fine-tuned model to ONNX with fp16 initialisers (cast to fp32 inside the graph), checks
ONNX Runtime against PyTorch, and writes the 64-text parity fixture the Rust tests compare against.

Usage: python3 export_onnx.py --base DIR --weights finetuned.fp16.safetensors --validation validation.csv --out DIR
"""
import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer

from minibert import LABELS, SentimentModel
from onnx_storage import to_fp16_initialisers
from train import encode, metrics, pad, read_split

OPSET = 17
# Sequences up to the model's 256-token window are what the scorer sends.
MAX_LEN = 256


def export(model, path: Path):
    ids = torch.ones(2, 8, dtype=torch.long)
    mask = torch.ones(2, 8, dtype=torch.long)
    kwargs = dict(
        input_names=["input_ids", "attention_mask"],
        output_names=["logits", "embedding"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                      "logits": {0: "batch"}, "embedding": {0: "batch"}},
        opset_version=OPSET,
    )
    try:
        torch.onnx.export(model, (ids, mask), str(path), dynamo=False, **kwargs)
    except Exception as exc:  # older or newer torch: fall back to the dynamo exporter
        print(f"legacy exporter failed ({exc}); using dynamo", flush=True)
        torch.onnx.export(model, (ids, mask), str(path), **kwargs)


def ort_logits(session, ids_list, batch=32):
    order = sorted(range(len(ids_list)), key=lambda i: len(ids_list[i]))
    out = np.zeros((len(ids_list), len(LABELS)), dtype=np.float32)
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        ids, mask = pad([ids_list[i] for i in idx], "cpu")
        logits, _ = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
        out[idx] = logits
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", type=Path, required=True)
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--validation", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    cfg = json.loads((args.base / "config.json").read_text())
    model = SentimentModel(cfg)
    model.load_state_dict({k: v.float() for k, v in load_file(str(args.weights)).items()})
    model.eval()

    fp32_path = args.out / "model.fp32.onnx"
    final_path = args.out / "model.onnx"
    export(model, fp32_path)
    to_fp16_initialisers(fp32_path, final_path)
    fp32_path.unlink()
    for extra in args.out.glob("model.fp32.onnx*"):
        extra.unlink()

    tokenizer = Tokenizer.from_file(str(args.base / "tokenizer.json"))
    texts, labels = read_split(args.validation)
    ids_list = encode(tokenizer, texts, MAX_LEN)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    session = ort.InferenceSession(str(final_path), opts, providers=["CPUExecutionProvider"])
    onnx_logits = ort_logits(session, ids_list)
    with torch.no_grad():
        torch_logits = np.concatenate([
            model(*pad(ids_list[i : i + 1], "cpu"))[0].numpy() for i in range(len(ids_list))
        ])
    diff = float(np.abs(onnx_logits - torch_logits).max())
    report = {"onnx_validation": metrics(onnx_logits, labels), "max_abs_logit_diff_onnx_vs_torch": diff,
              "onnxruntime": ort.__version__, "opset": OPSET, "validation_max_len": MAX_LEN}
    print(json.dumps({k: v for k, v in report.items() if k != "onnx_validation"}), flush=True)
    print("onnx validation", report["onnx_validation"]["accuracy"], report["onnx_validation"]["macro_f1"])

    # Parity fixture: every 37th validation text (spread over the file), plus hard cases, scored by PyTorch.
    picks = [texts[i] for i in range(0, len(texts), 37)][:58]
    picks += ["", "https://t.co/abc https://example.com/x", "\U0001F680\U0001F680\U0001F4C9",
              "DeepSeek entraîne un modèle de pointe pour 6 millions de dollars",
              "Nvidia shares plunge 17% as DeepSeek's cheap model rattles AI hardware investors",
              "Nvidia " * 200]
    fixture_ids = encode(tokenizer, picks, MAX_LEN)
    with torch.no_grad():
        rows = []
        for text, ids in zip(picks, fixture_ids):
            logits, emb = model(*pad([ids], "cpu"))
            rows.append({"text": text, "input_ids": ids, "logits": logits[0].tolist(),
                         "embedding_head": emb[0, :8].tolist()})
    (args.out / "parity_fixture.json").write_text(json.dumps(
        {"max_len": MAX_LEN, "labels": LABELS, "tolerance": 1e-3, "cases": rows}, indent=1, ensure_ascii=False))
    (args.out / "export_report.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
