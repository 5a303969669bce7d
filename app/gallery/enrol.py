"""Gait embeddings of the person walking in a source: pose -> tracks -> windows -> gait model.

The source is read for `seconds` (from `start`); every window of every track is embedded, and the embeddings
of the dominant track (the one with the most windows) are returned. Enrolment turns them into templates;
identification matches their template against the gallery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["GaitCollection", "collect_gait_embeddings", "collect_from_runtime", "open_gait_runtime",
           "iter_source_frames"]

log = logging.getLogger(__name__)


@dataclass
class GaitCollection:
    embeddings: list[np.ndarray]  # (D,) per window of the chosen track, in time order
    track_id: int | None  # the chosen track (None when no window was produced)
    windows_per_track: dict[int, int] = field(default_factory=dict)
    weights: list[float] = field(default_factory=list)  # each window's fill (observed fraction), for templates
    frames: int = 0
    seconds: float = 0.0


def open_gait_runtime(path: str | Path | None = None, backend: str = "auto") -> Any:
    """The gait model (`path`, else the shipped assets/models/gait.onnx or .pt) with the fastest backend."""
    from app.recogniser import open_runtime

    runtime = open_runtime(path, backend, task="gait")
    if getattr(runtime.meta, "task", None) != "gait":
        raise UserError(f"{path or 'the model'} is an {runtime.meta.task} model; enrolment needs a gait model "
                        "(trained with task: gait)")
    return runtime


def iter_source_frames(source: str, start: float = 0.0, seconds: float | None = None) -> Iterator[Any]:
    """Frames (app.records.Frame) of a video file or camera, from `start` for `seconds` of stream time.

    Uses `app.sources.open_source` (the pipeline's sources) when it exists, else a minimal OpenCV reader.
    """
    frames: Iterable[Any]
    try:
        from app.sources import open_source  # type: ignore[attr-defined]
    except ImportError:
        frames = _opencv_frames(source)
    else:
        frames = open_source(source)
    first: float | None = None
    for frame in frames:
        if frame.timestamp < start:
            continue
        if first is None:
            first = frame.timestamp
        if seconds is not None and frame.timestamp - first > seconds:
            break
        yield frame
    if first is None:
        raise UserError(f"{source}: no frames after {start:g} s")


def _opencv_frames(source: str) -> Iterator[Any]:
    """Fallback reader: a video file (timestamps from its position) or a camera index (wall-clock time)."""
    import time

    import cv2

    from app.records import Frame

    is_camera = str(source).isdigit()
    if not is_camera and not Path(source).is_file():
        raise UserError(f"video not found: {source}")
    capture = cv2.VideoCapture(int(source) if is_camera else str(source))
    if not capture.isOpened():
        raise UserError(f"cannot open {'camera' if is_camera else 'video'} {source}")
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    t0 = time.perf_counter()
    index = 0
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                break
            now = time.perf_counter()
            timestamp = now - t0 if is_camera else index / fps
            yield Frame(image=image, index=index, timestamp=timestamp, captured_at=now)
            index += 1
    finally:
        capture.release()


def collect_from_runtime(
    frames: Iterable[Any],
    runtime: Any,
    pose: Any = None,
    stride: int = 8,
    min_fill: float = 0.5,
    progress: Callable[[float], None] | None = None,
) -> GaitCollection:
    """Run pose, tracking and windows over `frames` and embed every window with `runtime` (a gait model).

    pose: an object with `detect(frame) -> PoseResult` (default: app.pose.PoseEstimator, full model); frames
    that carry `skeletons` (replayed or synthetic sources) skip pose estimation.
    min_fill: windows with a smaller observed fraction (long gaps in the track) are skipped.
    progress: called with the stream time (seconds) of each frame.
    """
    from app.identity import IdentityService
    from app.recogniser import meta_sample_fps
    from app.tracking import Tracker
    from app.windows import WindowManager, WindowOptions

    service = IdentityService(runtime)
    options = WindowOptions(length=int(runtime.meta.window), sample_fps=meta_sample_fps(runtime.meta), stride=stride)
    windows = WindowManager(options)
    tracker = Tracker()
    own_pose = None
    per_track: dict[int, list[np.ndarray]] = {}
    fills: dict[int, list[float]] = {}
    count, first, last = 0, None, 0.0
    try:
        for frame in frames:
            if frame.skeletons is not None:
                skeletons = frame.skeletons
            else:
                if pose is None:
                    from app.pose import PoseEstimator

                    pose = own_pose = PoseEstimator()
                skeletons = pose.detect(frame).skeletons
            size = frame.size if frame.size != (0, 0) else (1, 1)
            update = tracker.update(skeletons, frame.timestamp, size)
            ready = [w for w in windows.update(frame.timestamp, frame.index, update.tracked, update.ended)
                     if w.fill >= min_fill]
            if ready:
                embeddings = service.embed(ready)
                for window, embedding in zip(ready, embeddings):
                    per_track.setdefault(window.track_id, []).append(embedding)
                    fills.setdefault(window.track_id, []).append(float(window.fill))
            count += 1
            first = frame.timestamp if first is None else first
            last = frame.timestamp
            if progress is not None:
                progress(last - first)
    finally:
        if own_pose is not None:
            own_pose.close()
    counts = {tid: len(v) for tid, v in per_track.items()}
    chosen = max(counts, key=lambda tid: counts[tid]) if counts else None
    return GaitCollection(embeddings=per_track.get(chosen, []), track_id=chosen, windows_per_track=counts,
                          weights=fills.get(chosen, []), frames=count,
                          seconds=0.0 if first is None else last - first)


def collect_gait_embeddings(source: str, seconds: float | None, gait_model_path: str | Path | None,
                            start: float = 0.0, backend: str = "auto") -> list[np.ndarray]:
    """Gait embeddings (one (D,) array per window) of the main person walking in `source`."""
    runtime = open_gait_runtime(gait_model_path, backend)
    return collect_from_runtime(iter_source_frames(source, start, seconds), runtime).embeddings
