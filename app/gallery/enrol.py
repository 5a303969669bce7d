"""Gait embeddings of the person walking in a source, through the real-time pipeline's pose and tracking.

The source is read for `seconds` (from `start`) by `app.pipeline.Pipeline` (pose -> tracks). Every tracked frame
of each person is kept, and the person tracked longest is cut into the gait model's windows (its T at its sample
rate, as the live window buffer makes them) that together use all their frames (`track_windows`), so a walk a
little shorter than one window still counts. The windows go through the app's gait preprocessing
(`app.identity.gait_model_input`) and the model. A quality gate (enough tracking, walking feet, enough pixels)
refuses a walk with a reason that says how long the person was tracked. Enrolment turns the embeddings into
templates, identification matches their template against the gallery.
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
    "MIN_PERSON_PX",
    "MIN_STRIDE_M",
    "MIN_WALK_FRACTION",
    "ClippedSource",
    "GaitCollection",
    "TrackHistory",
    "collect_from_runtime",
    "collect_gait_embeddings",
    "embed_track",
    "open_clipped_source",
    "open_gait_runtime",
    "stride_range",
    "track_windows",
]

log = logging.getLogger(__name__)


# Quality gate: a gait needs this fraction of a gait window of tracked walking (the shipped model: 0.6 x 2.5 s
# = 1.5 s; docs/RESULTS.md measures shorter probes), and a person at least this tall in the image (pixels).
MIN_WALK_FRACTION = 0.6
MIN_PERSON_PX = 80.0
# Walking, not standing: the feet must move apart and together. Ankle separation range (10th to 90th
# percentile, metres): walking, jogging, sneaking and running mocap renders 0.26-1.2 m (10th percentile 0.33 m),
# people standing idle 0.01-0.23 m (median 0.06 m; docs/RESULTS.md).
MIN_STRIDE_M = 0.12
L_ANKLE, R_ANKLE = 27, 28


def stride_range(world: np.ndarray) -> float:
    """10th-90th percentile range of the distance between the ankles over (T, 33, 3) world landmarks (metres)."""
    world = np.asarray(world, dtype=np.float64)
    if len(world) < 2:
        return 0.0
    d = np.linalg.norm(world[:, L_ANKLE] - world[:, R_ANKLE], axis=-1)
    return float(np.percentile(d, 90) - np.percentile(d, 10))


@dataclass
class GaitCollection:
    embeddings: list[np.ndarray]  # (D,) per window of the chosen track, in time order
    track_id: int | None  # the chosen track (None when no one was tracked)
    windows_per_track: dict[int, int] = field(default_factory=dict)
    frames: int = 0
    seconds: float = 0.0  # the clip: stream time from the first to the last frame read
    tracked_seconds: float = 0.0  # how long the chosen track was followed (first to last tracked frame)
    person_px: float = 0.0  # median height in pixels of the chosen person (0 when the frame size is unknown)
    stride_m: float = 0.0  # how much the feet moved apart and together (stride_range)
    rejected: str = ""  # why the quality gate refused the walk ('' = accepted)

    def too_short_message(self, source: str, window_s: float, min_walk_s: float | None = None) -> str:
        """The one-line error for a collection without windows: how long the person was tracked, and the clip."""
        if self.track_id is None:
            return (f"{source}: no one was tracked in the {self.seconds:.1f} s read ({self.frames} frames): "
                    "the whole body must be in view")
        if self.rejected:
            return f"{source}: {self.rejected}"
        min_walk_s = MIN_WALK_FRACTION * window_s if min_walk_s is None else min_walk_s
        return (f"{source}: the person was tracked for only {self.tracked_seconds:.1f} s of the "
                f"{self.seconds:.1f} s clip; a gait needs at least {min_walk_s:.1f} s of walking "
                f"(a gait window spans {window_s:.1f} s)")


class TrackHistory:
    """Every tracked frame of one person: times, world landmarks, visibility and image height."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.world: list[np.ndarray] = []
        self.visibility: list[np.ndarray] = []
        self.heights: list[float] = []

    def add(self, timestamp: float, skeleton: Any, box: Any = None) -> None:
        if self.times and timestamp <= self.times[-1]:
            return
        self.times.append(float(timestamp))
        self.world.append(np.asarray(skeleton.world, dtype=np.float64))
        self.visibility.append(np.asarray(skeleton.visibility, dtype=np.float64))
        if box is not None:
            self.heights.append(float(box[3] - box[1]))

    @property
    def seconds(self) -> float:
        return self.times[-1] - self.times[0] if len(self.times) > 1 else 0.0

    @property
    def person_px(self) -> float:
        return float(np.median(self.heights)) if self.heights else 0.0

    def __len__(self) -> int:
        return len(self.times)


def track_windows(times: np.ndarray, world: np.ndarray, length: int, rate: float, stride: int = 8,
                  max_gap_s: float = 0.5, min_part_s: float = 0.5) -> list[np.ndarray]:
    """Gait windows ((length, V, 3), at ``rate`` samples/s) that together use every tracked frame of a track.

    The track is cut where it was lost for more than ``max_gap_s``; each part (at least ``min_part_s`` long) is
    resampled to ``rate`` and covered by windows every ``stride`` samples, the last one ending at its last frame.
    A part shorter than a window gives one window padded by holding its first and last pose, as the live window
    buffer does at a track's edge.
    """
    from aclnet_core.eval.real_gait import pad_hold, window_starts
    from app.windows import resample_track

    times = np.asarray(times, dtype=np.float64)
    world = np.asarray(world, dtype=np.float64)
    if len(times) < 2:
        return []
    cuts = np.flatnonzero(np.diff(times) > max_gap_s) + 1
    out: list[np.ndarray] = []
    for idx in np.split(np.arange(len(times)), cuts):
        t = times[idx]
        if len(t) < 2 or t[-1] - t[0] < min_part_s:
            continue
        count = int(np.floor((t[-1] - t[0]) * rate + 1e-6)) + 1
        grid = t[-1] - (count - 1 - np.arange(count)) / rate  # ends at the last frame
        samples = resample_track(t, world[idx], grid)
        out += [pad_hold(samples[s:s + length], length).astype(np.float32)
                for s in window_starts(count, length, stride)]
    return out


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
                         progress: Callable[[float], None] | None = None, min_walk_s: float | None = None,
                         min_person_px: float = MIN_PERSON_PX, min_stride_m: float = MIN_STRIDE_M
                         ) -> GaitCollection:
    """Run `source` through pose and tracking, keep every tracked frame per person, and embed the person tracked
    longest with the gait model: windows of the model's T at its sample rate that use every tracked frame
    (`track_windows`), so a walk a little shorter than a window still gives one.

    Quality gate: the person must be tracked for `min_walk_s` (default: MIN_WALK_FRACTION of the gait window's
    span), move their feet like a walker (`min_stride_m`, `stride_range`) and be `min_person_px` tall in the image (when the
    frame size is known); otherwise the collection has no embeddings and says why (`rejected`,
    `too_short_message`). min_fill is kept for callers of the old signature (windows now never hold gaps).
    pose_factory: passed to the Pipeline (default: MediaPipe); sources that provide skeletons need none.
    progress: called with the stream time (seconds since the first frame) of each frame.
    """
    from app.pipeline import Pipeline

    del min_fill
    histories: dict[int, TrackHistory] = {}
    count, first, last = 0, None, 0.0
    with Pipeline(source, None, pose_factory=pose_factory) as pipeline:
        for result in pipeline.results():
            count += 1
            t = result.frame.timestamp
            first = t if first is None else first
            last = t
            for tracked in result.tracks:
                histories.setdefault(tracked.track_id, TrackHistory()).add(t, tracked.skeleton, tracked.box)
            if progress is not None:
                progress(last - first)
    counts = {tid: len(track_windows(h.times, h.world, *_window_spec(runtime), stride)) for tid, h in histories.items()}
    chosen = max(histories, key=lambda tid: (histories[tid].seconds, len(histories[tid]))) if histories else None
    collection = GaitCollection(embeddings=[], track_id=chosen, windows_per_track=counts, frames=count,
                                seconds=0.0 if first is None else last - first)
    if chosen is not None:
        embed_track(histories[chosen], runtime, collection, stride, min_walk_s, min_stride_m, min_person_px)
    return collection


def _window_spec(runtime: Any) -> tuple[int, float]:
    from app.recogniser import meta_sample_fps

    return int(runtime.meta.preprocess_config().window), meta_sample_fps(runtime.meta)


def embed_track(history: TrackHistory, runtime: Any, collection: GaitCollection, stride: int = 8,
                min_walk_s: float | None = None, min_stride_m: float = MIN_STRIDE_M,
                min_person_px: float = MIN_PERSON_PX) -> GaitCollection:
    """Fill `collection` with the gait embeddings of one tracked person, after the quality gate."""
    from app.identity import gait_model_input

    length, rate = _window_spec(runtime)
    collection.tracked_seconds, collection.person_px = history.seconds, history.person_px
    collection.embeddings, collection.rejected = [], ""
    if min_walk_s is None:
        min_walk_s = MIN_WALK_FRACTION * (length - 1) / rate
    if len(history) < 2 or history.seconds + 1.0 / rate < min_walk_s:
        return collection
    collection.stride_m = stride_range(np.stack(history.world))
    if collection.stride_m < min_stride_m:
        collection.rejected = (f"the person does not seem to walk (feet apart by {collection.stride_m:.2f} m at "
                               f"most; walking moves them {min_stride_m:.2f} m or more): walk across the view")
        return collection
    if history.heights and history.person_px < min_person_px:
        collection.rejected = (f"the person is only {history.person_px:.0f} px tall in the image; a gait needs at "
                               f"least {min_person_px:.0f} px (come closer or use a sharper camera)")
        return collection
    clips = track_windows(history.times, history.world, length, rate, stride)
    if clips:
        _, embedding = runtime.infer(gait_model_input(clips, runtime.meta))
        collection.embeddings = list(np.asarray(embedding, dtype=np.float32).reshape(len(clips), -1))
    return collection


def collect_gait_embeddings(source: str, seconds: float | None, gait_model_path: str | Path | None,
                            start: float = 0.0, backend: str = "auto") -> list[np.ndarray]:
    """Gait embeddings (one (D,) array per window) of the main person walking in `source`."""
    runtime = open_gait_runtime(gait_model_path, backend)
    return collect_from_runtime(open_clipped_source(source, start, seconds), runtime).embeddings
