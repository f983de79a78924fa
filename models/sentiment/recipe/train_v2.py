"""Fine-tunes the vocabulary-trimmed multilingual-e5-small + a 3-way head (sentiment model v2) on CPU.

Training data: the Twitter train split, the FinEntity training part (twice: it is the only large formal-news
set), the French translations of 1,200 training tweets and the domain headlines in both languages (twice).
A consistency term ties the two languages: at every step a few English/French pairs (the translated tweets and
their originals, the domain headlines and theirs) go through the model, and each side's predicted distribution
is pulled towards the other's (symmetric KL, each side's target held fixed), so that what the head learns mostly
from English holds in French. `--freeze-embeddings` keeps the word-embedding table as the base had it. Model selection (best epoch) uses the Twitter validation split
and the FinEntity held-out part only; the evaluation headlines are never seen here.
Batches are length-bucketed (shuffled, then sorted by length within pools of 50 batches) so little is padding.

Usage: python3 train_v2.py --base DIR --data DIR --finentity FinEntity.json --out DIR
"""
import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

import labelled_sets as sets
from minibert import SentimentModel, load_base
from train import encode, metrics, pad, predict


def add_training_args(p, lr, epochs):
    """The options every fine-tuning script of the recipe takes (data, output, optimiser, consistency term)."""
    p.add_argument("--data", type=Path, required=True, help="twitter-financial-news folder")
    p.add_argument("--finentity", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--max-len", type=int, default=96)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=20250127)
    p.add_argument("--consistency", type=float, default=1.0, help="weight of the EN/FR consistency term")
    p.add_argument("--pairs-per-step", type=int, default=8)


def consistency_loss(en_logits, fr_logits):
    """Symmetric KL between the English and French predicted distributions, each side's target held fixed."""
    en, fr = torch.log_softmax(en_logits.float(), -1), torch.log_softmax(fr_logits.float(), -1)
    kl = torch.nn.functional.kl_div
    return 0.5 * (kl(fr, en.detach(), log_target=True, reduction="batchmean")
                  + kl(en, fr.detach(), log_target=True, reduction="batchmean"))


def optimiser_step(opt, sched, loss, params):
    """One step: gradients of `loss`, clipped at norm 1.0, then the optimiser and the schedule."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    sched.step()


def bucketed_batches(ids, batch, rng, pool=50):
    order = list(range(len(ids)))
    rng.shuffle(order)
    batches = []
    for start in range(0, len(order), batch * pool):
        chunk = sorted(order[start : start + batch * pool], key=lambda i: len(ids[i]))
        batches += [chunk[s : s + batch] for s in range(0, len(chunk), batch)]
    rng.shuffle(batches)
    return batches


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", type=Path, required=True, help="trim_vocab.py output")
    add_training_args(p, lr=6e-5, epochs=3)
    p.add_argument("--freeze-embeddings", action="store_true", help="keep the word-embedding table fixed")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    lines = []

    def log(msg):
        print(msg, flush=True)
        lines.append(msg)

    cfg = json.loads((args.base / "config.json").read_text())
    tokenizer = Tokenizer.from_file(str(args.base / "tokenizer.json"))
    texts, labels, pairs, described = sets.training_mix(args.data, args.finentity)
    _, _, fe_dev_texts, fe_dev_labels = sets.finentity(args.finentity)
    pair_ids = [(e, f) for e, f in zip(encode(tokenizer, [p[0] for p in pairs], args.max_len),
                                      encode(tokenizer, [p[1] for p in pairs], args.max_len))]
    train_ids = encode(tokenizer, texts, args.max_len)
    val_texts, val_labels = sets.read_csv(args.data / "validation.csv")
    val_ids = encode(tokenizer, val_texts, args.max_len)
    fe_dev_ids = encode(tokenizer, fe_dev_texts, args.max_len)
    log(f"device={device} torch={torch.__version__} threads={args.threads} train={len(train_ids)} "
        f"({described}), EN/FR pairs {len(pair_ids)} "
        f"validation={len(val_ids)} finentity-dev={len(fe_dev_ids)} tokens={sum(map(len, train_ids))}")

    model = SentimentModel(cfg)
    load_base(model, load_file(str(args.base / "model.safetensors")))
    model.to(device)
    model.word.weight.requires_grad_(not args.freeze_embeddings)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    per_epoch = (len(train_ids) + args.batch - 1) // args.batch
    steps, warmup = args.epochs * per_epoch, int(0.1 * args.epochs * per_epoch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / max(warmup, 1), max(0.0, (steps - s) / max(steps - warmup, 1))))
    rng = random.Random(args.seed)
    pair_rng = random.Random(args.seed + 1)
    best, history, started = None, [], time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0, total = time.time(), 0.0
        for n, idx in enumerate(bucketed_batches(train_ids, args.batch, rng), 1):
            ids, mask = pad([train_ids[i] for i in idx], device)
            y = torch.tensor([labels[i] for i in idx], device=device)
            logits, _ = model(ids, mask)
            loss = torch.nn.functional.cross_entropy(logits.float(), y)
            if args.consistency > 0:
                chosen = [pair_ids[i] for i in pair_rng.sample(range(len(pair_ids)), args.pairs_per_step)]
                en_ids, en_mask = pad([p[0] for p in chosen], device)
                fr_ids, fr_mask = pad([p[1] for p in chosen], device)
                loss = loss + args.consistency * consistency_loss(model(en_ids, en_mask)[0], model(fr_ids, fr_mask)[0])
            optimiser_step(opt, sched, loss, model.parameters())
            total += loss.item()
            if n % 50 == 0:
                print(f"  epoch {epoch} batch {n}/{per_epoch} loss {total / n:.4f} ({time.time() - t0:.0f}s)",
                      flush=True)
        val = metrics(predict(model, val_ids, device), val_labels)
        fe = metrics(predict(model, fe_dev_ids, device), fe_dev_labels)
        selection = (val["macro_f1"] + fe["macro_f1"]) / 2
        history.append({"epoch": epoch, "loss": total / per_epoch, "twitter_validation": val,
                        "finentity_heldout": fe, "selection": selection, "seconds": time.time() - t0})
        log(f"epoch={epoch} loss={total / per_epoch:.4f} twitter acc={val['accuracy']:.4f} "
            f"f1={val['macro_f1']:.4f} finentity acc={fe['accuracy']:.4f} f1={fe['macro_f1']:.4f} "
            f"({time.time() - t0:.0f}s)")
        if best is None or selection > best[0]:
            best = (selection, epoch, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
    train_seconds = time.time() - started
    _, epoch, state = best
    log(f"selected epoch {epoch} of {args.epochs}; training took {train_seconds / 60:.1f} min")
    save_file({k: v.contiguous() for k, v in state.items()}, str(args.out / "finetuned.safetensors"))
    (args.out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    report = {
        "selected_epoch": epoch,
        "history": history,
        "settings": {"lr": args.lr, "epochs": args.epochs, "batch": args.batch, "max_len": args.max_len,
                     "seed": args.seed, "threads": args.threads, "freeze_embeddings": args.freeze_embeddings,
                     "consistency": args.consistency, "pairs_per_step": args.pairs_per_step, "device": str(device), "torch": torch.__version__,
                     "optimizer": "AdamW wd=0.01, linear warm-up 10% then linear decay, grad clip 1.0",
                     "batching": "length-bucketed (pools of 50 batches)", "train_seconds": round(train_seconds)},
        "sha256": {**sets.data_hashes(args.data, args.finentity),
                   "base_tokenizer.json": sets.sha256(args.base / "tokenizer.json")},
    }
    (args.out / "train_report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "training.log").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    np.random.seed(0)
    main()
