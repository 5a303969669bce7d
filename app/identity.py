"""Who is walking: gait embeddings per track, aggregated into a template and matched against the gallery.

`IdentityService.update(track_id, window)` embeds one window with the gait model, adds it to the track's
buffer (the last `max_windows`), and matches the track's aggregated template (more stable than one window).
When the recogniser already ran the gait model, `update_embedding` takes the embedding instead.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from aclnet_core.errors import UserError
from app.gallery.matcher import GalleryMatcher, IdentityMatch, resolve_threshold
from app.gallery.store import GalleryStore
from app.gallery.templates import build_template

__all__ = ["SOURCE_LAYOUT", "GaitRuntime", "IdentityOptions", "IdentityService", "gait_model_input"]

SOURCE_LAYOUT = "mediapipe33"  # what the pose stage produces


class GaitRuntime(Protocol):
    """The part of `aclnet_core.runtime.InferenceRuntime` used here."""

    meta: Any
    backend: str

    def infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class IdentityOptions:
    max_windows: int = 16  # embeddings kept per track (the template covers about this many strides)
    min_windows: int = 2  # no answer before a track has this many windows
    reject_outliers: bool = True


def _gait_span(window: Any, keypoint: np.ndarray, score: Any, length: int, fps: float):
    """The last `length` samples at the gait model's rate `fps`, cut from a window with start/end times.

    The live windows are cut for the action model (its T and rate); the gait model must see its own T at its
    own rate, as in enrolment and training, not the action window squeezed into T_gait samples.
    """
    start, end = getattr(window, "start_time", None), getattr(window, "end_time", None)
    if start is None or end is None or not end > start or keypoint.shape[0] < 2:
        return keypoint, score
    from app.windows import resample_track

    times = np.linspace(start, end, keypoint.shape[0])
    targets = end - (length - 1 - np.arange(length)) / fps
    keypoint = resample_track(times, keypoint, targets).astype(np.float32)
    if score is not None:
        score = resample_track(times, np.asarray(score, dtype=np.float64), targets).astype(np.float32)
    return keypoint, score


def gait_model_input(windows: list[Any], meta: Any, source_layout: str = SOURCE_LAYOUT) -> np.ndarray:
    """(N, M, T, V, C') float32 for the gait model.

    Each item is an `app.records.Window` (keypoint (T, V, C) + score (T, V) + start/end time) or a bare
    (T, V, C) array in `source_layout`. A Window is first cut to the gait model's own span (its window T at its
    sample rate, ending at the window's end); then it is converted to the model's layout and run through
    `prepare_clip`, like training data.
    """
    from app.recogniser import clip_for_model, meta_sample_fps

    cfg = meta.preprocess_config()
    fps = meta_sample_fps(meta)
    coords = int(meta.in_channels) - int(cfg.use_score)
    clips = []
    for window in windows:
        keypoint = np.asarray(getattr(window, "keypoint", window), dtype=np.float32)
        score = getattr(window, "score", None)
        if keypoint.ndim != 3:
            raise UserError(f"a gait window must be (T, V, C), got shape {keypoint.shape}")
        keypoint = keypoint[..., :coords]
        keypoint, score = _gait_span(window, keypoint, score, int(cfg.window), fps)
        clips.append(clip_for_model(keypoint, score, cfg, source_layout))
    return np.ascontiguousarray(np.stack(clips), dtype=np.float32)


class IdentityService:
    """Per-track gait buffers and gallery matching for one gait model.

    gallery: a GalleryStore (its templates are reloaded whenever any program changes it), or None to only
    collect embeddings (enrolment). threshold: None = the model's calibrated one, else DEFAULT_THRESHOLD.
    """

    def __init__(self, gait_runtime: GaitRuntime, gallery: GalleryStore | None = None,
                 threshold: float | None = None, options: IdentityOptions = IdentityOptions(),
                 source_layout: str = SOURCE_LAYOUT) -> None:
        meta = gait_runtime.meta
        if getattr(meta, "task", "gait") != "gait":
            raise UserError(f"identities need a gait model (task 'gait'), not a model of task {meta.task!r}")
        if not getattr(meta, "model_id", ""):
            raise UserError("the gait model has no model_id; re-save it with a current version of the trainer")
        if options.max_windows < 1 or not 1 <= options.min_windows <= options.max_windows:
            raise UserError("need 1 <= min_windows <= max_windows")
        self.runtime = gait_runtime
        self.meta = meta
        self.options = options
        self.source_layout = source_layout
        self.threshold = resolve_threshold(threshold, meta)
        self.matcher = GalleryMatcher(gallery, meta.model_id, self.threshold) if gallery is not None else None
        self._buffers: dict[int, deque[np.ndarray]] = {}

    @property
    def model_id(self) -> str:
        return str(self.meta.model_id)

    def embed(self, windows: list[Any]) -> np.ndarray:
        """(N, D) gait embeddings of N windows, one batched model call."""
        if not windows:
            return np.zeros((0, int(self.meta.embed_dim)), np.float32)
        _, embedding = self.runtime.infer(gait_model_input(windows, self.meta, self.source_layout))
        return np.asarray(embedding, dtype=np.float32).reshape(len(windows), -1)

    def update(self, track_id: int, window: Any) -> IdentityMatch | None:
        """Add one window of a track; the match of the track's template (None without a gallery or too soon)."""
        return self.update_many({track_id: window})[track_id]

    def update_many(self, windows: dict[int, Any]) -> dict[int, IdentityMatch | None]:
        """`update` for several tracks with one model call."""
        ids = list(windows)
        embeddings = self.embed([windows[i] for i in ids])
        return {i: self.update_embedding(i, e) for i, e in zip(ids, embeddings)}

    def update_embedding(self, track_id: int, embedding: np.ndarray) -> IdentityMatch | None:
        """Add an embedding the caller computed with this gait model; returns the track's current match."""
        buffer = self._buffers.get(track_id)
        if buffer is None:
            buffer = self._buffers[track_id] = deque(maxlen=self.options.max_windows)
        buffer.append(np.asarray(embedding, dtype=np.float32).reshape(-1))
        return self.current(track_id)

    def current(self, track_id: int) -> IdentityMatch | None:
        if self.matcher is None or len(self._buffers.get(track_id, ())) < self.options.min_windows:
            return None
        return self.matcher.match(self.template_for(track_id))

    def embeddings_for(self, track_id: int) -> np.ndarray:
        """(N, D) the buffered embeddings of a track (oldest first)."""
        buffer = self._buffers.get(track_id)
        if not buffer:
            raise UserError(f"track {track_id} has no gait windows yet")
        return np.stack(list(buffer))

    def template_for(self, track_id: int) -> np.ndarray:
        """(D,) unit template of a track's buffered windows (outliers rejected)."""
        return build_template(self.embeddings_for(track_id), reject_outliers=self.options.reject_outliers).vector

    def num_windows(self, track_id: int) -> int:
        return len(self._buffers.get(track_id, ()))

    def drop(self, track_id: int) -> None:
        """Forget an ended track."""
        self._buffers.pop(track_id, None)

    def reset(self) -> None:
        self._buffers.clear()

    def set_threshold(self, threshold: float) -> None:
        self.threshold = resolve_threshold(threshold)
        if self.matcher is not None:
            self.matcher.set_threshold(self.threshold)
