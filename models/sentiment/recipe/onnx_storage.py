"""fp16 storage for ONNX initialisers: every float initialiser is stored as fp16 and cast back to fp32 inside
the graph, which halves the file; ONNX Runtime folds the casts when the session starts."""
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def to_fp16_initialisers(src: Path, dst: Path):
    """Stores every float initialiser as fp16 and inserts a Cast back to fp32, halving the file."""
    m = onnx.load(str(src), load_external_data=True)
    casts, new_inits = [], []
    for init in m.graph.initializer:
        if init.data_type == TensorProto.FLOAT and np.prod(init.dims) >= 16:
            arr = numpy_helper.to_array(init).astype(np.float16)
            new_inits.append(numpy_helper.from_array(arr, init.name + "_fp16"))
            casts.append(helper.make_node("Cast", [init.name + "_fp16"], [init.name], to=TensorProto.FLOAT,
                                          name=init.name + "_to_fp32"))
        else:
            new_inits.append(init)
    del m.graph.initializer[:]
    m.graph.initializer.extend(new_inits)
    nodes = list(m.graph.node)
    del m.graph.node[:]
    m.graph.node.extend(casts + nodes)
    m.producer_name = "shockwave-sentiment-recipe"
    onnx.checker.check_model(m)
    onnx.save(m, str(dst))
