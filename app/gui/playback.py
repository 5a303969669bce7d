"""File playback for the GUI: play at the file's pace (times a speed), pause, and start at a position.

`PlaybackControl` is shared by the GUI thread (pause, speed, stop) and the pipeline's capture thread
(`wait()` before each frame). `PlaybackSource` wraps a finite source (a video file, a skeleton recording)
with it. Files start at a position through `VideoFileSource(path, start=…)` (a real PyAV seek).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from app.records import Frame
from app.sources import Source

_WAKE_S = 0.05  # longest sleep between two checks of pause / stop


class PlaybackControl:
    """Pause, speed (0 = as fast as possible) and stop of one playback."""

    def __init__(self, speed: float = 1.0, paused: bool = False) -> None:
        self._cond = threading.Condition()
        self._speed = max(0.0, float(speed))
        self._paused = paused
        self._stopped = False
        self._anchor: tuple[float, float] | None = None  # (wall clock, stream time) of the pacing origin
        self.delivered = 0  # frames let through
        self.late_s = 0.0  # how late the last frame let through was (0 when on time, or at 'max' speed)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def stopped(self) -> bool:
        return self._stopped

    def set_paused(self, paused: bool) -> None:
        with self._cond:
            self._paused = bool(paused)
            self._anchor = None  # re-anchor the clock at the next frame
            self._cond.notify_all()

    def set_speed(self, speed: float) -> None:
        with self._cond:
            self._speed = max(0.0, float(speed))
            self._anchor = None
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def wait(self, stream_time: float) -> bool:
        """Block until the frame at `stream_time` is due; False when playback was stopped meanwhile.

        The first frame is always let through at once, even when paused, so a paused seek shows its frame.
        """
        with self._cond:
            while True:
                if self._stopped:
                    return False
                if self._paused and self.delivered > 0:
                    self._cond.wait(_WAKE_S)
                    continue
                now = time.perf_counter()
                self.late_s = 0.0
                if self._anchor is None or self._speed <= 0 or self.delivered == 0:
                    self._anchor = (now, stream_time)
                    break
                due = self._anchor[0] + (stream_time - self._anchor[1]) / self._speed
                if due <= now:
                    self.late_s = now - due
                    break
                self._cond.wait(min(_WAKE_S, due - now))
            self.delivered += 1
            return True


class PlaybackSource(Source):
    """A finite source played through a PlaybackControl, from `start` seconds of stream time.

    Frames before `start` are skipped unpaced (an inner source that seeks itself has none to skip).
    At a speed (1×, 2×…) it keeps to the clock: a frame that is due more than `max_late_s` ago is dropped
    (decoded, never posed) and counted through `on_drop`, so a slow pose stage shows fewer frames instead of
    slowing the clip down. At 'max' speed (0) nothing is dropped. The first frame is marked `still` (posed on
    its own and shown with its people at once: a paused seek or a photo shows only that frame).
    """

    is_live = False

    def __init__(self, inner: Source, control: PlaybackControl, start: float = 0.0) -> None:
        super().__init__(None)
        self.inner = inner
        self.control = control
        self.start = max(0.0, float(start))
        self.name = inner.name
        self.provides_skeletons = inner.provides_skeletons
        self.duration: float | None = None
        self.max_late_s = 0.15
        self.dropped = 0
        self.on_drop = None  # called with 1 for each dropped frame (the pipeline's stats)

    def _open(self) -> None:
        self.inner.open()
        self.fps, self.rate, self.size = self.inner.fps, self.inner.rate, self.inner.size
        self.frame_count = self.inner.frame_count
        self.duration = getattr(self.inner, "duration", None)
        if self.duration is None and self.frame_count and self.fps:
            self.duration = self.frame_count / self.fps

    def _frames(self) -> Iterator[Frame]:
        tolerance = 0.5 / (self.fps or 30.0)
        first = True
        for frame in self.inner._frames():
            if frame.timestamp + tolerance < self.start:
                continue
            if not self.control.wait(frame.timestamp):
                return
            if not first and self.control.speed > 0 and self.control.late_s > self.max_late_s:
                self.dropped += 1
                if self.on_drop is not None:
                    self.on_drop(1)
                continue
            frame.still, first = first, False
            yield frame

    def preview(self):
        """The first frame's image before playback starts (None when the inner source has none)."""
        preview = getattr(self.inner, "preview", None)
        return preview() if preview is not None else None

    def close(self) -> None:
        self.inner.close()
