"""Makes the fp32 twin of a dynamically quantised int8 model: the same graph with every int8 weight turned back
into fp32 ((q - zero point) x scale, per channel) and every MatMulInteger back into a plain fp32 MatMul. The twin
has exactly the served model's weights and the fp32 kernels' arithmetic: it is the fp32 reference the speed
benchmark compares the served int8 file with (bench/scorer.sh), and a way to serve fp32 from the committed files
(`SHOCKWAVE_MODEL_DIR` pointing at a folder holding the twin, the tokenizer, model.json and topics.json).

Usage: python3 dequantize_int8.py MODEL_DIR/model.onnx OUT.onnx
"""
import sys
from collections import defaultdict

import numpy as np
import onnx
from onnx import helper, numpy_helper


def dequantized(q, scale, zero_point, axis):
    q = q.astype(np.float32) - zero_point.astype(np.float32).reshape(shape_for(q, zero_point, axis))
    return (q * scale.astype(np.float32).reshape(shape_for(q, scale, axis))).astype(np.float32)


def shape_for(tensor, per, axis):
    if per.size == 1:
        return ()
    shape = [1] * tensor.ndim
    shape[axis] = per.size
    return shape


def main():
    src, dst = sys.argv[1:3]
    model = onnx.load(src)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    consumers = defaultdict(list)
    for n in graph.node:
        for i in n.input:
            consumers[i].append(n)

    def const(name):
        if name in inits:
            return numpy_helper.to_array(inits[name])
        node = producer.get(name)
        if node is not None and node.op_type == "Constant":
            return numpy_helper.to_array(node.attribute[0].t)
        return None

    drop, add, new_inits = set(), [], []
    # Gather(int8 table) -> DequantizeLinear: a Gather from the fp32 table (the quantised embedding tables).
    for n in graph.node:
        if n.op_type != "DequantizeLinear":
            continue
        gather = producer.get(n.input[0])
        if gather is not None and gather.op_type == "Gather" and gather.input[0] in inits:
            zp = const(n.input[2]) if len(n.input) > 2 else np.zeros(1, dtype=np.int8)
            axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
            table = dequantized(const(gather.input[0]), const(n.input[1]), zp, axis)
            name = gather.input[0] + "_fp32"
            new_inits.append(numpy_helper.from_array(table, name))
            add.append((n, helper.make_node("Gather", [name, gather.input[1]], [n.output[0]], name=gather.name + "_fp32",
                                            axis=next((a.i for a in gather.attribute if a.name == "axis"), 0))))
            drop.update({id(n), id(gather)})
    # DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(., x_scale * w_scale): one fp32 MatMul.
    replaced_quantizers = defaultdict(int)
    for n in graph.node:
        if n.op_type != "MatMulInteger":
            continue
        quantizer = producer[n.input[0]]
        assert quantizer.op_type == "DynamicQuantizeLinear", quantizer.op_type
        w_q, w_zp = const(n.input[1]), const(n.input[3])
        (cast,) = consumers[n.output[0]]
        assert cast.op_type == "Cast"
        (rescale,) = consumers[cast.output[0]]
        assert rescale.op_type == "Mul"
        scale_name = next(i for i in rescale.input if i != cast.output[0])
        scales = producer[scale_name]
        assert scales.op_type == "Mul" and quantizer.output[1] in scales.input
        w_scale = const(next(i for i in scales.input if i != quantizer.output[1]))
        weight = dequantized(w_q, w_scale, w_zp, axis=1)
        name = n.input[1] + "_fp32"
        new_inits.append(numpy_helper.from_array(weight, name))
        add.append((rescale, helper.make_node("MatMul", [quantizer.input[0], name], [rescale.output[0]],
                                               name=n.name + "_fp32")))
        drop.update({id(n), id(cast), id(rescale), id(scales)})
        replaced_quantizers[id(quantizer)] += 1
    for n in graph.node:
        if n.op_type == "DynamicQuantizeLinear":
            users = [c for c in consumers[n.output[0]] if c.op_type == "MatMulInteger"]
            if replaced_quantizers[id(n)] == len(users) == len(consumers[n.output[0]]):
                drop.add(id(n))
    replacement = {id(old): new for old, new in add}
    nodes = []
    for n in graph.node:
        if id(n) in replacement:
            nodes.append(replacement[id(n)])
        elif id(n) not in drop:
            nodes.append(n)
    used = {i for n in nodes for i in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + [i for i in new_inits if i.name in used])
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"{src}: {len(add)} quantised MatMuls and embedding tables turned fp32 -> {dst}")


if __name__ == "__main__":
    main()
