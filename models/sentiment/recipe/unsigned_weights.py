"""Stores a dynamically quantised model's int8 MatMul weights as uint8 with zero point 128: the same numbers,
computed exactly on every x86 CPU.

`quantize_dynamic(weight_type=QInt8)` gives signed weights (zero point 0) beside unsigned activations. ONNX
Runtime multiplies that pair with one instruction on CPUs with VNNI or AMX (exact), but on AVX2 and AVX-512
without VNNI with `vpmaddubsw`, which sums two products into 16 bits and saturates: the served model's logits
then depend on the CPU (measured: up to 1.19 apart on an AVX2 EPYC and an AVX-512 Xeon without VNNI, against
the recipe's VNNI machine). With uint8 weights ONNX Runtime takes its unsigned-by-unsigned kernels, which widen
to 16 bits before multiplying and never saturate. q + 128 with zero point z + 128 dequantises to exactly the
same value, so the file computes what the int8 file computes on a VNNI machine, on every CPU. The embedding
tables (Gather -> DequantizeLinear) are left signed: dequantising is exact everywhere.

Usage: python3 unsigned_weights.py IN.onnx OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def to_unsigned_weights(model):
    """Rewrites every MatMulInteger's int8 weight and weight zero point in place; returns how many tensors."""
    initializers = {t.name: t for t in model.graph.initializer}
    done = set()
    for node in model.graph.node:
        if node.op_type != "MatMulInteger":
            continue
        for name in node.input[1::2][:2]:  # B and b_zero_point (inputs 1 and 3)
            tensor = initializers.get(name)
            if tensor is None or name in done:
                continue
            values = numpy_helper.to_array(tensor)
            if values.dtype == np.uint8:
                continue
            assert values.dtype == np.int8, f"{name}: {values.dtype}"
            tensor.CopyFrom(numpy_helper.from_array((values.astype(np.int16) + 128).astype(np.uint8), name))
            done.add(name)
    return len(done)


def main():
    src, dst = sys.argv[1:3]
    model = onnx.load(src)
    print(f"{to_unsigned_weights(model)} weight tensors now uint8", file=sys.stderr)
    onnx.save(model, dst)


if __name__ == "__main__":
    main()
