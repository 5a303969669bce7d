"""Sliding-window buffers, one per track: world landmarks resampled to the model's sample rate and window T.

A track's history is kept with its timestamps. Every `stride` model samples, the last T samples are built by
linear interpolation in time: frames the tracker missed (short gaps) are interpolated and any source frame
rate is resampled to the model's. Normalisation is NOT done here: the recogniser feeds each window through
`aclnet_core.data.preprocess.prepare_clip`, the code the trainer uses.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from aclnet_core.skeleton.root_motion import frame_scale, root_track
from app.records import Skeleton, TrackedSkeleton, Window


@dataclass(frozen=True)
class WindowOptions:
    length: int = 64  # T: samples per window (the model's window)
    sample_fps: float = 30.0  # the model's sample rate: a window spans (T - 1) / sample_fps seconds
    stride: int = 8  # samples between two windows of a track
    max_gap_s: float = 0.5  # a longer gap in a track restarts its history
    min_span: float = 1.0  # fraction of the window's span that must be observed before the first window

    @property
    def span_s(self) -> float:
        return (self.length - 1) / self.sample_fps

    @property
    def stride_s(self) -> float:
        return self.stride / self.sample_fps


def resample_track(times: np.ndarray, values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Linear interpolation of (N, ...) values observed at increasing `times` onto `targets` (edges held)."""
    flat = values.reshape(len(times), -1)
    out = np.empty((len(targets), flat.shape[1]), dtype=np.float64)
    for k in range(flat.shape[1]):
        out[:, k] = np.interp(targets, times, flat[:, k])
    return out.reshape((len(targets),) + values.shape[1:])


class TrackWindowBuffer:
    """The history of one track and its window schedule."""

    def __init__(self, track_id: int, options: WindowOptions) -> None:
        self.track_id = track_id
        self.options = options
        self._times: deque[float] = deque()
        self._frames: deque[int] = deque()
        self._world: deque[np.ndarray] = deque()
        self._visibility: deque[np.ndarray] = deque()
        self._hip_px: deque[np.ndarray] = deque()   # (2,) hip centre in pixels, NaN when the frame size is unknown
        self._scale: deque[float] = deque()         # metres per pixel at the person (skeleton.root_motion)
        self._width = float("nan")                  # frame width in pixels (the assumed focal length scales with it)
        self._last_window_end: float | None = None

    def __len__(self) -> int:
        return len(self._times)

    def push(self, timestamp: float, frame_index: int, skeleton: Skeleton,
             frame_size: tuple[int, int] | None = None) -> None:
        opts = self.options
        if self._times and timestamp <= self._times[-1]:
            return  # out of order or repeated: ignore
        if self._times and timestamp - self._times[-1] > opts.max_gap_s:
            self.clear()
        self._times.append(float(timestamp))
        self._frames.append(int(frame_index))
        self._world.append(np.asarray(skeleton.world, dtype=np.float64))
        self._visibility.append(np.asarray(skeleton.visibility, dtype=np.float64))
        hip, scale = np.full(2, np.nan), float("nan")
        if frame_size is not None and min(frame_size) > 0 and skeleton.layout == "mediapipe33":
            pixels = skeleton.pixels(frame_size)
            hip, scale = pixels[[23, 24]].mean(axis=0), frame_scale(pixels, skeleton.world)
            self._width = float(frame_size[0])
        self._hip_px.append(hip)
        self._scale.append(scale)
        horizon = timestamp - opts.span_s - 2.0 / opts.sample_fps - opts.max_gap_s
        while len(self._times) > 2 and self._times[1] < horizon:
            for store in self._stores():
                store.popleft()

    def _stores(self) -> tuple[deque, ...]:
        return (self._times, self._frames, self._world, self._visibility, self._hip_px, self._scale)

    def clear(self) -> None:
        for store in self._stores():
            store.clear()
        self._last_window_end = None

    def ready(self) -> bool:
        """True when enough history is observed and a stride has passed since the last window."""
        if len(self._times) < 2:
            return False
        opts = self.options
        tolerance = 0.5 / opts.sample_fps
        observed = self._times[-1] - self._times[0]
        if observed + tolerance < opts.min_span * opts.span_s:
            return False
        if self._last_window_end is None:
            return True
        return self._times[-1] - self._last_window_end + tolerance >= opts.stride_s

    def take(self) -> Window:
        """The window ending at the last observation: (T, V, 3) world landmarks and (T, V) visibility."""
        opts = self.options
        times = np.fromiter(self._times, dtype=np.float64)
        end = times[-1]
        targets = end - (opts.length - 1 - np.arange(opts.length)) / opts.sample_fps
        world = resample_track(times, np.stack(self._world), targets)
        visibility = resample_track(times, np.stack(self._visibility), targets)
        root = self._root(times, targets)
        start = targets[0]
        self._last_window_end = end
        covered = min(1.0, max(0.0, (end - max(start, times[0])) / max(opts.span_s, 1e-9)))
        # Fraction of the span that was observed (not held at the edge), scaled down by missed frames.
        in_span = times[times >= start - 1e-9]
        if len(in_span) >= 2:
            typical = float(np.median(np.diff(in_span)))
            expected = (in_span[-1] - in_span[0]) / typical + 1 if typical > 0 else len(in_span)
            covered *= min(1.0, len(in_span) / max(expected, 1.0))
        return Window(
            track_id=self.track_id,
            keypoint=world.astype(np.float32),
            score=visibility.astype(np.float32),
            start_time=float(start),
            end_time=float(end),
            end_frame=self._frames[-1],
            fill=float(covered),
            root=root,
        )

    def _root(self, times: np.ndarray, targets: np.ndarray) -> np.ndarray | None:
        """(T, 3) travel over the window from the image (as training renders estimate it), or None."""
        hips, scales = np.stack(self._hip_px), np.fromiter(self._scale, dtype=np.float64)
        ok = np.isfinite(scales) & np.isfinite(hips).all(axis=1)
        if ok.sum() < 2:
            return None
        hip_t = resample_track(times[ok], hips[ok], targets)
        scale_t = resample_track(times[ok], scales[ok, None], targets)[:, 0]
        return root_track(hip_t, scale_t, self._width).astype(np.float32)


class WindowManager:
    """All tracks' buffers: `update(...)` pushes this frame's skeletons and returns the windows now ready."""

    def __init__(self, options: WindowOptions) -> None:
        self.options = options
        self._buffers: dict[int, TrackWindowBuffer] = {}

    def update(self, timestamp: float, frame_index: int, tracked: list[TrackedSkeleton], ended: list[int] = (),
               frame_size: tuple[int, int] | None = None) -> list[Window]:
        """frame_size (w, h) in pixels lets the windows carry the travel seen in the image (Window.root)."""
        for track_id in ended:
            self._buffers.pop(track_id, None)
        ready: list[Window] = []
        for item in tracked:
            buffer = self._buffers.get(item.track_id)
            if buffer is None:
                buffer = self._buffers[item.track_id] = TrackWindowBuffer(item.track_id, self.options)
            buffer.push(timestamp, frame_index, item.skeleton, frame_size)
            if buffer.ready():
                ready.append(buffer.take())
        return ready

    def fill_level(self, track_id: int) -> float:
        """How full a track's first window is (0..1), for a 'collecting…' indicator."""
        buffer = self._buffers.get(track_id)
        if buffer is None or len(buffer) < 2:
            return 0.0
        return min(1.0, (buffer._times[-1] - buffer._times[0]) / self.options.span_s)

    def reset(self) -> None:
        self._buffers.clear()
