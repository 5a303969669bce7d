"""`bench`: per-stage latency (p50 / p95), sustained fps, backend and hardware of the real-time pipeline.

By default the source is played at its frame rate as if it were a camera (stale frames are dropped, as live),
so the numbers are those a webcam user gets. `--unpaced` reads as fast as possible (throughput).
"""

from __future__ import annotations

import logging
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aclnet_core.errors import UserError
from app.pose import PoseOptions

log = logging.getLogger(__name__)


@dataclass
class BenchOptions:
    source: str | None = None  # None: the bundled test photo
    size: tuple[int, int] | None = (640, 480)
    fps: float = 30.0  # pacing rate (and the still image's frame rate)
    seconds: float = 20.0
    warmup_s: float = 2.0  # results from the first seconds are not measured
    paced: bool = True
    pose: PoseOptions = field(default_factory=PoseOptions)
    model: str | None = None
    backend: str = "auto"
    pose_only: bool = False
    num_tracks: int = 1


def bundled_test_image() -> Path:
    import importlib.resources

    return Path(str(importlib.resources.files("assets.test_media").joinpath("coco_000000000785_skier.jpg")))


def hardware() -> dict[str, Any]:
    """CPU, core count, load and library versions (what a reader needs to compare numbers)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        info["load_average"] = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        log.debug("no /proc/cpuinfo")
    for module in ("mediapipe", "onnxruntime", "torch", "cv2", "av"):
        try:
            info[module] = __import__(module).__version__
        except Exception:  # noqa: BLE001 - a library that is missing or broken is simply not listed
            log.debug("no version for %s", module)
    try:
        import torch

        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001
        info["cuda"] = None
    return info


def _random_runtime(workdir: Path, backend: str = "auto"):
    """A randomly initialised ACLNet-lite (the same compute as a trained one) for when no model is shipped.

    It is exported to ONNX (and run like a shipped .onnx would be) when the exporter works, else run by torch.
    """
    import torch

    from aclnet_core.data.preprocess import PreprocessConfig
    from aclnet_core.model.encoder import ACLNet
    from aclnet_core.model.metadata import ModelMetadata, weights_id
    from app.recogniser import open_runtime

    torch.manual_seed(0)
    labels = [f"class{i}" for i in range(10)]
    model = ACLNet(len(labels), 33, 3, "lite").eval()
    meta = ModelMetadata("action", labels, "lite", 33, 3, model.embed_dim, PreprocessConfig("mediapipe33").to_dict(),
                         weights_id(model.state_dict()))
    try:
        import onnx

        from aclnet_core.export.onnx_export import torch_to_onnx

        proto, _ = torch_to_onnx(model, meta)
        path = workdir / "random_lite.onnx"
        onnx.save(proto, str(path))
        return open_runtime(path, backend)
    except (ImportError, UserError) as exc:
        log.warning("ONNX export of the random model failed (%s); timing torch instead", exc)
    from aclnet_core.runtime.torch_runtime import TorchRuntime

    torch.set_num_threads(1)  # as open_runtime does for the live pipeline
    return TorchRuntime(model, meta, device="auto")


def _transcode(source, size: tuple[int, int], path: Path, max_frames: int = 900) -> Path:
    """Write the source's frames, resized to `size`, as an H.264 file (the bench's camera-sized input)."""
    import cv2

    from app.video_sink import VideoSink

    with VideoSink(path, source.rate or source.fps or 30.0, tuple(size)) as sink:
        for frame in source.frames():
            sink.write(cv2.resize(frame.image, tuple(size), interpolation=cv2.INTER_AREA))
            if frame.index + 1 >= max_frames:
                break
    return path


def _process_cpu_s() -> float:
    """User + system CPU seconds of this process (all threads)."""
    t = os.times()
    return t.user + t.system


def _bench_source(options: BenchOptions, workdir: Path):
    """(source, its name, a note on how the input was prepared) for a bench run."""
    from app.sources import ImageSource, LoopingSource, PacedSource, VideoFileSource, open_source

    note = None
    if options.source is None:
        source = ImageSource(bundled_test_image(), repeat=10**9, fps=options.fps, size=options.size).open()
        name = f"{bundled_test_image().name} (still image, repeated)"
    else:
        spec, name = options.source, options.source
        probe = open_source(spec, repeat=1, fps=options.fps)
        if isinstance(probe, VideoFileSource) and options.size is not None and probe.size != tuple(options.size):
            # Decoding a larger clip and resizing it would be charged to capture; a camera delivers WxH directly.
            spec = str(_transcode(probe, options.size, workdir / "bench_input.mp4"))
            note = f"transcoded from {probe.size[0]}x{probe.size[1]} to {options.size[0]}x{options.size[1]} H.264 first"
        probe.close()

        def reopen():
            return open_source(spec, size=options.size, repeat=10**9, fps=options.fps)

        source = reopen()
        if not source.is_live and source.frame_count is not None:  # a clip: loop it for as long as needed
            source.close()
            source = LoopingSource(reopen).open()
            note = (note + "; " if note else "") + "looped"
    if options.paced and not source.is_live:
        source = PacedSource(source, fps=options.fps).open()
    return source, name, note


def run_bench(options: BenchOptions, pose_factory=None) -> dict[str, Any]:
    """Run the pipeline for warm-up + `seconds` and report; `pose_factory` replaces MediaPipe (tests)."""
    import tempfile

    from app.pipeline import Pipeline, PipelineOptions
    from app.recogniser import Recogniser, open_runtime

    model_note = None
    recogniser = None
    with tempfile.TemporaryDirectory(prefix="aclnet-bench-") as workdir:
        if not options.pose_only:
            try:
                runtime = open_runtime(options.model, options.backend)
            except UserError:
                if options.model is not None:
                    raise
                runtime = _random_runtime(Path(workdir), options.backend)
                model_note = "no shipped model found: a randomly initialised ACLNet-lite (same compute) was timed"
            recogniser = Recogniser(runtime)
        source, source_name, input_note = _bench_source(options, Path(workdir))
        hw_before = hardware()
        pipeline = Pipeline(source, recogniser, PipelineOptions(pose=options.pose), pose_factory=pose_factory)
        measure_start = measure_end = None
        frames = measure_frames = 0
        started = time.perf_counter()
        try:
            for _ in pipeline.results():
                frames += 1
                now = time.perf_counter()
                if measure_start is None and now - started >= options.warmup_s:
                    pipeline.stats = type(pipeline.stats)()  # restart the measurement after the warm-up
                    measure_start, measure_frames = now, frames
                    cpu_start = _process_cpu_s()
                measure_end, cpu_end = now, _process_cpu_s()
                if now - started >= options.warmup_s + options.seconds:
                    break
        except KeyboardInterrupt:
            log.warning("bench interrupted: reporting what was measured")
        finally:
            pipeline.stop()
            source.close()
    if measure_start is None or measure_end <= measure_start:
        raise UserError("the source ended before the warm-up was over; use a longer source or --warmup 0")
    duration = measure_end - measure_start
    snap = pipeline.stats.snapshot()
    out_frames = frames - measure_frames
    report = {
        "settings": {
            "source": source_name,
            "size": list(source.size) if source.size else None,
            "paced_fps": options.fps if options.paced else None,
            "live_semantics": bool(pipeline.live),
            "pose_model": options.pose.model,
            "num_poses": options.pose.num_poses,
            "model": None if recogniser is None else (options.model or "shipped/default"),
            "backend": None if recogniser is None else recogniser.backend,
            "window": None if recogniser is None else recogniser.window_options().length,
            "stride": None if recogniser is None else recogniser.window_options().stride,
            "model_note": model_note,
            "input_note": input_note,
            "seconds": round(duration, 2),
            "warmup_s": options.warmup_s,
        },
        "results": {
            "frames_out": out_frames,
            "sustained_fps": round(out_frames / duration, 2) if duration > 0 else 0.0,
            "dropped": snap["dropped"],
            # CPU time the whole process spent per output frame (all threads, MediaPipe's and ONNX Runtime's
            # included): what a frame costs, whatever else runs on the machine.
            "cpu_ms_per_frame": round((cpu_end - cpu_start) * 1000.0 / max(1, out_frames), 2),
            "cpu_cores_used": round((cpu_end - cpu_start) / duration, 2) if duration > 0 else None,
            "inferences": snap["inferences"],
            "windows": snap["windows"],
            "latency_ms": snap["latency"],
        },
        "hardware": hw_before,
        "load_average_after": hardware().get("load_average"),
    }
    return report


def format_report(report: dict[str, Any]) -> str:
    """A short human-readable table."""
    s, r, hw = report["settings"], report["results"], report["hardware"]
    lines = [
        f"source      {s['source']}  {s['size'][0]}x{s['size'][1]}" + (f", paced at {s['paced_fps']} fps (live)" if s["paced_fps"] else ", unpaced"),
        f"pose        MediaPipe {s['pose_model']} (num_poses={s['num_poses']})",
        f"recogniser  {s['backend'] or 'none'}" + (f", T={s['window']}, stride={s['stride']}" if s["window"] else ""),
    ]
    for key in ("model_note", "input_note"):
        if s.get(key):
            lines.append(f"note        {s[key]}")
    lines.append(f"hardware    {hw['cpu']}, {hw['cores']} cores, load {hw.get('load_average')} → {report.get('load_average_after')}")
    lines.append(f"measured    {s['seconds']} s after {s['warmup_s']} s warm-up: {r['frames_out']} frames, "
                 f"{r['sustained_fps']} fps sustained, {r['dropped']} dropped, {r['inferences']} model calls")
    if r.get("cpu_ms_per_frame") is not None:
        lines.append(f"cpu         {r['cpu_ms_per_frame']} ms of CPU per frame (all threads), "
                     f"{r['cpu_cores_used']} cores busy on average")
    lines.append(f"{'stage':<12}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'count':>8}")
    for stage in ("capture", "pose", "track", "infer", "infer_cpu", "end_to_end"):
        v = r["latency_ms"].get(stage)
        if v and v["count"]:
            name = "capture→label" if stage == "end_to_end" else stage
            lines.append(f"{name:<12}{v['p50_ms']:>9.1f}{v['p95_ms']:>9.1f}{v['mean_ms']:>9.1f}{v['count']:>8}")
    return "\n".join(lines)
