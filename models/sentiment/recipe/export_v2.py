"""Exports the fine-tuned v2 model to the file the scorer serves, and measures it.

1. PyTorch -> ONNX fp32 (opset 17; outputs `logits`, the L2-normalised mean-pooled `embedding` and the
   `topic_embedding` the topic head reads, see topics_v2.py).
2. Dynamic int8 quantisation, per channel, of every MatMul weight and of the word-embedding table (Gather),
   then the MatMul weights stored as uint8 with zero point 128 (unsigned_weights.py: the same numbers, computed
   exactly on every CPU): `model.onnx`, the served file.
3. Every figure of the card for both files (eval_v2.py), and the topic head fitted on the served file's
   embeddings (topics_v2.py).
4. The parity fixture: texts, their token ids, and the logits, embedding head and topic probabilities that ONNX
   Runtime in Python computes on the served file. The Rust scorer must match them (tests/model.rs).

Usage: python3 export_v2.py --base DIR --weights finetuned.safetensors --data DIR --finentity F --ntrex DIR --out DIR
"""
import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from safetensors.torch import load_file
from tokenizers import Tokenizer

import eval_v2
import labelled_sets as sets
import topics_v2
from minibert import LABELS, SentimentModel, Served
from train import encode, pad
from unsigned_weights import to_unsigned_weights

MAX_LEN = 256
OPSET = 17


def export(model, path: Path):
    ids = torch.ones(2, 8, dtype=torch.long)
    mask = torch.ones(2, 8, dtype=torch.long)
    # In eval mode: the exporter restores the wrapper's mode afterwards, and a fresh module is in training mode,
    # which would leave `model` with dropout on for the comparison below.
    torch.onnx.export(
        Served(model).eval(), (ids, mask), str(path), dynamo=False, opset_version=OPSET,
        input_names=["input_ids", "attention_mask"], output_names=["logits", "embedding", "topic_embedding"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                      "logits": {0: "batch"}, "embedding": {0: "batch"}, "topic_embedding": {0: "batch"}})


def parity_texts(validation_texts):
    picks = [validation_texts[i] for i in range(0, len(validation_texts), 37)][:50]
    picks += [
        "",
        "https://t.co/abc https://example.com/x",
        "\U0001F680\U0001F680\U0001F4C9",
        "DeepSeek entraîne un modèle de pointe pour 6 millions de dollars",
        "Nvidia chute de 17 % : le modèle chinois bon marché inquiète les investisseurs",
        "Les États-Unis durcissent les contrôles à l'exportation de puces vers la Chine",
        "Microsoft relève ses investissements dans les centres de données",
        "Nvidia shares plunge 17% as DeepSeek's cheap model rattles AI hardware investors",
        "Washington adds Chinese chip firms to the entity list",
        "Oil prices climb on new sanctions",
        "Zürich, Ελλάδα, 日本語, עברית: texte multilingue",
        "Nvidia " * 200,
    ]
    return picks


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", type=Path, required=True, help="trim_vocab.py output (config, tokenizer)")
    p.add_argument("--weights", type=Path, required=True, help="train_v2.py output")
    p.add_argument("--data", type=Path, required=True, help="twitter-financial-news folder")
    p.add_argument("--finentity", type=Path, required=True)
    p.add_argument("--ntrex", type=Path, required=True)
    p.add_argument("--catalog", type=Path, required=True, help="crates/catalog/config/catalog.json")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--keep-fp32", action="store_true", help="also keep model.fp32.onnx in --out")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "work"
    work.mkdir(exist_ok=True)

    cfg = json.loads((args.base / "config.json").read_text())
    model = SentimentModel(cfg)
    model.load_state_dict(load_file(str(args.weights)))
    model.eval()
    fp32 = work / "model.fp32.onnx"
    export(model, fp32)
    int8 = args.out / "model.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Gather"])
    served = onnx.load(str(int8))
    to_unsigned_weights(served)
    onnx.save(served, str(int8))
    shutil.copy(args.base / "tokenizer.json", args.out / "tokenizer.json")
    shutil.copy(args.base / "tokenizer.json", work / "tokenizer.json")
    tokenizer = Tokenizer.from_file(str(args.out / "tokenizer.json"))

    # ONNX fp32 against PyTorch on the validation texts (the export is exact up to float rounding).
    val_texts, _ = sets.read_csv(args.data / "validation.csv")
    val_ids = encode(tokenizer, val_texts, MAX_LEN)
    _, run_fp32 = eval_v2.onnx_predictor(work, 2, file="model.fp32.onnx")
    sample = val_ids[:256]
    with torch.no_grad():
        torch_logits = np.concatenate([model(*pad([ids], "cpu"))[0].numpy() for ids in sample])
    export_diff = float(np.abs(run_fp32(sample) - torch_logits).max())

    report = {"onnxruntime": ort.__version__, "max_abs_logit_diff_onnx_fp32_vs_torch": export_diff,
              "max_len": MAX_LEN, "files": {}}
    # The served int8 file at batch 1, as the scorer runs it; its fp32 source in length-sorted batches of 64.
    for name, folder, file, batch in (("int8", args.out, "model.onnx", 1), ("fp32", work, "model.fp32.onnx", 64)):
        report["files"][name] = {"bytes": (folder / file).stat().st_size, "evaluated_at_batch": batch}
        report[name] = eval_v2.evaluate(*eval_v2.onnx_predictor(folder, 2, file=file, batch=batch), args)
    print(json.dumps({k: report[k] for k in ("files", "max_abs_logit_diff_onnx_fp32_vs_torch")}), flush=True)

    # The topic head, on the served file's embeddings.
    embed = eval_v2.onnx_embedder(args.out, 2, output=2, batch=1)  # as served
    catalog = json.loads(args.catalog.read_text(encoding="utf-8"))
    head, topic_report = topics_v2.fit(embed, tokenizer, catalog)
    (args.out / "topics.json").write_text(json.dumps(head, indent=1) + "\n")
    report["topics"] = topic_report

    # Parity fixture, computed by ONNX Runtime on the served file.
    session = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])
    picks = parity_texts(val_texts)
    cases = []
    for text, ids in zip(picks, encode(tokenizer, picks, MAX_LEN)):
        ids_t, mask = pad([ids], "cpu")
        logits, _, topic_emb = session.run(None, {"input_ids": ids_t.numpy(), "attention_mask": mask.numpy()})
        cases.append({"text": text, "input_ids": ids, "logits": logits[0].tolist(),
                      "topic_embedding_head": topic_emb[0, :8].tolist(),
                      "topics": topics_v2.probabilities(head, catalog, topic_emb[0], text)})
    (args.out / "parity_fixture.json").write_text(json.dumps(
        {"max_len": MAX_LEN, "labels": LABELS, "tolerance": 1e-3, "computed_by": f"onnxruntime {ort.__version__} "
         "(Python) on model.onnx", "cases": cases}, indent=1, ensure_ascii=False) + "\n")
    (args.out / "export_report.json").write_text(json.dumps(report, indent=2) + "\n")
    if args.keep_fp32:
        shutil.move(fp32, args.out / "model.fp32.onnx")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
