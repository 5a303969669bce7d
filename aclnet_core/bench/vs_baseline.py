"""`bench --vs-baseline`: the product encoder against the straightforward baseline, timed interleaved.

Both compute the same function (checked before timing). Each timed iteration calls both once, in alternating
order, so load from other processes hits both alike; the figure of merit is the median of the per-iteration
ratios product / baseline, reported with its p10-p90 spread. Backends:
  - torch: the product's torch CPU form (`traced_for_inference`, as TorchRuntime runs it) against
    `BaselineACLNet` in eager mode;
  - onnxruntime-cpu: the product's ONNX export (`torch_to_onnx`) against the baseline exported the plain way
    (the same exporter, no graph passes), both in ONNX Runtime sessions with the product's session options.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aclnet_core.bench.baseline_encoder import BaselineACLNet, baseline_from
from aclnet_core.errors import UserError
from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.metadata import ModelMetadata

log = logging.getLogger(__name__)

VS_BACKENDS = ("torch", "onnxruntime-cpu")
DEFAULT_WINDOW, DEFAULT_JOINTS = 52, 20          # NW-UCLA's layout and the paper's window
PARITY_TOL = 1e-4                                # relative to outputs above 1, as the export's parity check

Infer = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class VsResult:
    backend: str
    preset: str
    shape: tuple[int, ...]
    threads: int
    max_diff: float
    baseline_ms: np.ndarray          # wall, per iteration
    product_ms: np.ndarray
    baseline_cpu_ms: np.ndarray      # the calling thread's CPU time, per iteration
    product_cpu_ms: np.ndarray

    @property
    def ratios(self) -> np.ndarray:
        return self.product_ms / self.baseline_ms

    @property
    def ratio(self) -> float:
        return float(np.median(self.ratios))

    def report(self) -> str:
        """Human-readable lines; the last one is `ratio <value>`."""
        def spread(ms: np.ndarray) -> str:
            p10, p25, p50, p75, p90 = np.percentile(ms, (10, 25, 50, 75, 90))
            return f"median {p50:8.2f} ms   IQR {p25:.2f}-{p75:.2f}   p10-p90 {p10:.2f}-{p90:.2f}"
        r10, r25, r75, r90 = np.percentile(self.ratios, (10, 25, 75, 90))
        n, m, t, v, c = self.shape
        return "\n".join([
            (f"vs-baseline: preset {self.preset}, input (N={n}, M={m}, T={t}, V={v}, C={c}), backend {self.backend}, "
             f"{self.threads} thread(s), {len(self.ratios)} interleaved pairs"),
            f"max |product - baseline| = {self.max_diff:.1e} (relative to outputs above 1)",
            f"baseline  wall {spread(self.baseline_ms)}",
            f"product   wall {spread(self.product_ms)}",
            f"baseline  CPU  {spread(self.baseline_cpu_ms)}",
            f"product   CPU  {spread(self.product_cpu_ms)}",
            (f"CPU-time ratio {float(np.median(self.product_cpu_ms / np.maximum(self.baseline_cpu_ms, 1e-9))):.3f} "
             f"(the calling thread's CPU time; ONNX Runtime and torch run on it with 1 thread)"),
            f"ratio (product / baseline wall, per pair): IQR {r25:.3f}-{r75:.3f}   p10-p90 {r10:.3f}-{r90:.3f}",
            f"ratio {self.ratio:.3f}",
        ])


def encoder_for(model_path: str | Path | None, preset: str | None, window: int | None,
                joints: int | None) -> tuple[ACLNet, ModelMetadata]:
    """The encoder to time: a checkpoint's, or an untrained one of `preset` (timing does not need training)."""
    from aclnet_core.model.checkpoint import model_from_checkpoint
    from aclnet_core.model.presets import get_preset

    if model_path is not None and preset is not None:
        raise UserError("give --model or --preset, not both")
    if model_path is not None:
        path = Path(model_path)
        if path.suffix != ".pt":
            raise UserError(f"--vs-baseline needs a .pt checkpoint (the baseline is built from its weights), "
                            f"got {path.name}")
        if not path.is_file():
            raise UserError(f"model not found: {path}")
        model, meta = model_from_checkpoint(path)
        if joints is not None and joints != meta.num_joints:
            raise UserError(f"--joints {joints} contradicts the model's {meta.num_joints} joints")
    else:
        spec = get_preset(preset or "base")
        joints = joints or DEFAULT_JOINTS
        torch.manual_seed(0)
        model = ACLNet(10, joints, 3, spec).eval()
        meta = ModelMetadata("action", [f"c{i}" for i in range(10)], spec.name, joints, 3, spec.embed_dim,
                             {"layout": "kinect20" if joints == 20 else "generic", "window": DEFAULT_WINDOW,
                              "num_person": 1})
    if window is not None:
        meta.preprocess = {**meta.preprocess, "window": int(window)}
    return model.eval(), meta


def _torch_infer(module: Callable) -> Infer:
    def infer(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            logits, embedding = module(torch.from_numpy(x))
        return logits.numpy(), embedding.numpy()
    return infer


def plain_onnx(baseline: BaselineACLNet, meta: ModelMetadata, path: Path) -> Path:
    """The baseline exported the plain way: torch.onnx (dynamo) with its default optimiser, no graph passes."""
    from aclnet_core.export.onnx_export import _quiet_exporter, set_metadata
    from aclnet_core.runtime.onnx_runtime import INPUT_NAME, OUTPUT_NAMES

    example = torch.zeros(meta.input_shape(2), dtype=torch.float32)
    batch = torch.export.Dim("batch", min=1, max=1 << 16)
    with _quiet_exporter():
        program = torch.onnx.export(baseline, (example,), dynamo=True, opset_version=18, optimize=True,
                                    input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES),
                                    dynamic_shapes=({0: batch},), verbose=False)
    proto = program.model_proto
    set_metadata(proto, meta)
    path.write_bytes(proto.SerializeToString())
    return path


def _pair(model: ACLNet, meta: ModelMetadata, backend: str, folder: Path) -> tuple[Infer, Infer]:
    """(product, baseline) inference functions on `backend`."""
    baseline = baseline_from(model)
    if backend == "torch":
        from aclnet_core.model.fast_inference import traced_for_inference
        return _torch_infer(traced_for_inference(model, meta.input_shape(1))), _torch_infer(baseline)
    from aclnet_core.export.onnx_export import torch_to_onnx
    from aclnet_core.runtime.onnx_runtime import OnnxRuntime, OrtOptions

    proto, _ = torch_to_onnx(model, meta)
    product_path = folder / "product.onnx"
    product_path.write_bytes(proto.SerializeToString())
    baseline_path = plain_onnx(baseline, meta, folder / "baseline.onnx")
    options = OrtOptions(threads=torch.get_num_threads(), spinning=False)
    return OnnxRuntime(product_path, options=options).infer, OnnxRuntime(baseline_path, options=options).infer


def max_relative_diff(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> float:
    return max(float(np.abs(x - y).max()) / max(1.0, float(np.abs(y).max())) for x, y in zip(a, b))


def time_interleaved(fns: list[Infer], x: np.ndarray, iters: int, warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """(wall, cpu): (iters, len(fns)) milliseconds each; every iteration calls every function once, the order
    alternating. cpu is the calling thread's CPU time: with one thread the whole cost of a call, whatever else
    runs on the machine."""
    for _ in range(warmup):
        for fn in fns:
            fn(x)
    wall, cpu = np.zeros((iters, len(fns))), np.zeros((iters, len(fns)))
    for i in range(iters):
        order = range(len(fns)) if i % 2 == 0 else reversed(range(len(fns)))
        for j in order:
            t0, c0 = time.perf_counter(), time.thread_time()
            fns[j](x)
            wall[i, j], cpu[i, j] = (time.perf_counter() - t0) * 1e3, (time.thread_time() - c0) * 1e3
    return wall, cpu


def run_vs_baseline(model_path: str | Path | None = None, preset: str | None = None, backend: str = "torch",
                    window: int | None = None, joints: int | None = None, batch: int = 1, iters: int = 50,
                    warmup: int = 5, threads: int = 1, seed: int = 0) -> VsResult:
    """Time the product encoder and the baseline interleaved on one random input of the model's shape."""
    if backend not in VS_BACKENDS:
        raise UserError(f"--vs-baseline backend must be one of {', '.join(VS_BACKENDS)}, got {backend!r}")
    if iters < 1 or warmup < 0 or batch < 1 or threads < 1:
        raise UserError("--iters, --batch and --threads must be >= 1 and --warmup >= 0")
    torch.set_num_threads(threads)
    model, meta = encoder_for(model_path, preset, window, joints)
    x = np.random.default_rng(seed).standard_normal(meta.input_shape(batch)).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="aclnet-vs-") as scratch:
        product, baseline = _pair(model, meta, backend, Path(scratch))
        diff = max_relative_diff(product(x), baseline(x))
        if not diff <= PARITY_TOL:
            raise UserError(f"the product and the baseline disagree: max |diff| {diff:.2e} > {PARITY_TOL:.0e}")
        wall, cpu = time_interleaved([baseline, product], x, iters, warmup)
    return VsResult(backend, meta.preset, tuple(x.shape), threads, diff, wall[:, 0], wall[:, 1], cpu[:, 0], cpu[:, 1])
