"""Continues training a served model's top layers with the EN/FR consistency term (retrain_top.sh).

Starts from exactly the weights that were served: the fp32 twin of the int8 file (dequantize_int8.py), read back
by onnx_to_state.py. The embeddings and layers 1..TOPIC_LAYER stay frozen, so the topic embedding (the pooled
output of layer TOPIC_LAYER, which the topic head reads) keeps its meaning; layers above it and the sentiment
head are trained. Because the bottom is frozen, its output for every training text is computed once and cached,
and each step runs only the top layers: an epoch costs about 5/12 of a full one.

Data and loss are train_v2.py's: the Twitter train split, the FinEntity training part (twice), the French
translations of 1,200 training tweets, the domain headlines in both languages (twice), cross-entropy; plus, at
every step, `--pairs-per-step` English/French pairs (translated tweets and their originals, domain headlines
and their translations) whose predicted distributions are pulled towards each other (symmetric KL, each side's
target held fixed). Best epoch by the mean of Twitter validation and FinEntity held-out macro-F1; the evaluation
headlines and ntrex are never seen here.

Usage: python3 train_top.py --twin model.fp32.onnx --tokenizer tokenizer.json --data DIR --finentity F --out DIR
"""
import argparse
import json
import random
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer

import labelled_sets as sets
from minibert import TOPIC_LAYER, SentimentModel, mean_pool
from onnx_to_state import check, state_from_twin
from train import encode, metrics, predict
from train_v2 import add_training_args, bucketed_batches, consistency_loss, optimiser_step


@torch.no_grad()
def bottom(model, ids_list, batch=64):
    """Hidden states after layer TOPIC_LAYER of every text (unpadded, float32), frozen model in eval mode."""
    model.eval()
    out = [None] * len(ids_list)
    order = sorted(range(len(ids_list)), key=lambda i: len(ids_list[i]))
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        width = max(len(ids_list[i]) for i in idx)
        ids = torch.zeros(len(idx), width, dtype=torch.long)
        mask = torch.zeros(len(idx), width, dtype=torch.long)
        for r, i in enumerate(idx):
            ids[r, : len(ids_list[i])] = torch.tensor(ids_list[i])
            mask[r, : len(ids_list[i])] = 1
        positions = torch.arange(width).unsqueeze(0)
        x = model.emb_norm(model.word(ids) + model.position(positions) + model.token_type.weight[0])
        additive = ((1.0 - mask.float()) * -10000.0)[:, None, None, :]
        for layer in model.layers[:TOPIC_LAYER]:
            x = layer(x, additive)
        for r, i in enumerate(idx):
            out[i] = x[r, : len(ids_list[i])].clone()
    return out


def top(model, states):
    """Logits from cached bottom states: layers above TOPIC_LAYER, mean pooling, the head."""
    width = max(s.shape[0] for s in states)
    x = torch.zeros(len(states), width, states[0].shape[1])
    mask = torch.zeros(len(states), width)
    for r, s in enumerate(states):
        x[r, : s.shape[0]] = s
        mask[r, : s.shape[0]] = 1
    additive = ((1.0 - mask) * -10000.0)[:, None, None, :]
    for layer in model.layers[TOPIC_LAYER:]:
        x = layer(x, additive)
    return model.head(model.dropout(mean_pool(x, mask)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--twin", type=Path, required=True, help="fp32 twin of the served model (dequantize_int8.py)")
    p.add_argument("--tokenizer", type=Path, required=True)
    add_training_args(p, lr=3e-5, epochs=2)
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    lines = []

    def log(msg):
        print(msg, flush=True)
        lines.append(msg)

    started = time.time()
    cfg, state = state_from_twin(args.twin)
    model = SentimentModel(cfg)
    model.load_state_dict(state)
    tokenizer = Tokenizer.from_file(str(args.tokenizer))
    val_texts, val_labels = sets.read_csv(args.data / "validation.csv")
    val_ids = encode(tokenizer, val_texts, 256)
    log(f"twin read back: largest logit difference to ONNX Runtime over 64 validation texts "
        f"{check(model, args.twin, val_ids[:64]):.2e}")

    texts, labels, pairs, described = sets.training_mix(args.data, args.finentity)
    _, _, fe_dev_texts, fe_dev_labels = sets.finentity(args.finentity)
    train_ids = encode(tokenizer, texts, args.max_len)
    pair_en = bottom(model, encode(tokenizer, [e for e, _ in pairs], args.max_len))
    pair_fr = bottom(model, encode(tokenizer, [f for _, f in pairs], args.max_len))
    cached = bottom(model, train_ids)
    fe_dev_ids = encode(tokenizer, fe_dev_texts, 256)
    log(f"torch={torch.__version__} threads={args.threads} train={len(train_ids)} ({described}), EN/FR pairs "
        f"{len(pairs)}; layers 1-{TOPIC_LAYER} frozen and cached in {time.time() - started:.0f}s")

    for name, param in model.named_parameters():
        param.requires_grad_(name.startswith("head.") or any(
            name.startswith(f"layers.{i}.") for i in range(TOPIC_LAYER, cfg["num_hidden_layers"])))
    trained = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.AdamW(trained, lr=args.lr, weight_decay=0.01)
    per_epoch = (len(train_ids) + args.batch - 1) // args.batch
    steps, warmup = args.epochs * per_epoch, int(0.1 * args.epochs * per_epoch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / max(warmup, 1), max(0.0, (steps - s) / max(steps - warmup, 1))))
    rng, pair_rng = random.Random(args.seed), random.Random(args.seed + 1)

    def evaluate():
        val = metrics(predict(model, val_ids, "cpu"), val_labels)
        fe = metrics(predict(model, fe_dev_ids, "cpu"), fe_dev_labels)
        return val, fe, (val["macro_f1"] + fe["macro_f1"]) / 2

    val, fe, selection = evaluate()
    log(f"epoch=0 (the served weights, in fp32) twitter acc={val['accuracy']:.4f} f1={val['macro_f1']:.4f} "
        f"finentity acc={fe['accuracy']:.4f} f1={fe['macro_f1']:.4f}")
    best = (selection, 0, {k: v.clone() for k, v in model.state_dict().items()})
    history = [{"epoch": 0, "twitter_validation": val, "finentity_heldout": fe, "selection": selection}]
    train_started = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0, total = time.time(), 0.0
        for n, idx in enumerate(bucketed_batches(train_ids, args.batch, rng), 1):
            logits = top(model, [cached[i] for i in idx])
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor([labels[i] for i in idx]))
            if args.consistency > 0:
                chosen = pair_rng.sample(range(len(pairs)), args.pairs_per_step)
                loss = loss + args.consistency * consistency_loss(
                    top(model, [pair_en[i] for i in chosen]), top(model, [pair_fr[i] for i in chosen]))
            optimiser_step(opt, sched, loss, trained)
            total += loss.item()
            if n % 50 == 0:
                print(f"  epoch {epoch} batch {n}/{per_epoch} loss {total / n:.4f} ({time.time() - t0:.0f}s)",
                      flush=True)
        val, fe, selection = evaluate()
        history.append({"epoch": epoch, "loss": total / per_epoch, "twitter_validation": val,
                        "finentity_heldout": fe, "selection": selection, "seconds": time.time() - t0})
        log(f"epoch={epoch} loss={total / per_epoch:.4f} twitter acc={val['accuracy']:.4f} "
            f"f1={val['macro_f1']:.4f} finentity acc={fe['accuracy']:.4f} f1={fe['macro_f1']:.4f} "
            f"({time.time() - t0:.0f}s)")
        if selection > best[0]:
            best = (selection, epoch, {k: v.clone() for k, v in model.state_dict().items()})
    _, epoch, chosen_state = best
    log(f"selected epoch {epoch} of {args.epochs}; training took {(time.time() - train_started) / 60:.1f} min, "
        f"{(time.time() - started) / 60:.1f} min with the cache")
    save_file({k: v.contiguous() for k, v in chosen_state.items()}, str(args.out / "finetuned.safetensors"))
    (args.out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    shutil.copy(args.tokenizer, args.out / "tokenizer.json")
    report = {
        "selected_epoch": epoch,
        "history": history,
        "settings": {"lr": args.lr, "epochs": args.epochs, "batch": args.batch, "max_len": args.max_len,
                     "seed": args.seed, "threads": args.threads, "frozen": f"embeddings and layers 1-{TOPIC_LAYER}",
                     "consistency": args.consistency, "pairs_per_step": args.pairs_per_step, "torch": torch.__version__,
                     "optimizer": "AdamW wd=0.01, linear warm-up 10% then linear decay, grad clip 1.0",
                     "batching": "length-bucketed (pools of 50 batches)",
                     "seconds": round(time.time() - started)},
        "sha256": {"start_twin": sets.sha256(args.twin), "tokenizer.json": sets.sha256(args.tokenizer),
                   **sets.data_hashes(args.data, args.finentity)},
    }
    (args.out / "train_report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "training.log").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    np.random.seed(0)
    main()
