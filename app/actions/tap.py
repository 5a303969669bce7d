"""The recent action-window embeddings of every track, for teaching from a running stream (GUI).

The recogniser's CustomActions feeds every window it embeds (inference thread); the teaching dialog asks for
the windows of a span of stream time [start, end] (UI thread): the windows that cover at least half of the span
(or half a window), of the track with the most such windows (or a wanted track). These are the live app's own
windows, so an example taught from the GUI is cut exactly as the live windows it will be compared with.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from app.actions.examples import in_span

__all__ = ["SpanWindows", "TappedWindow", "WindowTap"]


@dataclass(frozen=True)
class TappedWindow:
    track_id: int
    start: float  # stream seconds
    end: float
    embedding: np.ndarray


@dataclass(frozen=True)
class SpanWindows:
    track_id: int | None
    embeddings: list[np.ndarray]
    tracks_seen: int


class WindowTap:
    """A thread-safe ring buffer of the last `capacity` windows of all tracks."""

    def __init__(self, capacity: int = 4000) -> None:
        self._lock = threading.Lock()
        self._windows: deque[TappedWindow] = deque(maxlen=capacity)

    def feed(self, track_id: int, start: float, end: float, embedding: np.ndarray) -> None:
        item = TappedWindow(int(track_id), float(start), float(end), np.asarray(embedding, np.float32).reshape(-1))
        with self._lock:
            self._windows.append(item)

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()

    def latest_end(self) -> float | None:
        """Stream time of the last window's end (None before any window)."""
        with self._lock:
            return self._windows[-1].end if self._windows else None

    def between(self, start: float, end: float, track_id: int | None = None) -> SpanWindows:
        """The windows of one track in the span [start, end] (stream seconds)."""
        with self._lock:
            items = [w for w in self._windows if in_span(w.start, w.end, start, end)]
        per: dict[int, dict[float, np.ndarray]] = {}
        for w in items:  # the same span replayed (a seek) gives the same windows again: one per end time
            per.setdefault(w.track_id, {})[round(w.end, 2)] = w.embedding
        if not per:
            return SpanWindows(None, [], 0)
        chosen = track_id if track_id in per else max(per, key=lambda k: len(per[k]))
        return SpanWindows(chosen, [per[chosen][t] for t in sorted(per[chosen])], len(per))
