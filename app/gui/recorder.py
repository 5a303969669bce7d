"""Skeleton recording from the running pipeline, in the training format (`main.py record`'s .npz files).

Each tracked person becomes `<folder>/<label>/<stem>-<time>-track<id>.npz`: MediaPipe world landmarks
(1, T, 33, 3) with visibility as score, resampled to a constant frame rate (app.record.track_sequence).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from aclnet_core.errors import UserError
from app.record import TrackLog
from app.records import FrameResult


class SkeletonRecorder:
    """Collects every track's skeletons from FrameResults (any thread) and saves them on `save()`."""

    def __init__(self, label: str, folder: str | Path, fps: float, source_name: str = "gui", min_frames: int = 16) -> None:
        from app.record import safe_name

        label = label.strip()
        if not label:
            raise UserError("a recording needs a label (the action's name)")
        if not (np.isfinite(fps) and fps > 0):
            raise UserError(f"invalid recording frame rate {fps}")
        self.label = label
        self.folder = Path(folder).expanduser() / safe_name(label)
        self.fps = float(fps)
        self.stem = safe_name(Path(source_name).stem if source_name else "gui")
        self.min_frames = max(2, int(min_frames))
        self.frames = 0
        self._logs: dict[int, TrackLog] = {}
        self._lock = threading.Lock()
        self._last_time: float | None = None

    def add(self, result: FrameResult) -> None:
        with self._lock:
            t = float(result.frame.timestamp)
            if self._last_time is not None and t <= self._last_time:
                return  # a restart or a seek backwards: keep time increasing
            self._last_time = t
            self.frames += 1
            for tracked in result.tracks:
                self._logs.setdefault(tracked.track_id, TrackLog()).add(t, tracked)

    @property
    def tracks(self) -> int:
        with self._lock:
            return len(self._logs)

    def save(self) -> list[Path]:
        """Write one .npz per track long enough; UserError when none is."""
        from aclnet_core.data.recording import save_recording
        from aclnet_core.data.sequence import SkeletonSequence
        from app.record import track_sequence

        with self._lock:
            logs = {k: v for k, v in self._logs.items()
                    if len(v.times) >= 2 and (v.times[-1] - v.times[0]) * self.fps + 1e-6 >= self.min_frames - 1}
        if not logs:
            raise UserError(f"nothing recorded: no person was tracked for {self.min_frames} frames")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        written = []
        for track_id, entry in sorted(logs.items()):
            world, visibility = track_sequence(entry, self.fps)
            seq = SkeletonSequence(keypoint=world[None], label=-1, layout="mediapipe33",
                                   name=f"{self.stem}-track{track_id}", score=visibility[None])
            written.append(save_recording(self.folder / f"{self.stem}-{stamp}-track{track_id}.npz", seq, self.label,
                                          self.fps))
        return written
