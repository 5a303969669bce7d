"""Always-on pipeline measurements: per-stage latency (p50 / p95 / mean) and frame rates, thread-safe."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

STAGES = ("capture", "pose", "track", "infer", "end_to_end")  # end_to_end = capture → label


@dataclass(frozen=True)
class LatencySummary:
    count: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    max_ms: float

    def to_dict(self) -> dict[str, float]:
        return {"count": self.count, "p50_ms": round(self.p50_ms, 2), "p95_ms": round(self.p95_ms, 2),
                "mean_ms": round(self.mean_ms, 2), "max_ms": round(self.max_ms, 2)}


class RollingLatency:
    """The last `capacity` durations of one stage, in milliseconds."""

    def __init__(self, capacity: int = 2000) -> None:
        self._values: deque[float] = deque(maxlen=capacity)

    def add(self, ms: float) -> None:
        self._values.append(float(ms))

    def summary(self) -> LatencySummary:
        if not self._values:
            return LatencySummary(0, float("nan"), float("nan"), float("nan"), float("nan"))
        v = np.fromiter(self._values, dtype=np.float64)
        return LatencySummary(len(v), float(np.percentile(v, 50)), float(np.percentile(v, 95)), float(v.mean()), float(v.max()))


class RateMeter:
    """Events per second over the last `window_s` seconds (e.g. frames out of the pipeline)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()
        self.total = 0
        self.first: float | None = None
        self.last: float | None = None

    def tick(self, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        self._times.append(now)
        self.total += 1
        self.first = now if self.first is None else self.first
        self.last = now
        while self._times and self._times[0] < now - self.window_s:
            self._times.popleft()

    def rate(self) -> float:
        """Recent rate (events/s over the window)."""
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def overall(self) -> float:
        """Sustained rate since the first event."""
        if self.first is None or self.last is None or self.last <= self.first:
            return 0.0
        return (self.total - 1) / (self.last - self.first)


class PipelineStats:
    """Per-stage latencies, frame rates and drop counts of one pipeline run."""

    def __init__(self, capacity: int = 2000) -> None:
        self._lock = threading.Lock()
        self._latency = {stage: RollingLatency(capacity) for stage in STAGES}
        self._rates = {"capture": RateMeter(), "output": RateMeter()}
        self.dropped = 0  # frames a live source dropped because a later frame was ready first
        self.inferences = 0  # model calls
        self.windows = 0  # windows classified

    def record(self, stage: str, ms: float) -> None:
        with self._lock:
            self._latency.setdefault(stage, RollingLatency()).add(ms)

    def tick(self, meter: str, now: float | None = None) -> None:
        with self._lock:
            self._rates.setdefault(meter, RateMeter()).tick(now)

    def add_drop(self, n: int = 1) -> None:
        with self._lock:
            self.dropped += n

    def add_inference(self, windows: int) -> None:
        with self._lock:
            self.inferences += 1
            self.windows += windows

    def latency(self, stage: str) -> LatencySummary:
        with self._lock:
            return self._latency.get(stage, RollingLatency()).summary()

    def fps(self, meter: str = "output") -> float:
        with self._lock:
            return self._rates.get(meter, RateMeter()).rate()

    def snapshot(self) -> dict:
        """Everything as plain numbers (for the HUD, the bench report and --json)."""
        with self._lock:
            return {
                "latency": {stage: s.summary().to_dict() for stage, s in self._latency.items()},
                "fps": {name: round(m.rate(), 2) for name, m in self._rates.items()},
                "sustained_fps": {name: round(m.overall(), 2) for name, m in self._rates.items()},
                "frames": {name: m.total for name, m in self._rates.items()},
                "dropped": self.dropped,
                "inferences": self.inferences,
                "windows": self.windows,
            }

    def hud_lines(self) -> list[str]:
        """Short lines for an on-screen display."""
        snap = self.snapshot()
        lat = snap["latency"]
        lines = [f"{snap['fps'].get('output', 0):.1f} fps  (dropped {snap['dropped']})"]
        for stage in ("pose", "infer", "end_to_end"):
            s = lat.get(stage, {})
            if s.get("count"):
                lines.append(f"{stage} p50 {s['p50_ms']:.1f} / p95 {s['p95_ms']:.1f} ms")
        return lines
