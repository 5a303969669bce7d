"""Example embeddings of a custom action, cut exactly as the live app cuts its windows.

A source (video, `.npz` recording, `synthetic[:SEED]`, camera…) runs through the real-time pipeline (pose ->
tracks -> `app.windows` buffers at the model's `meta.extra['sample_fps']` -> `prepare_clip`) with the action
encoder; the embeddings of the windows of one track are kept. With a span [start, end], the source is read from
one window span before `start` (the live app would have that history) and the windows that cover at least half
of the span (or half a window) are kept. `windows_from_sequence` cuts the same windows from a skeleton array
without the pipeline (the few-shot evaluation).

The only difference from the live schedule: a track's first window may come when half a window span is
observed (the live app waits for a full one), so an example shorter than a window still gives one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from aclnet_core.errors import UserError
from app.records import Skeleton, Window
from app.windows import TrackWindowBuffer, WindowOptions

__all__ = ["ExampleCollection", "collect_example", "embed_windows", "example_window_options", "in_span",
           "open_action_runtime", "windows_from_sequence"]

EXAMPLE_STRIDE = 4  # model samples between two windows of an example (the live app: 8)
EXAMPLE_MIN_SPAN = 0.5  # fraction of a window that must be observed before an example's first window


@dataclass
class ExampleCollection:
    embeddings: list[np.ndarray]  # (D,) per kept window of the chosen track, in time order
    track_id: int | None
    windows_per_track: dict[int, int] = field(default_factory=dict)
    frames: int = 0
    seconds: float = 0.0

    @property
    def vector(self) -> np.ndarray:
        """The example's unit vector: the mean direction of its windows."""
        from app.gallery.templates import build_template

        return build_template(np.stack(self.embeddings), reject_outliers=False).vector


def open_action_runtime(path: str | Path | None = None, backend: str = "auto") -> Any:
    """The action encoder (`path`, else the shipped assets/models/action.onnx or .pt)."""
    from app.recogniser import open_runtime

    runtime = open_runtime(path, backend, task="action")
    if getattr(runtime.meta, "task", "action") != "action":
        raise UserError(f"{path or 'the model'} is a {runtime.meta.task} model; custom actions need an action model")
    if not getattr(runtime.meta, "model_id", ""):
        raise UserError(f"{path or 'the action model'} has no model_id; re-save it with the current trainer")
    return runtime


def example_window_options(meta: Any, stride: int = EXAMPLE_STRIDE) -> WindowOptions:
    """The live app's windows for this model (length, sample_fps) with the example schedule."""
    from app.recogniser import meta_sample_fps

    return WindowOptions(length=int(meta.preprocess_config().window), sample_fps=meta_sample_fps(meta),
                         stride=stride, min_span=EXAMPLE_MIN_SPAN)


def in_span(window_start: float, window_end: float, start: float, end: float | None) -> bool:
    """True when a window [window_start, window_end] covers at least half of the span [start, end] (or half a
    window, for a span longer than a window) and ends by the span's end (+0.5 s)."""
    end = window_end if end is None else end
    overlap = min(window_end, end) - max(window_start, start)
    need = 0.5 * min(window_end - window_start, max(end - start, 1e-6))
    return overlap >= need - 1e-6 and window_end <= end + 0.5


def collect_example(source_spec: str, runtime: Any, start: float = 0.0, end: float | None = None,
                    track: int | None = None, pose_factory: Callable | None = None,
                    progress: Callable[[float], None] | None = None) -> ExampleCollection:
    """The window embeddings of one person doing the action in `source_spec` (between start and end seconds)."""
    from app.gallery.enrol import ClippedSource
    from app.pipeline import Pipeline, PipelineOptions
    from app.recogniser import Recogniser, RecogniserOptions
    from app.sources import open_source

    if start < 0 or (end is not None and end <= start):
        raise UserError("--start must be >= 0 and --end greater than --start")
    options = example_window_options(runtime.meta)
    lead = max(0.0, start - options.span_s)
    source = ClippedSource(open_source(source_spec), lead, None if end is None else end - lead).open()
    recogniser = Recogniser(runtime, RecogniserOptions(stride=options.stride, min_fill=0.0))
    per_track: dict[int, list[np.ndarray]] = {}
    frames, first, last = 0, None, 0.0
    with Pipeline(source, recogniser, PipelineOptions(windows=options), pose_factory=pose_factory) as pipeline:
        for result in pipeline.results():
            frames += 1
            t = result.frame.timestamp
            first = t if first is None else first
            last = t
            if result.inferred:
                for track_id, prediction in result.predictions.items():
                    if prediction.frame_index != result.frame.index or prediction.embedding is None:
                        continue
                    if in_span(t - options.span_s, t, start, end):
                        per_track.setdefault(track_id, []).append(np.asarray(prediction.embedding, np.float32))
            if progress is not None:
                progress(last - (first or 0.0))
    counts = {tid: len(v) for tid, v in per_track.items()}
    if track is not None:
        if track not in counts:
            seen = ", ".join(str(t) for t in sorted(counts)) or "none"
            raise UserError(f"{source_spec}: track {track} has no window in the span (tracks with windows: {seen})")
        chosen: int | None = track
    else:
        chosen = max(counts, key=lambda tid: counts[tid]) if counts else None
    if chosen is None:
        raise UserError(f"{source_spec}: no person was seen long enough for one window "
                        f"({frames} frames; a window is {options.span_s:.1f} s)")
    return ExampleCollection(per_track[chosen], chosen, counts, frames, 0.0 if first is None else last - first)


def windows_from_sequence(world: np.ndarray, fps: float, options: WindowOptions,
                          visibility: np.ndarray | None = None) -> list[Window]:
    """The windows the live buffers cut from one person's (T, V, 3) world landmarks at `fps` frames/s."""
    world = np.asarray(world, dtype=np.float32)
    if world.ndim != 3 or world.shape[0] == 0:
        raise UserError(f"expected (T, V, 3) landmarks, got {world.shape}")
    vis = np.ones(world.shape[:2], np.float32) if visibility is None else np.asarray(visibility, np.float32)
    buffer = TrackWindowBuffer(0, options)
    out = []
    for t in range(world.shape[0]):
        if not np.any(world[t]):
            continue
        buffer.push(t / fps, t, Skeleton(image=world[t], world=world[t], visibility=vis[t], presence=vis[t]))
        if buffer.ready():
            out.append(buffer.take())
    if not out and len(buffer) >= 2:  # shorter than the first window: one window with held edges
        buffer.options = replace(options, min_span=0.0)
        out.append(buffer.take())
    return out


def embed_windows(runtime: Any, windows: list[Window], batch: int = 64) -> np.ndarray:
    """(N, D) action-encoder embeddings of windows, through the recogniser's own model input."""
    from app.recogniser import Recogniser

    if not windows:
        return np.zeros((0, int(runtime.meta.embed_dim)), np.float32)
    recogniser = Recogniser(runtime)
    out = []
    for i in range(0, len(windows), batch):
        x = recogniser.model_input(windows[i:i + batch], recogniser.cfg, int(recogniser.meta.in_channels))
        out.append(np.asarray(runtime.infer(x)[1], np.float32))
    return np.concatenate(out)
