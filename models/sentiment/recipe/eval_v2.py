"""Every figure of the model card for one model: a PyTorch checkpoint (`--weights`, with `--base` for its config
and tokenizer) or an exported ONNX model folder (`--onnx DIR` with model.onnx and tokenizer.json).

Sets: Twitter validation (English tweets), FinEntity held-out (English formal news), the project's evaluation
headlines in English and French (never trained on), and EN/FR consistency on ntrex-en-fr: of the sentences
labelled non-neutral in English, the share whose French translation gets the same label.

Usage: python3 eval_v2.py (--weights F --base DIR | --onnx DIR) --data DIR --finentity F --ntrex DIR --out report.json
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

import labelled_sets as sets
from train import encode, metrics, pad

MAX_LEN = 256


def torch_predictor(weights: Path, base: Path):
    import torch
    from safetensors.torch import load_file

    from minibert import SentimentModel
    from train import predict

    cfg = json.loads((base / "config.json").read_text())
    model = SentimentModel(cfg)
    model.load_state_dict(load_file(str(weights)))
    device = torch.device("cpu")
    return Tokenizer.from_file(str(base / "tokenizer.json")), lambda ids: predict(model, ids, device)


def onnx_session(folder: Path, threads: int, file="model.onnx"):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(str(folder / file), options, providers=["CPUExecutionProvider"])


def onnx_outputs(session, ids_list, output, width, batch=64):
    """One output (0: logits, 1: embedding, 2: topic embedding) for every text, in length-sorted batches of
    `batch`. An int8 file's figures are measured at batch 1, as the scorer serves it: dynamic quantisation picks
    the activation scale per batch, so a text's output depends on its batch-mates (see the model card)."""
    order = sorted(range(len(ids_list)), key=lambda i: len(ids_list[i]))
    out = np.zeros((len(ids_list), width), dtype=np.float32)
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        ids, mask = pad([ids_list[i] for i in idx], "cpu")
        out[idx] = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[output]
    return out


def onnx_predictor(folder: Path, threads: int, file="model.onnx", batch=64):
    session = onnx_session(folder, threads, file)
    return Tokenizer.from_file(str(folder / "tokenizer.json")), lambda ids: onnx_outputs(session, ids, 0, 3, batch)


def onnx_embedder(folder: Path, threads: int, file="model.onnx", output=1, batch=64):
    """Embeddings from output `output` (1: `embedding`, 2: `topic_embedding`)."""
    session = onnx_session(folder, threads, file)
    width = session.get_outputs()[output].shape[-1]
    return lambda ids: onnx_outputs(session, ids, output, width if isinstance(width, int) else 384, batch)


def consistency(en_pred, fr_pred):
    """Of the English sentences labelled non-neutral, how many keep their label in French."""
    non_neutral = [i for i, p in enumerate(en_pred) if p != sets.LABELS.index("neutral")]
    same = sum(1 for i in non_neutral if fr_pred[i] == en_pred[i])
    return {
        "sentences": len(en_pred),
        "english_non_neutral": len(non_neutral),
        "same_label_in_french": same,
        "share": same / max(len(non_neutral), 1),
        "french_neutral": int(sum(1 for p in fr_pred if p == sets.LABELS.index("neutral"))),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--weights", type=Path)
    p.add_argument("--base", type=Path)
    p.add_argument("--onnx", type=Path)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=1, help="ONNX batch size (1: as the scorer serves)")
    p.add_argument("--data", type=Path, required=True, help="twitter-financial-news folder")
    p.add_argument("--finentity", type=Path, required=True)
    p.add_argument("--ntrex", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    if args.onnx:
        tokenizer, predict = onnx_predictor(args.onnx, args.threads, batch=args.batch)
    else:
        tokenizer, predict = torch_predictor(args.weights, args.base)
    report = evaluate(tokenizer, predict, args)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for name, figures in report.items():
        if "macro_f1" in figures:
            print(f"{name}: accuracy {figures['accuracy']:.4f} macro-F1 {figures['macro_f1']:.4f} "
                  f"({figures['texts']} texts)")
        else:
            print(f"{name}: {figures['same_label_in_french']}/{figures['english_non_neutral']} = "
                  f"{figures['share']:.3f} (French neutral {figures['french_neutral']}/{figures['sentences']})")


def evaluate(tokenizer, predict, args):
    """The card's figures for one model (`args` gives the data folders)."""

    def labelled(texts, labels):
        started = time.time()
        result = metrics(predict(encode(tokenizer, texts, MAX_LEN)), labels)
        result["texts"] = len(texts)
        result["seconds"] = round(time.time() - started, 1)
        return result

    report = {}
    report["twitter_validation"] = labelled(*sets.read_csv(args.data / "validation.csv"))
    _, _, fe_texts, fe_labels = sets.finentity(args.finentity)
    report["finentity_heldout"] = labelled(fe_texts, fe_labels)
    for language in ("en", "fr"):
        report[f"headlines_{language}"] = labelled(*sets.headlines(language))
    english, french = sets.ntrex(args.ntrex)
    en_pred = predict(encode(tokenizer, english, MAX_LEN)).argmax(1)
    fr_pred = predict(encode(tokenizer, french, MAX_LEN)).argmax(1)
    report["ntrex_consistency"] = consistency(en_pred, fr_pred)
    return report


if __name__ == "__main__":
    main()
