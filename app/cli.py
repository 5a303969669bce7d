"""Command-line subcommands of the real-time app: `annotate`, `record`, `bench`.

main.py wires them in with `add_annotate_parser(subparsers)` etc.; each parser sets `func` to its handler.
Heavy imports (MediaPipe, torch, PyAV) happen inside the handlers, so `--help` stays fast. Handlers return an
exit code; bad input raises UserError (main.py prints it on one line and exits 2). An interrupted command
prints one line and exits 130.
"""

from __future__ import annotations

import argparse
import json
import sys

from aclnet_core.cli_types import (
    backend_list,
    backend_name,
    finite_float,
    frame_size,
    int_range,
    positive_int,
    source_arg,
    source_seconds,
)
from aclnet_core.errors import UserError

EXIT_INTERRUPTED = 130


_fps = finite_float(0.0, 1000.0, lo_open=True)


def _add_pose_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("pose")
    group.add_argument("--pose-model", default="full", help="'lite', 'full' (default) or a .task file")
    group.add_argument("--num-poses", type=int_range(1, 64), default=2, help="most people per frame (default 2; 1 uses "
                       "MediaPipe's VIDEO mode, which follows one person; more detect afresh each frame and track)")


def _pose_options(args: argparse.Namespace):
    from app.pose import PoseOptions

    if args.num_poses < 1:
        raise UserError("--num-poses must be at least 1")
    return PoseOptions(model=args.pose_model, num_poses=args.num_poses)


def _add_model_arguments(parser: argparse.ArgumentParser, several_backends: bool = False) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", help="action model (.onnx or .pt); default: the shipped assets/models/action.*")
    group.add_argument("--backend", default="auto", type=backend_list if several_backends else backend_name,
                       help="auto (TensorRT → ONNX Runtime CUDA → ONNX Runtime CPU → torch), or one of those")
    group.add_argument("--pose-only", action="store_true", help="no action model: skeletons and track ids only")


# ------------------------------------------------------------------------------------------------ annotate
def add_annotate_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "annotate", help="annotate videos: skeletons, track ids, action labels (H.264 MP4 + timeline)",
        description="Write an annotated, browser-playable H.264 MP4 for each input (same fps and size), with "
                    "skeletons, track ids, action label and score, and identity when a gallery is given.")
    parser.add_argument("inputs", nargs="*", metavar="IN", type=source_arg, help="video files (or a camera index / stream URL)")
    parser.add_argument("--demo", action="store_true",
                        help="annotate the shipped demo clip (a real CC BY 4.0 video, no camera or data needed): "
                             "its first 30 s unless --max-frames or --demo-full say otherwise; default output "
                             "demo.mp4. The generated stick-figure stream is the input 'synthetic' (it reports "
                             "ground-truth agreement)")
    parser.add_argument("--demo-full", action="store_true", help="with --demo: annotate the whole clip (139 s)")
    parser.add_argument("-o", "--output", metavar="OUT", help="OUT.mp4 for one input, a directory for several "
                        "(default: IN.annotated.mp4 beside each input)")
    parser.add_argument("--json", action="store_true", help="also write the per-track timeline as OUT.json")
    parser.add_argument("--csv", action="store_true", help="also write the per-track timeline as OUT.csv")
    _add_model_arguments(parser)
    _add_pose_arguments(parser)
    ident = parser.add_argument_group("identity")
    ident.add_argument("--gallery", help="identify people against this gallery file (needs the gait model)")
    ident.add_argument("--gait-model", help="gait model (default: the shipped assets/models/gait.*)")
    ident.add_argument("--threshold", type=finite_float(-1.0, 1.0),
                       help="identity threshold (cosine similarity, -1..1)")
    custom = parser.add_argument_group("custom actions")
    custom.add_argument("--actions", metavar="PATH", help="also recognise the custom actions of this library "
                        "(`actions add`); a window close to one shows it instead of the model's label")
    custom.add_argument("--actions-threshold", type=finite_float(-1.0, 1.0), metavar="T",
                        help="cosine similarity a window needs to count as a custom action (default: calibrated)")
    parser.add_argument("--threshold-label", type=finite_float(0.0, 1.0, lo_open=True, hi_open=True), default=None,
                        metavar="P",
                        help="smoothed probability needed to show a label (default 0.5; below: no action)")
    parser.add_argument("--max-frames", type=positive_int, metavar="N",
                        help="stop after N frames (for cameras and streams; the video is then complete)")
    parser.add_argument("--hud", action="store_true", help="draw fps and latency on the video")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run_annotate_command)
    return parser


def run_annotate_command(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from app.annotate import AnnotateOptions, run_annotate
    from app.recogniser import RecogniserOptions
    from app.smoothing import SmoothingOptions

    if args.max_frames is not None and args.max_frames < 1:
        raise UserError("--max-frames must be at least 1")
    if args.demo:
        if args.inputs:
            raise UserError("--demo takes no input files")
        from app.demo import DEMO_FPS, DEMO_SECONDS

        args.inputs = ["demo"]
        if args.max_frames is None and not args.demo_full:
            args.max_frames = round(DEMO_SECONDS * DEMO_FPS)
        args.output = args.output or "demo.mp4"
    elif args.demo_full:
        raise UserError("--demo-full goes with --demo")
    elif not args.inputs:
        raise UserError("give at least one input video (or --demo)")
    if args.actions_threshold is not None and not args.actions:
        raise UserError("--actions-threshold needs --actions")
    smoothing = SmoothingOptions()
    if args.threshold_label is not None:
        if not 0 < args.threshold_label < 1:
            raise UserError("--threshold-label must be between 0 and 1")
        smoothing = replace(smoothing, enter_threshold=args.threshold_label,
                            exit_threshold=min(smoothing.exit_threshold, args.threshold_label))
    options = AnnotateOptions(
        model=args.model, backend=args.backend, pose_only=args.pose_only, pose=_pose_options(args),
        recogniser=RecogniserOptions(smoothing=smoothing), gallery=args.gallery, gait_model=args.gait_model,
        identity_threshold=args.threshold, actions=args.actions, actions_threshold=args.actions_threshold,
        write_json=args.json, write_csv=args.csv, hud=args.hud,
        max_frames=args.max_frames,
        progress=not args.no_progress and sys.stderr.isatty())
    try:
        reports = run_annotate(args.inputs, args.output, options)
    except KeyboardInterrupt:
        print("interrupted: the partial video was removed; timelines keep what was processed", file=sys.stderr)
        return EXIT_INTERRUPTED
    for report in reports:
        extras = ", ".join(p for p in (report.json, report.csv) if p)
        print(f"{report.output}: {report.frames} frames, {report.fps:g} fps, {report.size[0]}x{report.size[1]}, "
              f"{report.codec}, {report.backend or 'pose only'}, {report.seconds:.1f} s" + (f" (+ {extras})" if extras else ""))
        if report.truth is not None:
            t = report.truth
            recall = f"{t['event_recall']:.0%}" if t["event_recall"] is not None else "n/a"
            print(f"  against the synthetic stream's ground truth: "
                  f"{t['events_recognised']}/{t['events']} actions recognised "
                  f"({recall}); the label matches the truth on {t['agreement']:.1%} of frames, "
                  f"{t['agreement_at_lag']:.1%} against the truth {t['best_lag_s']:.1f} s earlier")
    return 0


# ------------------------------------------------------------------------------------------------ record
def add_record_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "record", help="record skeleton sequences of an action for training",
        description="Track the people in IN and save each one's skeleton sequence (MediaPipe world landmarks) "
                    "as a labelled .npz recording in DIR/<label>/, the format `train` reads. "
                    "Stop a camera recording with Ctrl+C or --seconds.")
    parser.add_argument("input", metavar="IN", type=source_arg,
                        help="video file, camera index, stream URL or .npz recording")
    parser.add_argument("--label", required=True, help="action name of this recording")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="recordings folder")
    parser.add_argument("--fps", type=_fps, help="frame rate of the saved sequence (default: the source's)")
    parser.add_argument("--min-frames", type=int_range(1, 1_000_000), default=16,
                        help="shorter tracks are not saved (default 16)")
    parser.add_argument("--longest-only", action="store_true", help="save only the longest track")
    parser.add_argument("--seconds", type=source_seconds, help="stop after this many seconds")
    _add_pose_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run_record_command)
    return parser


def run_record_command(args: argparse.Namespace) -> int:
    from app.record import RecordOptions, record

    options = RecordOptions(label=args.label, fps=args.fps, min_frames=args.min_frames, longest_only=args.longest_only,
                            seconds=args.seconds, pose=_pose_options(args),
                            progress=not args.no_progress and sys.stderr.isatty())
    written = record(args.input, args.output, options)
    for path in written:
        print(path)
    return 0


# ------------------------------------------------------------------------------------------------ bench
def add_bench_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "bench", help="measure the real-time pipeline: per-stage latency, sustained fps, backend, hardware",
        description="Play a source as a live camera would (paced at --fps; stale frames are dropped) through "
                    "pose, tracking and the recogniser, and report p50/p95 latency per stage and sustained fps.")
    parser.add_argument("--source", type=source_arg, help="video file, image, camera index or stream URL "
                        "(default: the bundled test photo, repeated)")
    parser.add_argument("--size", type=frame_size, default=(640, 480), help="frame size WxH (default 640x480)")
    parser.add_argument("--fps", type=_fps, default=30.0, help="pacing rate (default 30)")
    parser.add_argument("--seconds", type=source_seconds, default=20.0, help="measured duration (default 20)")
    parser.add_argument("--warmup", type=finite_float(0.0, 3600.0), default=2.0,
                        help="seconds not measured at the start (default 2)")
    parser.add_argument("--unpaced", action="store_true", help="read as fast as possible (throughput, no drops)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_model_arguments(parser, several_backends=True)
    _add_pose_arguments(parser)
    from aclnet_core.export.cli import add_model_bench_args
    add_model_bench_args(parser)      # flags the pipeline bench already has (--model, --backend, --warmup) are shared
    parser.epilog = ("Model benchmark: with --batches, or --model without --source, it measures the model alone: "
                     "latency and throughput against batch size per backend (--backend a,b,… e.g. "
                     "torch-cpu,onnxruntime-cpu), written as CSV/JSON/PNG. --warmup then counts calls.")
    parser.set_defaults(func=run_bench_command)
    return parser


def _is_model_bench(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "batches", None)) or (bool(args.model) and not args.source)


def run_bench_command(args: argparse.Namespace) -> int:
    from app.bench import BenchOptions, format_report, run_bench

    if getattr(args, "vs_baseline", False):
        from aclnet_core.export.cli import run_vs_baseline_cli
        if "," in (args.backend or ""):
            raise UserError("--vs-baseline takes one --backend: torch or onnxruntime-cpu")
        args.warmup = 5 if args.warmup == 2.0 else int(args.warmup)
        return run_vs_baseline_cli(args, args.backend or "auto")
    if _is_model_bench(args):
        from aclnet_core.export.cli import BENCH_BACKENDS, run_model_bench_cli
        args.backends = None if args.backend in (None, "auto") else [b.strip() for b in args.backend.split(",")]
        unknown = [b for b in args.backends or [] if b not in BENCH_BACKENDS]
        if unknown:
            raise UserError(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BENCH_BACKENDS)}")
        args.warmup = 10 if args.warmup == 2.0 else int(args.warmup)
        return run_model_bench_cli(args)
    if args.warmup < 0:
        raise UserError("--warmup must not be negative")
    options = BenchOptions(source=args.source, size=args.size, fps=args.fps, seconds=args.seconds,
                           warmup_s=args.warmup, paced=not args.unpaced, pose=_pose_options(args), model=args.model,
                           backend=args.backend, pose_only=args.pose_only)
    report = run_bench(options)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
