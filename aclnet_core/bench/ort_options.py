"""Choose ONNX Runtime CPU session options by measurement: every variant times the same input, interleaved.

`python -m aclnet_core.bench.ort_options MODEL.onnx [--iters N] [--batch B]` prints, per variant, the median
wall and calling-thread CPU milliseconds per call and the median per-round ratio to the first variant (the shipped settings).
One round calls every session once, in rotating order, so load from other processes hits all variants alike.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np

from aclnet_core.errors import UserError


@dataclass(frozen=True)
class Variant:
    name: str
    level: str = "ORT_ENABLE_ALL"        # GraphOptimizationLevel member
    threads: int = 1
    mem_pattern: bool = True
    cpu_arena: bool = True
    parallel: bool = False                # ExecutionMode.ORT_PARALLEL (inter-op threads = threads)


VARIANTS = (
    Variant("shipped settings (see runtime.onnx_runtime.session_options)", level=""),
    Variant("level ENABLE_ALL (NCHWc layout)"),
    Variant("level ENABLE_EXTENDED", level="ORT_ENABLE_EXTENDED"),
    Variant("level ENABLE_BASIC", level="ORT_ENABLE_BASIC"),
    Variant("level ALL, no memory pattern", mem_pattern=False),
    Variant("level ALL, no CPU arena", cpu_arena=False),
    Variant("level ALL, 2 intra-op threads (no spinning)", threads=2),
)


def open_variant(path: str, variant: Variant):
    """An InferenceSession with `variant`'s options; the empty level means the product's own session options."""
    from aclnet_core.runtime.onnx_runtime import OrtOptions, _ort, session_options

    ort = _ort()
    so = session_options(OrtOptions(threads=variant.threads, spinning=False))
    if variant.level:
        so.graph_optimization_level = getattr(ort.GraphOptimizationLevel, variant.level)
        so.enable_mem_pattern = variant.mem_pattern
        so.enable_cpu_mem_arena = variant.cpu_arena
        if variant.parallel:
            so.execution_mode = ort.ExecutionMode.ORT_PARALLEL
            so.inter_op_num_threads = variant.threads
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def measure(path: str, variants=VARIANTS, iters: int = 100, batch: int = 1, warmup: int = 10) -> list[dict]:
    """Per variant: median wall ms, median CPU ms of the calling thread (the whole cost with 1 intra-op thread,
unaffected by other processes), median per-round wall ratio to variant 0 and its p10-p90."""
    from aclnet_core.runtime.onnx_runtime import INPUT_NAME, read_onnx_metadata

    meta = read_onnx_metadata(path)
    x = np.random.default_rng(0).standard_normal(meta.input_shape(batch)).astype(np.float32)
    sessions = [open_variant(path, v) for v in variants]
    ref = sessions[0].run(None, {INPUT_NAME: x})
    for s in sessions:
        out = s.run(None, {INPUT_NAME: x})
        if max(float(np.abs(a - b).max()) for a, b in zip(out, ref)) > 1e-4:
            raise UserError("a session variant changed the outputs")
        for _ in range(warmup):
            s.run(None, {INPUT_NAME: x})
    wall = np.zeros((iters, len(sessions)))
    cpu = np.zeros_like(wall)
    for i in range(iters):
        for k in range(len(sessions)):
            j = (i + k) % len(sessions)
            t0, c0 = time.perf_counter(), time.thread_time()
            sessions[j].run(None, {INPUT_NAME: x})
            wall[i, j], cpu[i, j] = (time.perf_counter() - t0) * 1e3, (time.thread_time() - c0) * 1e3
    ratio = wall / wall[:, :1]
    return [{"variant": v.name, "wall_ms": float(np.median(wall[:, j])), "cpu_ms": float(np.median(cpu[:, j])),
             "ratio": float(np.median(ratio[:, j])), "ratio_p10": float(np.percentile(ratio[:, j], 10)),
             "ratio_p90": float(np.percentile(ratio[:, j], 90))} for j, v in enumerate(variants)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aclnet_core.bench.ort_options", description=__doc__)
    parser.add_argument("model", help="an exported .onnx model")
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        if args.iters < 1 or args.batch < 1:
            raise UserError("--iters and --batch must be >= 1")
        rows = measure(args.model, iters=args.iters, batch=args.batch)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{'variant':<62} {'wall ms':>8} {'CPU ms':>8} {'ratio':>7} {'p10-p90':>13}")
    for r in rows:
        print(f"{r['variant']:<62} {r['wall_ms']:8.2f} {r['cpu_ms']:8.2f} {r['ratio']:7.3f} "
              f"{r['ratio_p10']:6.3f}-{r['ratio_p90']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
