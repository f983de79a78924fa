"""A small, explicit BERT encoder (the MiniLM-L6 shape) plus mean pooling and a 3-way sentiment head.

Written out in plain PyTorch instead of pulling in `transformers`, so the exported ONNX graph is exactly
what this file says and does not change with a library upgrade.
"""
import math

import torch
from torch import nn

LABELS = ["negative", "neutral", "positive"]


class Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int, eps: float):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=eps)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.ffn_out = nn.Linear(ffn, hidden)
        self.ffn_norm = nn.LayerNorm(hidden, eps=eps)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        d = h // self.heads

        def split(y):
            return y.view(b, t, self.heads, d).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + additive_mask
        ctx = (self.dropout(scores.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, h)
        x = self.attn_norm(x + self.dropout(self.attn_out(ctx)))
        y = self.ffn_out(nn.functional.gelu(self.ffn_in(x)))
        return self.ffn_norm(x + self.dropout(y))


class SentimentModel(nn.Module):
    """Encoder -> masked mean pooling -> linear head. Outputs logits and the L2-normalised embedding."""

    def __init__(self, cfg: dict):
        super().__init__()
        hidden = cfg["hidden_size"]
        eps = cfg["layer_norm_eps"]
        self.word = nn.Embedding(cfg["vocab_size"], hidden)
        self.position = nn.Embedding(cfg["max_position_embeddings"], hidden)
        self.token_type = nn.Embedding(cfg["type_vocab_size"], hidden)
        self.emb_norm = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(
            Layer(hidden, cfg["num_attention_heads"], cfg["intermediate_size"], eps)
            for _ in range(cfg["num_hidden_layers"])
        )
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(hidden, len(LABELS))

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, keep_layer=None):
        """(mean pooling of the last layer, mean pooling after layer `keep_layer` or None)."""
        t = input_ids.shape[1]
        positions = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.word(input_ids) + self.position(positions) + self.token_type.weight[0]
        x = self.dropout(self.emb_norm(x))
        mask = attention_mask.to(x.dtype)
        # -10000 rather than -inf keeps fully masked rows finite in every precision.
        additive = ((1.0 - mask) * -10000.0)[:, None, None, :]
        kept = None
        for i, layer in enumerate(self.layers, 1):
            x = layer(x, additive)
            if i == keep_layer:
                kept = mean_pool(x, mask)
        return mean_pool(x, mask), kept

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        pooled, _ = self.encode(input_ids, attention_mask)
        logits = self.head(self.dropout(pooled))
        return logits, unit(pooled)


def mean_pool(x, mask):
    return (x * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)


def unit(v):
    return v / v.norm(dim=-1, keepdim=True).clamp(min=1e-12)


# The encoder layer whose mean pooling feeds the topic head (see topics_v2.py).
TOPIC_LAYER = 7


class Served(nn.Module):
    """The graph the scorer runs for v2: logits, the final embedding, and the topic embedding (the normalised
    mean pooling after layer TOPIC_LAYER), all from one pass."""

    def __init__(self, model: SentimentModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        pooled, kept = self.model.encode(input_ids, attention_mask, TOPIC_LAYER)
        return self.model.head(pooled), unit(pooled), unit(kept)


def load_base(model: SentimentModel, weights: dict) -> None:
    """Copies sentence-transformers BERT weights (names as in all-MiniLM-L6-v2) into the model."""
    rename = {
        "embeddings.word_embeddings.weight": "word.weight",
        "embeddings.position_embeddings.weight": "position.weight",
        "embeddings.token_type_embeddings.weight": "token_type.weight",
        "embeddings.LayerNorm.weight": "emb_norm.weight",
        "embeddings.LayerNorm.bias": "emb_norm.bias",
    }
    parts = {
        "attention.self.query": "query",
        "attention.self.key": "key",
        "attention.self.value": "value",
        "attention.output.dense": "attn_out",
        "attention.output.LayerNorm": "attn_norm",
        "intermediate.dense": "ffn_in",
        "output.dense": "ffn_out",
        "output.LayerNorm": "ffn_norm",
    }
    for i in range(len(model.layers)):
        for src, dst in parts.items():
            for p in ("weight", "bias"):
                rename[f"encoder.layer.{i}.{src}.{p}"] = f"layers.{i}.{dst}.{p}"
    state = {dst: weights[src].float() for src, dst in rename.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert set(missing) == {"head.weight", "head.bias"}, missing
    assert not unexpected, unexpected
