"""Reads a served v2-shaped model back into PyTorch: the fp32 twin of the int8 file (dequantize_int8.py) becomes a
`SentimentModel` state dict, so a later model can start from exactly the weights that were served, not from a
training checkpoint that may be gone.

The twin's initialisers keep the exporter's names for biases and norms (`model.layers.3.query.bias`); the MatMul
weights are named after their node (`/layers.3/query/MatMul...`) and stored transposed (`x @ W` in ONNX,
`x @ W.T` in `nn.Linear`); the embedding tables are the inputs of the first Gather nodes.

`check` runs the rebuilt model in PyTorch and the twin in ONNX Runtime on the same texts, one at a time, and
returns the largest logit difference.
"""
import re

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from minibert import SentimentModel

MATMUL_NODE = re.compile(r"^/(layers\.\d+/[a-z_]+|head)/")
QUANTISED = "_quantized_fp32"


def state_from_twin(path):
    """(config, state dict) of the `SentimentModel` whose weights the fp32 twin at `path` holds."""
    graph = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = {}
    for name, value in inits.items():
        if name.startswith("model.") and "_Transposed" not in name:
            state[name[len("model."):].removesuffix(QUANTISED)] = value
    for node in graph.node:
        found = MATMUL_NODE.match(node.name)
        weight = next((i for i in node.input if i in inits), None)
        if node.op_type == "MatMul" and found and weight is not None:
            state[found.group(1).replace("/", ".") + ".weight"] = inits[weight].T
        if node.op_type == "Add" and node.name == "/Add_1":
            # word + position, then the token-type row the exporter folded into a constant
            state["token_type.weight"] = inits[node.input[1]][None, :]
    eps = next(a.f for n in graph.node if n.op_type == "LayerNormalization" for a in n.attribute if a.name == "epsilon")
    layers = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("layers."))
    hidden = state["word.weight"].shape[1]
    cfg = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": hidden // 32,
           "intermediate_size": state["layers.0.ffn_in.weight"].shape[0], "vocab_size": state["word.weight"].shape[0],
           "max_position_embeddings": state["position.weight"].shape[0], "type_vocab_size": 1, "layer_norm_eps": eps}
    expected = set(SentimentModel(cfg).state_dict())
    missing, extra = expected - set(state), set(state) - expected
    assert not missing and not extra, f"{path}: missing {sorted(missing)}, unexpected {sorted(extra)}"
    return cfg, {k: torch.tensor(np.ascontiguousarray(v), dtype=torch.float32) for k, v in state.items()}


def check(model, twin_path, tokenizer_ids):
    """Largest |logit| difference between the PyTorch model and ONNX Runtime on the twin, text by text."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(twin_path), providers=["CPUExecutionProvider"])
    model.eval()
    worst = 0.0
    with torch.no_grad():
        for ids in tokenizer_ids:
            x = np.array([ids], dtype=np.int64)
            onnx_logits = session.run(["logits"], {"input_ids": x, "attention_mask": np.ones_like(x)})[0]
            torch_logits = model(torch.tensor(x), torch.ones_like(torch.tensor(x)))[0].numpy()
            worst = max(worst, float(np.abs(onnx_logits - torch_logits).max()))
    return worst
