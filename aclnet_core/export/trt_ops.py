"""The ONNX operators that TensorRT's ONNX parser supports, as data, and a check of a model against them.

Source: onnx/onnx-tensorrt, docs/operators.md at commit 6d0ab7be324d02c7feb3a306b6fdbeae84f71ddc
("TensorRT 8.5 supports operators up to Opset 17"), the rows marked "Y". Later TensorRT releases (10.x)
only add operators, so this list is a conservative floor: a model that passes here parses on 8.5 and later.
The ops in the "constant input" table carry the restrictions named in the same document.
"""

from __future__ import annotations

from dataclasses import dataclass

import onnx

TRT_OPS_SOURCE = ("onnx/onnx-tensorrt docs/operators.md @ 6d0ab7be324d02c7feb3a306b6fdbeae84f71ddc "
                  "(TensorRT 8.5, opset <= 17)")

_SUPPORTED_TABLE = """
Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BatchNormalization Cast Ceil Celu Clip
Concat Constant ConstantOfShape Conv ConvTranspose Cos Cosh CumSum DepthToSpace DequantizeLinear Div Dropout
Einsum Elu Equal Erf Exp Expand EyeLike Flatten Floor Gather GatherElements GatherND Gemm GlobalAveragePool
GlobalLpPool GlobalMaxPool Greater GreaterOrEqual GridSample GRU HardSwish HardSigmoid Identity If ImageScaler
InstanceNormalization IsNaN LeakyRelu Less LessOrEqual Log LogSoftmax Loop LRN LSTM LpNormalization LpPool
MatMul Max MaxPool Mean MeanVarianceNormalization Min Mod Mul Neg NonMaxSuppression NonZero Not OneHot Or Pad
ParametricSoftplus Pow PRelu QuantizeLinear RandomNormal RandomNormalLike RandomUniform RandomUniformLike Range
Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum
ReduceSumSquare Relu Reshape Resize ReverseSequence RNN RoiAlign Round ScaledTanh Scan Scatter ScatterElements
ScatterND Selu Shape Shrink Sigmoid Sign Sin Sinh Size Slice Softmax Softplus Softsign SpaceToDepth Split Sqrt
Squeeze Sub Sum Tan Tanh ThresholdedRelu Tile TopK Transpose Trilu Unsqueeze Upsample Where Xor
"""
TRT_SUPPORTED_OPS: frozenset[str] = frozenset(_SUPPORTED_TABLE.split())

# op -> indices of inputs that must be initializers / constants ("Restrictions" column of the same table).
TRT_CONSTANT_INPUTS: dict[str, tuple[int, ...]] = {
    "Conv": (1,), "ConvTranspose": (1,), "CumSum": (1,), "Slice": (3,), "Squeeze": (1,), "Unsqueeze": (1,),
    "TopK": (1,),
}


@dataclass
class TrtOpReport:
    op_types: list[str]            # every op type in the graph (sorted)
    unsupported: list[str]         # op types outside TRT_SUPPORTED_OPS (or outside the default domain)
    non_constant: list[str]        # 'Op(node): input i' entries that break a constant-input restriction

    @property
    def ok(self) -> bool:
        return not self.unsupported and not self.non_constant


def check_trt_ops(model: onnx.ModelProto) -> TrtOpReport:
    """Check every node of the main graph (and nested subgraphs' op types) against the ONNX-TensorRT list."""
    graph = model.graph
    constants = {init.name for init in graph.initializer}
    constants.update(out for node in graph.node if node.op_type == "Constant" for out in node.output)
    op_types, unsupported, non_constant = set(), set(), []
    for node in _all_nodes(graph):
        qualified = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
        op_types.add(qualified)
        if qualified not in TRT_SUPPORTED_OPS:
            unsupported.add(qualified)
    for node in graph.node:
        for index in TRT_CONSTANT_INPUTS.get(node.op_type, ()):
            if index < len(node.input) and node.input[index] and node.input[index] not in constants:
                non_constant.append(f"{node.op_type}({node.name}): input {index}")
    return TrtOpReport(sorted(op_types), sorted(unsupported), non_constant)


def _all_nodes(graph: onnx.GraphProto):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _all_nodes(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for sub in attr.graphs:
                    yield from _all_nodes(sub)
