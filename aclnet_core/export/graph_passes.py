"""Exact ONNX graph rewrites applied after export (the output is bit-for-bit the same math).

`merge_sibling_convs`: convolutions that read the same tensor with the same attributes (the DG-GCN `pre`/`down`
and `conv1`/`conv2` pairs, the five DG-TCN branch stems) become one wider Conv followed by a Split. Fewer, larger
GEMMs run faster on a small CPU at batch 1; TensorRT does the same fusion itself, so nothing is lost there.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import onnx
from onnx import helper, numpy_helper


def _attribute_key(node: onnx.NodeProto) -> tuple:
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    attrs.setdefault("group", 1)
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in attrs.items()))


def merge_sibling_convs(model: onnx.ModelProto) -> int:
    """Merge groups of Convs sharing input and attributes, in place; returns the number of groups merged.

    A Conv whose only consumer is a Relu is merged with other such Convs only, and the Relu is applied once to
    the merged output (so ONNX Runtime still fuses Conv+Relu). Weights and biases must be initializers.
    """
    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)
    graph_outputs = {out.name for out in graph.output}

    groups: dict[tuple, list[tuple[int, onnx.NodeProto, onnx.NodeProto | None]]] = defaultdict(list)
    for index, node in enumerate(graph.node):
        if node.op_type != "Conv" or node.domain not in ("", "ai.onnx") or len(node.input) < 2:
            continue
        if any(name not in inits for name in node.input[1:] if name):
            continue
        attrs = _attribute_key(node)
        if dict(attrs)["group"] != 1:
            continue
        users = consumers[node.output[0]]
        relu = users[0] if (len(users) == 1 and users[0].op_type == "Relu"
                            and node.output[0] not in graph_outputs) else None
        kernel_shape = tuple(inits[node.input[1]].dims[1:])
        groups[(node.input[0], attrs, kernel_shape, relu is not None)].append((index, node, relu))

    replacements: dict[int, list[onnx.NodeProto]] = {}
    removed: set[int] = set()
    new_inits: list[onnx.TensorProto] = []
    merged = 0
    for key, members in groups.items():
        if len(members) < 2:
            continue
        weights = [numpy_helper.to_array(inits[n.input[1]]) for _, n, _ in members]
        biases = [numpy_helper.to_array(inits[n.input[2]]) if len(n.input) > 2 and n.input[2]
                  else np.zeros(w.shape[0], w.dtype) for (_, n, _), w in zip(members, weights)]
        base = f"merged_conv_{merged}"
        merged += 1
        new_inits += [numpy_helper.from_array(np.concatenate(weights), f"{base}.weight"),
                      numpy_helper.from_array(np.concatenate(biases), f"{base}.bias"),
                      numpy_helper.from_array(np.array([w.shape[0] for w in weights], np.int64), f"{base}.split")]
        conv = helper.make_node("Conv", [key[0], f"{base}.weight", f"{base}.bias"], [f"{base}.out"], name=base)
        conv.attribute.extend(members[0][1].attribute)
        nodes, source = [conv], f"{base}.out"
        if key[3]:
            nodes.append(helper.make_node("Relu", [source], [f"{base}.relu"], name=f"{base}.relu"))
            source = f"{base}.relu"
        outputs = [relu.output[0] if relu is not None else conv_node.output[0] for _, conv_node, relu in members]
        nodes.append(helper.make_node("Split", [source, f"{base}.split"], outputs, name=f"{base}.split", axis=1))
        replacements[min(index for index, _, _ in members)] = nodes
        for _, conv_node, relu in members:
            removed.add(id(conv_node))
            if relu is not None:
                removed.add(id(relu))
    if not merged:
        return 0

    nodes = []
    for index, node in enumerate(graph.node):
        nodes += replacements.get(index, [])
        if id(node) not in removed:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(new_inits)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    # value_info of removed tensors is harmless but stale: drop entries that no node produces any more.
    produced = {out for node in graph.node for out in node.output}
    kept_info = [vi for vi in graph.value_info if vi.name in produced]
    del graph.value_info[:]
    graph.value_info.extend(kept_info)
    return merged
