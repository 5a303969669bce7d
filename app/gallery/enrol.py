"""Gait embeddings of the person walking in a source, through the real-time pipeline.

The source is read for `seconds` (from `start`) by `app.pipeline.Pipeline` (pose -> tracks -> windows) with a
`Recogniser` around the gait model, so enrolment sees exactly the windows, preprocessing and embeddings the
live app sees. The embeddings of the dominant track (the one with the most windows) are returned; enrolment
turns them into templates, identification matches their template against the gallery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aclnet_core.errors import UserError
from app.records import Frame
from app.sources import Source, open_source

__all__ = [
    "ClippedSource",
    "GaitCollection",
    "collect_from_runtime",
    "collect_gait_embeddings",
    "open_clipped_source",
    "open_gait_runtime",
]

log = logging.getLogger(__name__)


@dataclass
class GaitCollection:
    embeddings: list[np.ndarray]  # (D,) per window of the chosen track, in time order
    track_id: int | None  # the chosen track (None when no window was produced)
    windows_per_track: dict[int, int] = field(default_factory=dict)
    frames: int = 0
    seconds: float = 0.0


def open_gait_runtime(path: str | Path | None = None, backend: str = "auto") -> Any:
    """The gait model (`path`, else the shipped assets/models/gait.onnx or .pt) with the fastest backend."""
    from app.recogniser import open_runtime

    runtime = open_runtime(path, backend, task="gait")
    if getattr(runtime.meta, "task", None) != "gait":
        raise UserError(f"{path or 'the model'} is an {runtime.meta.task} model; enrolment needs a gait model "
                        "(trained with task: gait)")
    if not getattr(runtime.meta, "model_id", ""):
        raise UserError(f"{path or 'the gait model'} has no model_id; re-save it with the current trainer")
    return runtime


MAX_UNBOUNDED_START = 600.0


class ClippedSource(Source):
    """Part of another source: frames from `start` seconds (stream time) for at most `seconds`."""

    def __init__(self, inner: Source, start: float = 0.0, seconds: float | None = None) -> None:
        super().__init__()
        if start < 0 or (seconds is not None and seconds <= 0):
            raise UserError("--start must be >= 0 and --seconds > 0")
        self.inner, self.start, self.seconds = inner, float(start), seconds
        self.name = inner.name
        self.is_live = inner.is_live
        self.provides_skeletons = inner.provides_skeletons
        self.frames_seen = 0

    def _open(self) -> None:
        self.inner.open()
        self.fps, self.rate, self.size = self.inner.fps, self.inner.rate, self.inner.size
        length = getattr(self.inner, "duration", None)
        if length is None and self.inner.frame_count and self.fps:
            length = self.inner.frame_count / self.fps
        if length is not None and self.start >= length:
            raise UserError(f"--start {self.start:g} s is past the end of {self.name} ({length:.1f} s)")
        if length is None and self.start > MAX_UNBOUNDED_START:   # a camera or the endless demo: skipping is slow
            raise UserError(f"--start {self.start:g} s: a source without an end can skip at most "
                            f"{MAX_UNBOUNDED_START:g} s")

    def _frames(self) -> Iterator[Frame]:
        first: float | None = None
        for frame in self.inner.frames():
            if frame.timestamp < self.start:
                continue
            if first is None:
                first = frame.timestamp
            if self.seconds is not None and frame.timestamp - first > self.seconds:
                break
            self.frames_seen += 1
            yield frame
        if first is None:
            raise UserError(f"{self.name}: no frames after {self.start:g} s")

    def close(self) -> None:
        self.inner.close()


def open_clipped_source(spec: str, start: float = 0.0, seconds: float | None = None) -> ClippedSource:
    """`app.sources.open_source(spec)` (video file, camera index, stream, recording…) limited in time."""
    return ClippedSource(open_source(spec), start, seconds).open()


def collect_from_runtime(source: Source, runtime: Any, stride: int = 8, min_fill: float = 0.5,
                         pose_factory: Callable[[Any], object] | None = None,
                         progress: Callable[[float], None] | None = None) -> GaitCollection:
    """Run `source` through the pipeline with the gait model and gather every new window embedding per track.

    pose_factory: passed to the Pipeline (default: MediaPipe); sources that provide skeletons need none.
    progress: called with the stream time (seconds since the first frame) of each frame.
    """
    from app.pipeline import Pipeline
    from app.recogniser import Recogniser, RecogniserOptions

    recogniser = Recogniser(runtime, RecogniserOptions(stride=stride, min_fill=min_fill))
    per_track: dict[int, list[np.ndarray]] = {}
    count, first, last = 0, None, 0.0
    with Pipeline(source, recogniser, pose_factory=pose_factory) as pipeline:
        for result in pipeline.results():
            count += 1
            t = result.frame.timestamp
            first = t if first is None else first
            last = t
            if result.inferred:
                for track_id, prediction in result.predictions.items():
                    if prediction.frame_index == result.frame.index and prediction.embedding is not None:
                        per_track.setdefault(track_id, []).append(np.asarray(prediction.embedding, np.float32))
            if progress is not None:
                progress(last - first)
    counts = {tid: len(v) for tid, v in per_track.items()}
    chosen = max(counts, key=lambda tid: counts[tid]) if counts else None
    return GaitCollection(embeddings=per_track.get(chosen, []), track_id=chosen, windows_per_track=counts,
                          frames=count, seconds=0.0 if first is None else last - first)


def collect_gait_embeddings(source: str, seconds: float | None, gait_model_path: str | Path | None,
                            start: float = 0.0, backend: str = "auto") -> list[np.ndarray]:
    """Gait embeddings (one (D,) array per window) of the main person walking in `source`."""
    runtime = open_gait_runtime(gait_model_path, backend)
    return collect_from_runtime(open_clipped_source(source, start, seconds), runtime).embeddings
