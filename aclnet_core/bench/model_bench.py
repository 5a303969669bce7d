"""Benchmark one model on several backends: batch-1 latency (p50/p95) and throughput against batch size.

Each (backend, batch) point runs `warmup` untimed calls, then timed calls until `iters` calls or `budget_s`
seconds (at least 3), so large batches of the base preset stay affordable on a small CPU. On a shared machine,
`rounds` splits each point into rounds; `best_p50_ms` is the lowest per-round median, the figure least disturbed
by other processes, next to p50/p95 over every call. Backends run one after the other. Results go to
`<out_prefix>.csv`, `<out_prefix>.json` (rows plus machine and library versions) and `<out_prefix>.png`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import platform
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.io_utils import atomic_write

log = logging.getLogger(__name__)

TORCH_BACKENDS = ("torch", "torch-cpu", "torch-cuda")
DEFAULT_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


@dataclass
class BenchRow:
    backend: str          # as requested
    runs_on: str          # what really ran (runtime.backend)
    batch: int
    iters: int            # timed calls, all rounds together
    p50_ms: float         # over all timed calls
    p95_ms: float
    mean_ms: float
    best_p50_ms: float    # the lowest per-round median: the figure least disturbed by other processes
    cpu_ms: float         # median CPU time per call, all threads of this process (≈ latency on an idle core
                          # for one thread; unaffected by other processes taking the CPU away)
    throughput: float     # samples per second at the median call time

    def to_dict(self) -> dict:
        return asdict(self)


def _time_calls(runtime, x: np.ndarray, iters: int, budget_s: float, min_iters: int) -> list[tuple[float, float]]:
    """(wall seconds, process CPU seconds) per call."""
    times: list[tuple[float, float]] = []
    start = time.perf_counter()
    while len(times) < iters and (len(times) < min_iters or time.perf_counter() - start < budget_s):
        t0, c0 = time.perf_counter(), time.process_time()
        runtime.infer(x)
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return times


def _row(backend: str, runs_on: str, batch: int, rounds: list[list[tuple[float, float]]]) -> BenchRow:
    calls = np.concatenate([np.asarray(r).reshape(-1, 2) for r in rounds]) * 1e3
    ms = calls[:, 0]
    p50 = float(np.percentile(ms, 50))
    best = float(min(np.median(np.asarray(r)[:, 0]) for r in rounds) * 1e3)
    return BenchRow(backend, runs_on, batch, len(ms), p50, float(np.percentile(ms, 95)), float(ms.mean()), best,
                    float(np.median(calls[:, 1])), batch / (p50 / 1e3))


def _sample(runtime, batch: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(runtime.meta.input_shape(batch)).astype(np.float32)


def time_runtime(runtime, backend: str, batch: int, iters: int = 50, warmup: int = 10, budget_s: float = 3.0,
                 min_iters: int = 3, seed: int = 0, rounds: int = 1) -> BenchRow:
    """Time `runtime.infer` on a random (batch, M, T, V, C) input: `warmup` untimed calls (cut short after
    `budget_s`), then `rounds` rounds of timed calls."""
    x = _sample(runtime, batch, seed)
    start = time.perf_counter()
    for done in range(warmup):                      # at most `warmup` calls, at most ~budget_s seconds
        if done and time.perf_counter() - start > budget_s:
            break
        runtime.infer(x)
    samples = [_time_calls(runtime, x, iters, budget_s, min_iters) for _ in range(rounds)]
    return _row(backend, runtime.backend, batch, samples)


def _open(model_path: Path, backend: str, onnx_path: Path | None, max_batch: int):
    """torch backends from the checkpoint; every other backend ('auto' = the ONNX chain) from the ONNX model,
    with a TensorRT optimisation profile covering the largest benchmarked batch."""
    if backend in TORCH_BACKENDS:
        if model_path.suffix == ".onnx":
            raise UserError(f"backend {backend} needs a .pt checkpoint, {model_path.name} is an ONNX model")
        from aclnet_core.runtime.torch_runtime import TorchRuntime
        device = {"torch-cpu": "cpu", "torch-cuda": "cuda"}.get(backend, "auto")   # pin the CPU even beside a GPU
        return TorchRuntime.from_checkpoint(model_path, device=device)
    from aclnet_core.runtime.select import load_onnx_runtime
    return load_onnx_runtime(onnx_path if onnx_path is not None else model_path, backend, max_batch=max_batch)


def _export_for_bench(checkpoint: Path, folder: Path) -> Path:
    """An ONNX twin of a checkpoint for the ONNX backends (same export path as `main.py export`, no parity)."""
    from aclnet_core.export.onnx_export import export_onnx
    log.info("exporting %s to ONNX for the ONNX backends", checkpoint.name)
    return export_onnx(checkpoint, folder / f"{checkpoint.stem}.onnx", parity_batches=()).path


def run_model_bench(model_path: str | Path, backends: list[str] | tuple[str, ...], batches=DEFAULT_BATCHES,
                    iters: int = 50, warmup: int = 10, out_prefix: str | Path | None = None, *,
                    onnx_path: str | Path | None = None, budget_s: float = 3.0, rounds: int = 1) -> list[BenchRow]:
    """Benchmark `model_path` (.pt or .onnx) on each backend and batch; write CSV/JSON/PNG when `out_prefix`.

    ONNX backends given a .pt use `onnx_path`, or an ONNX export made in a temporary folder. With `rounds` > 1
    the `iters` calls and `budget_s` of each point are split into that many rounds (see `best_p50_ms`).
    """
    if rounds < 1:
        raise UserError(f"rounds must be >= 1, got {rounds}")
    model_path = Path(model_path)
    if not model_path.is_file():
        raise UserError(f"model not found: {model_path}")
    if not backends:
        raise UserError("name at least one backend to benchmark")
    batches = sorted({int(b) for b in batches})
    if not batches or batches[0] < 1:
        raise UserError(f"batch sizes must be >= 1, got {batches}")
    rows: list[BenchRow] = []
    with tempfile.TemporaryDirectory(prefix="aclnet-bench-") as scratch:
        twin = Path(onnx_path) if onnx_path is not None else None
        needs_onnx = any(b not in TORCH_BACKENDS for b in backends) and model_path.suffix != ".onnx"
        if needs_onnx and twin is None:
            twin = _export_for_bench(model_path, Path(scratch))
        for backend in backends:
            # One backend at a time: thread pools of two runtimes in one process (ONNX Runtime's spinning
            # workers, torch's OpenMP team) fight over the cores and distort both.
            runtime = _open(model_path, backend, twin, max(batches))
            log.info("benchmarking %s (runs on %s)", backend, runtime.backend)
            for batch in batches:
                row = time_runtime(runtime, backend, batch, max(1, iters // rounds), warmup, budget_s / rounds,
                                   min_iters=1 if rounds > 1 else 3, rounds=rounds)
                log.info("%s b%d: p50 %.2f ms, p95 %.2f ms, %.0f samples/s", backend, batch, row.p50_ms,
                         row.p95_ms, row.throughput)
                rows.append(row)
            del runtime
    if out_prefix is not None:
        write_results(rows, out_prefix, {"model": str(model_path), "iters": iters, "warmup": warmup,
                                         "budget_s": budget_s, "rounds": rounds})
    return rows


def machine_info() -> dict:
    info = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        info["cpu"] = platform.processor()
    for module in ("torch", "onnxruntime", "onnx", "tensorrt"):
        try:
            info[module] = __import__(module).__version__
        except Exception as exc:  # noqa: BLE001 - absent or broken optional packages are just not reported
            log.debug("no %s version: %s", module, exc)
    return info


def write_results(rows: list[BenchRow], out_prefix: str | Path, settings: dict | None = None) -> list[Path]:
    """`<prefix>.csv`, `<prefix>.json` and `<prefix>.png`, each written atomically."""
    prefix = Path(out_prefix)
    csv_path, json_path, png_path = (prefix.with_name(prefix.name + ext) for ext in (".csv", ".json", ".png"))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[f.name for f in fields(BenchRow)])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.to_dict().items()})
    with atomic_write(csv_path) as tmp:
        tmp.write_text(buffer.getvalue())
    with atomic_write(json_path) as tmp:
        tmp.write_text(json.dumps({"machine": machine_info(), "settings": settings or {},
                                   "rows": [r.to_dict() for r in rows]}, indent=1))
    plot_results(rows, png_path)
    return [csv_path, json_path, png_path]


def plot_results(rows: list[BenchRow], png_path: str | Path) -> Path:
    """Two panels: median latency and throughput against batch (log-log), one line per backend."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter

    fig, (ax_lat, ax_thr) = plt.subplots(1, 2, figsize=(11, 4.2))
    for backend in dict.fromkeys(r.backend for r in rows):
        mine = sorted((r for r in rows if r.backend == backend), key=lambda r: r.batch)
        label = backend if mine[0].runs_on == backend else f"{backend} ({mine[0].runs_on})"
        ax_lat.plot([r.batch for r in mine], [r.p50_ms for r in mine], marker="o", label=label)
        ax_thr.plot([r.batch for r in mine], [r.throughput for r in mine], marker="o", label=label)
    for ax, title, unit in ((ax_lat, "latency (p50)", "ms per call"), (ax_thr, "throughput", "samples / s")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(FormatStrFormatter("%d"))
        ax.set_xlabel("batch")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    png_path = Path(png_path)
    with atomic_write(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return png_path
