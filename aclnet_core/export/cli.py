"""CLI glue: the `export` subcommand and the model-benchmark options of `bench` (imports stay lazy for --help)."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
from pathlib import Path

from aclnet_core.cli_types import finite_float, int_range, positive_int

FORMATS = ("onnx", "tensorrt", "checkpoint")
PRECISIONS = ("fp16", "fp32", "int8")           # = aclnet_core.export.tensorrt_build.PRECISIONS
BENCH_BACKENDS = ("torch-cpu", "torch-cuda", "onnxruntime-cpu", "onnxruntime-cuda", "onnxruntime-trt", "tensorrt",
                  "auto")
CPU_BENCH_BATCHES = "1,2,4,8,16,32,64,128,256"
VS_PRESETS = ("base", "lite")                   # = aclnet_core.model.presets.PRESETS
VS_DEFAULT_SHAPE = (52, 20)                     # = aclnet_core.bench.vs_baseline DEFAULT_WINDOW, DEFAULT_JOINTS

# opsets the exporter accepts: TensorRT needs >= 17; above the installed onnx package's newest, torch fails late
MIN_OPSET, MAX_OPSET = 17, 23

log = logging.getLogger(__name__)


def add_export_parser(subparsers) -> argparse.ArgumentParser:
    """`export CKPT [--format onnx|tensorrt] [-o OUT] …`; sets `func=run_export_cli`."""
    p = subparsers.add_parser("export", help="export a checkpoint to ONNX or a TensorRT engine",
                              description="Export a checkpoint to a single-file ONNX model (opset >= 17, dynamic "
                                          "batch, metadata inside, parity-checked against torch at batch 1/8/64), "
                                          "with --format tensorrt also build a TensorRT engine, or with --format "
                                          "checkpoint write a deployable .pt (weights, metadata and config; no "
                                          "training state) with --note KEY=VALUE facts added to its metadata.")
    p.add_argument("checkpoint", help="trained checkpoint (.pt)")
    p.add_argument("--format", choices=FORMATS, default="onnx", help="output format (default: onnx)")
    p.add_argument("-o", "--output", help="output file (default: the checkpoint name with .onnx / .engine)")
    p.add_argument("--opset", type=int_range(MIN_OPSET, MAX_OPSET), default=18,
                   help=f"ONNX opset to request, {MIN_OPSET}..{MAX_OPSET} (default: 18)")
    p.add_argument("--no-trt-check", action="store_true",
                   help="export even when ops fall outside the ONNX-TensorRT supported-operator list")
    p.add_argument("--precision", choices=PRECISIONS, default="fp16", help="TensorRT precision (default: fp16)")
    p.add_argument("--max-batch", type=int_range(1, 4096), default=64, help="TensorRT profile: batch 1..N (default: 64)")
    p.add_argument("--calib", nargs="+", metavar="PATH",
                   help="INT8 calibration data: recordings (.npz files or folders) or prepared clips (.npy)")
    p.add_argument("--calib-limit", type=positive_int, default=512, help="at most this many calibration clips")
    p.add_argument("--workspace-mb", type=int_range(1, 1_048_576), default=1024, help="TensorRT builder workspace (MiB)")
    p.add_argument("--note", action="append", default=[], metavar="KEY=VALUE",
                   help="--format checkpoint: a fact to store in the metadata's 'extra' (repeatable)")
    p.set_defaults(func=run_export_cli)
    return p


def run_export_cli(args: argparse.Namespace) -> int:
    from aclnet_core.errors import UserError
    from aclnet_core.export.onnx_export import export_onnx

    checkpoint = Path(args.checkpoint)
    _check_output(args, checkpoint)
    if args.format == "checkpoint":
        from aclnet_core.model.checkpoint import release_checkpoint

        if not args.output:
            raise UserError("--format checkpoint needs -o OUT.pt")
        notes = {}
        for note in args.note:
            key, sep, value = note.partition("=")
            if not sep or not key.strip():
                raise UserError(f"--note must be KEY=VALUE, got {note!r}")
            notes[key.strip()] = _note_value(value.strip())
        out = release_checkpoint(checkpoint, args.output, notes)
        print(f"{out}: deployable checkpoint ({out.stat().st_size / 1e6:.1f} MB)")
        return 0
    if args.format == "onnx":
        report = export_onnx(checkpoint, args.output, opset=args.opset, trt_check=not args.no_trt_check)
        print(report.summary())
        return 0

    from aclnet_core.export.tensorrt_build import BuildOptions, cuda_device_name, get_or_build_engine, import_tensorrt
    trt = import_tensorrt()                # fail before the slow export: BackendUnavailable is a UserError
    gpu = cuda_device_name()
    if args.precision == "int8" and not args.calib:
        raise UserError("--precision int8 needs --calib recordings or prepared clips")
    engine_out = Path(args.output) if args.output else default_output(checkpoint, "tensorrt")
    if engine_out.suffix == ".onnx":
        raise UserError(f"{engine_out}: a TensorRT engine needs another suffix (.engine / .plan)")
    report = export_onnx(checkpoint, engine_out.with_suffix(".onnx"), opset=args.opset,
                         trt_check=not args.no_trt_check)
    print(report.summary())
    calibration = None
    if args.precision == "int8":
        from aclnet_core.export.calibration import load_calibration_clips
        from aclnet_core.runtime.onnx_runtime import read_onnx_metadata
        calibration = load_calibration_clips(args.calib, read_onnx_metadata(report.path), args.calib_limit)
    options = BuildOptions(args.precision, args.max_batch, args.workspace_mb, calibration)
    cached, key, hit = get_or_build_engine(report.path, options, trt=trt, gpu_name=gpu)
    write_engine_copy(cached, engine_out, report.path, key)
    print(f"TensorRT {args.precision} engine for {gpu} (TensorRT {trt.__version__}, batch 1..{args.max_batch}): "
          f"{engine_out} ({'from the engine cache' if hit else 'built'}; cache entry {cached})")
    return 0


def default_output(checkpoint: Path, fmt: str) -> Path:
    """Where an export goes without -o: beside the checkpoint, .onnx or .engine."""
    return checkpoint.with_suffix(".engine" if fmt == "tensorrt" else ".onnx")


def _check_output(args: argparse.Namespace, checkpoint: Path) -> None:
    """The export never writes onto its checkpoint (nor its ONNX step onto it), and without -o it never replaces
    an existing file (e.g. the shipped assets/models/action.onnx beside assets/models/action.pt)."""
    from aclnet_core.errors import UserError
    from aclnet_core.io_utils import check_not_input

    out = Path(args.output) if args.output else default_output(checkpoint, args.format)
    check_not_input(out, [checkpoint])
    if args.format == "tensorrt":
        check_not_input(out.with_suffix(".onnx"), [checkpoint])
    if not args.output:
        for default in (out, out.with_suffix(".onnx")) if args.format == "tensorrt" else (out,):
            if default.exists():
                raise UserError(f"{default} exists: pass -o to choose the output (-o {out} replaces it)")


def _note_value(text: str):
    """A --note value as a number when it reads as one, else the text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def write_engine_copy(cached: Path, engine_out: Path, onnx_path: Path, key) -> None:
    """Copy a cached engine to `engine_out` with a `.json` sidecar (metadata + cache key), both atomically."""
    import json

    from aclnet_core.io_utils import atomic_write
    from aclnet_core.runtime.onnx_runtime import read_onnx_metadata
    from aclnet_core.runtime.tensorrt_runtime import sidecar_path
    with atomic_write(engine_out) as tmp:
        shutil.copyfile(cached, tmp)
    info = {"meta": read_onnx_metadata(onnx_path).to_dict(), "key": key.to_dict(), "onnx": onnx_path.name}
    with atomic_write(sidecar_path(engine_out)) as tmp:
        tmp.write_text(json.dumps(info, indent=1))


def _add(parser, *flags: str, **kwargs) -> None:
    """Add an option unless the shared `bench` parser already has one of these flags (then both share it)."""
    existing = getattr(parser, "_option_string_actions", {})
    if any(flag in existing for flag in flags):
        return
    parser.add_argument(*flags, **kwargs)


def add_model_bench_args(parser: argparse.ArgumentParser) -> None:
    """Options of the model benchmark (`bench --model M --backend …`), merged into the shared `bench` parser."""
    group = parser.add_argument_group("model benchmark (with --batches, or --model without --source)")
    _add(group, "--model", help="checkpoint (.pt) or exported ONNX model to benchmark")
    _add(group, "--onnx", help="the ONNX export of --model for the ONNX backends (default: export on the fly)")
    _add(group, "--backend", dest="backends", nargs="+", choices=BENCH_BACKENDS, metavar="BACKEND",
         help=f"backends to compare: {', '.join(BENCH_BACKENDS)} (default: torch-cpu onnxruntime-cpu)")
    _add(group, "--batches", help=f"comma-separated batch sizes (default: {CPU_BENCH_BATCHES}; add 512,1024 on a GPU)")
    _add(group, "--iters", type=int_range(1, 1_000_000), default=50, help="timed calls per point at most (default: 50)")
    _add(group, "--warmup", type=int_range(0, 1_000_000), default=10, help="untimed calls per point (default: 10)")
    _add(group, "--budget", type=finite_float(0.0, 3600.0, lo_open=True), default=3.0, help="seconds per point at most, >= 3 calls (default: 3)")
    _add(group, "--rounds", type=int_range(1, 1000), default=1,
         help="split each point into rounds and also report the best round's median (default: 1)")
    _add(group, "--threads", type=int_range(1, 1024), help="CPU threads for torch and ONNX Runtime (default: torch decides; ONNX Runtime 1)")
    _add(group, "--out", help="output prefix for .csv/.json/.png (default: runs/bench/model-<name>)")
    vs = parser.add_argument_group("against the straightforward baseline (--vs-baseline)")
    _add(vs, "--vs-baseline", action="store_true",
         help="time the product encoder and the paper-style baseline interleaved (batch 1; --model CKPT or "
              "--preset; backend torch or onnxruntime-cpu; default 1 thread); the last line is `ratio <value>`")
    _add(vs, "--preset", choices=VS_PRESETS, help="with --vs-baseline: an untrained encoder of this preset")
    _add(vs, "--window", type=int_range(4, 100_000), help=f"with --vs-baseline: frames T (default: the model's, "
         f"or {VS_DEFAULT_SHAPE[0]})")
    _add(vs, "--joints", type=int_range(1, 10_000), help=f"with --vs-baseline --preset: joints V (default "
         f"{VS_DEFAULT_SHAPE[1]})")


def is_model_bench(args: argparse.Namespace) -> bool:
    """True when the `bench` command line asks for the model benchmark (--backend or --batches given) rather than
    the pipeline one (which may take --model too)."""
    return bool(getattr(args, "backends", None) or getattr(args, "batches", None))


def parse_batches(text: str | None) -> list[int]:
    from aclnet_core.errors import UserError
    try:
        batches = [int(part) for part in (text or CPU_BENCH_BATCHES).split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--batches must be comma-separated integers, got {text!r}") from None
    if not batches or min(batches) < 1:
        raise UserError(f"--batches must be positive integers, got {text!r}")
    return batches


def run_model_bench_cli(args: argparse.Namespace) -> int:
    from aclnet_core.bench.model_bench import run_model_bench
    from aclnet_core.errors import UserError

    if not getattr(args, "model", None):
        raise UserError("the model benchmark needs --model CKPT_OR_ONNX")
    model = Path(args.model)
    threads = getattr(args, "threads", None)
    if threads is not None:
        if threads < 1:
            raise UserError(f"--threads must be >= 1, got {threads}")
        import torch
        os.environ["ACLNET_ORT_THREADS"] = str(threads)
        torch.set_num_threads(threads)
    backends = getattr(args, "backends", None) or (["onnxruntime-cpu"] if model.suffix == ".onnx"
                                                   else ["torch-cpu", "onnxruntime-cpu"])
    out = getattr(args, "out", None) or f"runs/bench/model-{model.stem}"
    rows = run_model_bench(model, backends, parse_batches(getattr(args, "batches", None)),
                           iters=getattr(args, "iters", 50), warmup=getattr(args, "warmup", 10), out_prefix=out,
                           onnx_path=getattr(args, "onnx", None), budget_s=getattr(args, "budget", 3.0),
                           rounds=getattr(args, "rounds", 1))
    print(f"{'backend':<18} {'runs on':<18} {'batch':>5} {'p50 ms':>9} {'p95 ms':>9} {'best p50':>9} {'CPU ms':>9} "
          f"{'samples/s':>10}")
    for r in rows:
        print(f"{r.backend:<18} {r.runs_on:<18} {r.batch:>5} {r.p50_ms:>9.2f} {r.p95_ms:>9.2f} {r.best_p50_ms:>9.2f} "
              f"{r.cpu_ms:>9.2f} {r.throughput:>10.0f}")
    print(f"wrote {out}.csv, {out}.json, {out}.png")
    return 0


def run_vs_baseline_cli(args: argparse.Namespace, backend: str) -> int:
    """`bench --vs-baseline`: print the interleaved timing of product and baseline; `ratio <value>` last."""
    from aclnet_core.bench.vs_baseline import run_vs_baseline
    from aclnet_core.errors import UserError

    backend = {"auto": "torch", "torch-cpu": "torch"}.get(backend, backend)
    if backend not in ("torch", "onnxruntime-cpu"):
        raise UserError(f"--vs-baseline runs on torch or onnxruntime-cpu, not {backend}")
    model = getattr(args, "model", None)
    if model is None and getattr(args, "preset", None) is None:
        raise UserError("--vs-baseline needs --model CKPT or --preset base|lite")
    result = run_vs_baseline(model, getattr(args, "preset", None), backend, getattr(args, "window", None),
                             getattr(args, "joints", None), iters=getattr(args, "iters", 50),
                             warmup=min(int(getattr(args, "warmup", 5)), 20), threads=getattr(args, "threads", None) or 1)
    print(result.report())
    return 0
