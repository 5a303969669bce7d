"""Export a checkpoint to one self-contained ONNX file and prove it: opset, op set, parity with torch.

Exporter: torch.onnx's dynamo exporter (torch.export + onnxscript). It gives a clean graph for ACLNet (no
Shape/Gather/Constant chains around every reshape as the legacy TorchScript exporter emits, BatchNorm folded into
the convolutions, only default-domain ops) and it is the supported path in torch >= 2.9, where the TorchScript
exporter is deprecated. The onnxscript optimizer (constant folding, dead-code removal) runs as part of export;
`merge_sibling_convs` then merges parallel 1×1 convolutions. The dynamo exporter has no implementations below
opset 18 and silently keeps 18 when asked for 17, so the opset actually written is read back and asserted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import torch

from aclnet_core.errors import UserError
from aclnet_core.export.graph_passes import merge_sibling_convs
from aclnet_core.export.trt_ops import TRT_OPS_SOURCE, check_trt_ops
from aclnet_core.io_utils import atomic_write, check_not_input, check_writable
from aclnet_core.model.checkpoint import model_from_checkpoint
from aclnet_core.model.encoder import ACLNet, InferenceWrapper
from aclnet_core.model.metadata import ModelMetadata
from aclnet_core.runtime.onnx_runtime import INPUT_NAME, META_KEY, OUTPUT_NAMES, OnnxRuntime, OrtOptions

DEFAULT_OPSET = 18
MIN_OPSET = 17
PARITY_BATCHES = (1, 8, 64)
PARITY_TOL = 1e-4
MAX_EXPORT_BATCH = 1 << 16


@dataclass
class ExportReport:
    path: Path
    opset: int
    requested_opset: int
    op_counts: dict[str, int]
    merged_convs: int
    trt_check: str                                   # 'ok', 'skipped', or the unsupported ops
    parity: dict[int, float] = field(default_factory=dict)   # batch -> max |onnx - torch| over both outputs
    size_bytes: int = 0

    def summary(self) -> str:
        nodes = sum(self.op_counts.values())
        parity = ", ".join(f"b{b}: {d:.1e}" for b, d in self.parity.items()) or "skipped"
        return (f"wrote {self.path} ({self.size_bytes / 1e6:.1f} MB, opset {self.opset}, {nodes} nodes, "
                f"{len(self.op_counts)} op types); TensorRT op check: {self.trt_check}; "
                f"parity max|diff| {parity}")


@contextlib.contextmanager
def _quiet_exporter():
    """The exporter logs torchvision notices and prints progress: keep the CLI output to our own lines."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(None):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def default_opset(model: onnx.ModelProto) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    raise UserError("the exported model imports no default-domain opset")


def set_metadata(model: onnx.ModelProto, meta: ModelMetadata) -> None:
    """metadata_props: 'aclnet_meta' (the full ModelMetadata JSON) plus readable labels / layout / window / task."""
    readable = {META_KEY: meta.to_json(), "labels": json.dumps(meta.labels), "layout": meta.layout,
                "window": str(meta.window), "num_person": str(meta.num_person), "task": meta.task,
                "preset": meta.preset, "model_id": meta.model_id}
    del model.metadata_props[:]
    for key, value in readable.items():
        model.metadata_props.add(key=key, value=value)
    model.producer_name = "aclnet-live"
    model.doc_string = f"ACLNet {meta.preset} {meta.task} model; input {INPUT_NAME} (N, M, T, V, C)"


def torch_to_onnx(model: ACLNet, meta: ModelMetadata, opset: int = DEFAULT_OPSET,
                  merge_convs: bool = True) -> tuple[onnx.ModelProto, int]:
    """The ONNX ModelProto (weights inside) of `model.inference_forward`, and the number of merged conv groups."""
    if opset < MIN_OPSET:
        raise UserError(f"opset {opset} is too old: TensorRT and this exporter need opset >= {MIN_OPSET}")
    wrapper = InferenceWrapper(model.eval().float().cpu()).eval()
    example = torch.zeros(meta.input_shape(2), dtype=torch.float32)    # batch 2: batch 1 would be specialised
    batch = torch.export.Dim("batch", min=1, max=MAX_EXPORT_BATCH)
    try:
        with _quiet_exporter():
            program = torch.onnx.export(wrapper, (example,), dynamo=True, opset_version=opset, optimize=True,
                                        input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES),
                                        dynamic_shapes=({0: batch},), verbose=False)
    except Exception as exc:  # noqa: BLE001 - torch.export raises many types; the first line is enough
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"ONNX export failed: {first[:300]}") from None
    proto = program.model_proto
    merged = merge_sibling_convs(proto) if merge_convs else 0
    set_metadata(proto, meta)
    return proto, merged


def check_parity(model: ACLNet, onnx_path: str | Path, batches=PARITY_BATCHES, tol: float = PARITY_TOL,
                 seed: int = 0) -> dict[int, float]:
    """max |onnx - torch| over logits and embedding at each batch size (ONNX Runtime CPU, the deployed settings),
    relative to the output's scale when that exceeds 1 (logits of many classes reach 10-30, where float32
    reordering alone moves the last digits); UserError when one exceeds `tol`."""
    runtime = OnnxRuntime(onnx_path, "onnxruntime-cpu", OrtOptions())
    rng = np.random.default_rng(seed)
    diffs: dict[int, float] = {}
    model = model.eval()
    for batch in batches:
        x = rng.standard_normal(runtime.meta.input_shape(batch)).astype(np.float32)
        with torch.inference_mode():
            expected = [t.numpy() for t in model.inference_forward(torch.from_numpy(x))]
        got = runtime.infer(x)
        diffs[batch] = max(float(np.abs(g - e).max()) / max(1.0, float(np.abs(e).max()))
                           for g, e in zip(got, expected))
    bad = {b: d for b, d in diffs.items() if not d <= tol}
    if bad:
        b, d = next(iter(bad.items()))
        raise UserError(f"ONNX parity check failed: max |onnx - torch| (relative to outputs above 1) = {d:.2e} > "
                        f"{tol:.0e} at batch {b}")
    return diffs


def export_onnx(checkpoint: str | Path, out_path: str | Path | None = None, *, opset: int = DEFAULT_OPSET,
                trt_check: bool = True, parity_batches=PARITY_BATCHES, tol: float = PARITY_TOL,
                merge_convs: bool = True) -> ExportReport:
    """Checkpoint → single-file ONNX (atomic write) with metadata; asserts opset, checks TensorRT ops and parity.

    The file is only left in place when every check passes.
    """
    model, meta = model_from_checkpoint(checkpoint)
    out_path = Path(out_path) if out_path is not None else Path(checkpoint).with_suffix(".onnx")
    check_not_input(out_path, [checkpoint])
    check_writable(out_path)
    proto, merged = torch_to_onnx(model, meta, opset, merge_convs)
    written = default_opset(proto)
    if written < MIN_OPSET:
        raise UserError(f"the exporter wrote opset {written}, below the required {MIN_OPSET}")
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise UserError(f"the exported model is invalid: {str(exc).strip().splitlines()[0]}") from None
    trt_state = "skipped"
    if trt_check:
        report = check_trt_ops(proto)
        if not report.ok:
            problems = report.unsupported + report.non_constant
            raise UserError(f"ops not supported by TensorRT: {', '.join(problems)} "
                            f"(per {TRT_OPS_SOURCE}); use --no-trt-check to export anyway")
        trt_state = "ok"
    op_counts: dict[str, int] = {}
    for node in proto.graph.node:
        op_counts[node.op_type] = op_counts.get(node.op_type, 0) + 1
    with atomic_write(out_path) as tmp:
        onnx.save_model(proto, str(tmp), save_as_external_data=False)
        parity = check_parity(model, tmp, parity_batches, tol) if parity_batches else {}
    return ExportReport(out_path, written, opset, op_counts, merged, trt_state, parity, out_path.stat().st_size)
