"""Fine-tunes all-MiniLM-L6-v2 + a 3-way head on the Twitter financial-news train split.

Selection and reporting use the validation split only. Deterministic for a given seed and device.
Usage: python3 train.py --base DIR --train train.csv --validation validation.csv --out DIR
"""
import argparse
import csv
import hashlib
import json
import random
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

from minibert import LABELS, SentimentModel, load_base


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_split(path: Path):
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [LABELS.index(r["label"]) for r in rows]


def encode(tokenizer: Tokenizer, texts, max_len: int):
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_len)
    return [e.ids for e in tokenizer.encode_batch(texts)]


def pad(batch_ids, device):
    width = max(len(ids) for ids in batch_ids)
    ids = torch.zeros(len(batch_ids), width, dtype=torch.long)
    mask = torch.zeros(len(batch_ids), width, dtype=torch.long)
    for i, row in enumerate(batch_ids):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids.to(device), mask.to(device)


@torch.no_grad()
def predict(model, ids_list, device, batch=256):
    model.eval()
    order = sorted(range(len(ids_list)), key=lambda i: len(ids_list[i]))
    out = np.zeros((len(ids_list), len(LABELS)), dtype=np.float32)
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        ids, mask = pad([ids_list[i] for i in idx], device)
        logits, _ = model(ids, mask)
        out[idx] = logits.float().cpu().numpy()
    return out


def metrics(logits, labels):
    pred = logits.argmax(1)
    labels = np.asarray(labels)
    confusion = np.zeros((3, 3), dtype=int)
    for t, p in zip(labels, pred):
        confusion[t, p] += 1
    f1s = []
    for c in range(3):
        tp = confusion[c, c]
        prec = tp / max(confusion[:, c].sum(), 1)
        rec = tp / max(confusion[c, :].sum(), 1)
        f1s.append(0.0 if tp == 0 else 2 * prec * rec / (prec + rec))
    return {
        "accuracy": float((pred == labels).mean()),
        "macro_f1": float(np.mean(f1s)),
        "f1_per_class": dict(zip(LABELS, map(float, f1s))),
        "confusion_rows_true_cols_pred": confusion.tolist(),
    }


def train_one(cfg, base, train_ids, train_labels, val_ids, val_labels, lr, epochs, args, device, log):
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    model = SentimentModel(cfg)
    load_base(model, base)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * ((len(train_ids) + args.batch - 1) // args.batch)
    warmup = int(0.1 * steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / max(warmup, 1), max(0.0, (steps - s) / max(steps - warmup, 1)))
    )
    use_bf16 = device.type == "cuda"
    best = None
    rng = random.Random(args.seed)
    for epoch in range(1, epochs + 1):
        model.train()
        order = list(range(len(train_ids)))
        rng.shuffle(order)
        t0 = time.time()
        for start in range(0, len(order), args.batch):
            idx = order[start : start + args.batch]
            ids, mask = pad([train_ids[i] for i in idx], device)
            y = torch.tensor([train_labels[i] for i in idx], device=device)
            # Master weights stay fp32; only the matmuls run in bf16 (fp16 masters collapse to one class).
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                logits, _ = model(ids, mask)
            loss = torch.nn.functional.cross_entropy(logits.float(), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
        m = metrics(predict(model, val_ids, device), val_labels)
        log(f"lr={lr} epoch={epoch} loss={loss.item():.4f} val_acc={m['accuracy']:.4f} "
            f"val_macro_f1={m['macro_f1']:.4f} ({time.time() - t0:.1f}s)")
        if best is None or m["macro_f1"] > best[0]["macro_f1"]:
            best = (m, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}, epoch)
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", type=Path, required=True)
    p.add_argument("--train", type=Path, required=True)
    p.add_argument("--validation", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--lrs", default="5e-5,8e-5")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--max-len", type=int, default=64)
    p.add_argument("--seed", type=int, default=20250127)
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.use_deterministic_algorithms(True, warn_only=True)
    lines = []

    def log(msg):
        print(msg, flush=True)
        lines.append(msg)

    cfg = json.loads((args.base / "config.json").read_text())
    base = load_file(str(args.base / "model.safetensors"))
    tokenizer = Tokenizer.from_file(str(args.base / "tokenizer.json"))
    train_texts, train_labels = read_split(args.train)
    val_texts, val_labels = read_split(args.validation)
    train_ids = encode(tokenizer, train_texts, args.max_len)
    val_ids = encode(tokenizer, val_texts, args.max_len)
    log(f"device={device} torch={torch.__version__} train={len(train_ids)} validation={len(val_ids)}")

    t0 = time.time()
    sweep = []
    best = None
    for lr in map(float, args.lrs.split(",")):
        m, state, epoch = train_one(cfg, base, train_ids, train_labels, val_ids, val_labels, lr,
                                    args.epochs, args, device, log)
        sweep.append({"lr": lr, "best_epoch": epoch, "accuracy": m["accuracy"], "macro_f1": m["macro_f1"]})
        if best is None or m["macro_f1"] > best[0]["macro_f1"]:
            best = (m, state, epoch, lr)
    train_seconds = time.time() - t0

    # The committed weights are fp16; evaluate exactly those (rounded back to fp32), not the fp32 originals.
    _, state, epoch, lr = best
    rounded = {k: v.half().float() for k, v in state.items()}
    model = SentimentModel(cfg)
    model.load_state_dict(rounded)
    model.to(device)
    committed = metrics(predict(model, val_ids, device), val_labels)
    log(f"selected lr={lr} epoch={epoch}; fp16-rounded weights: acc={committed['accuracy']:.4f} "
        f"macro_f1={committed['macro_f1']:.4f}")
    save_file({k: v.half().contiguous() for k, v in state.items()}, str(args.out / "finetuned.fp16.safetensors"))
    report = {
        "selected": {"lr": lr, "epoch": epoch},
        "validation_fp16_weights": committed,
        "validation_fp32_weights": best[0],
        "sweep": sweep,
        "settings": {"epochs": args.epochs, "batch": args.batch, "max_len": args.max_len, "seed": args.seed,
                     "optimizer": "AdamW wd=0.01, linear warmup 10% then linear decay, grad clip 1.0",
                     "precision": "fp32 master weights, bf16 autocast on CUDA", "device": str(device),
                     "torch": torch.__version__, "train_seconds": round(train_seconds, 1)},
        "sha256": {"train.csv": sha256(args.train), "validation.csv": sha256(args.validation),
                   "base_tokenizer.json": sha256(args.base / "tokenizer.json")},
    }
    (args.out / "train_report.json").write_text(json.dumps(report, indent=2))
    (args.out / "train.log").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
