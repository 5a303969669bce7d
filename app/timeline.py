"""Per-track timeline of labelled segments (start, end, label, score, identity) → JSON / CSV.

Built frame by frame from FrameResults; a segment is a run of frames where a track shows the same smoothed
label. Files are written atomically, so an interrupted export still leaves a valid timeline of what was
processed (`complete: false`).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aclnet_core.io_utils import atomic_write
from app.records import NO_ACTION, FrameResult

TIMELINE_VERSION = 1
CSV_FIELDS = ("track_id", "label", "start_frame", "end_frame", "start_time", "end_time", "score", "max_score", "identity")


@dataclass
class Segment:
    track_id: int
    label: str
    start_frame: int
    end_frame: int
    start_time: float
    end_time: float
    score: float  # mean smoothed score over the segment's frames
    max_score: float
    identity: str | None = None  # the most frequent identity over the segment (None: no gallery or unknown)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("start_time", "end_time", "score", "max_score"):
            d[key] = round(float(d[key]), 4)
        return d


@dataclass
class _Open:
    label: str
    start_frame: int
    start_time: float
    end_frame: int
    end_time: float
    scores: list[float] = field(default_factory=list)
    identities: Counter = field(default_factory=Counter)


@dataclass
class _TrackSpan:
    start_frame: int
    start_time: float
    end_frame: int
    end_time: float
    identities: Counter = field(default_factory=Counter)


@dataclass
class TruthAgreement:
    """How the labels on screen compare with the source's ground truth (the synthetic demo stream knows it).

    Counted from the first frame the recogniser labels (the first window needs its span of history); nothing shown
    (below threshold) counts as "no_action". Three views:
    - ``agreement``: shown label == truth on the same frame, as a viewer sees it (every change costs the lag);
    - ``agreement_at_lag``: the best agreement with the truth of ``lag_s`` seconds earlier (0-4 s), which takes out
      the window's and the smoothing's delay;
    - ``event_recall``: the share of truth actions (not no_action) whose label is shown while they happen or in
      the ``recall_slack_s`` seconds after they end.
    """

    recall_slack_s: float = 3.0
    skipped: int = 0  # frames with a truth label before the first labelled window
    _times: list[float] = field(default_factory=list)
    _truth: list[str] = field(default_factory=list)
    _shown: list[frozenset] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return len(self._truth)

    def update(self, result: FrameResult) -> None:
        truth = result.frame.truth_label
        if truth is None:
            return
        if not self._truth and not result.predictions:
            self.skipped += 1
            return
        self._times.append(float(result.frame.timestamp))
        self._truth.append(truth)
        self._shown.append(frozenset(p.label or NO_ACTION for p in result.predictions.values()) or {NO_ACTION})

    def agreement_at(self, lag_s: float) -> float:
        """Share of frames whose shown label equals the truth `lag_s` seconds earlier (frames with such a truth)."""
        if not self._truth:
            return 0.0
        import numpy as np

        times = np.asarray(self._times)
        src = np.searchsorted(times, times - lag_s - 1e-9)
        valid = times - lag_s >= times[0] - 1e-9
        hits = [self._truth[j] in self._shown[i] for i, j in enumerate(src) if valid[i]]
        return float(np.mean(hits)) if hits else 0.0

    @property
    def agreement(self) -> float:
        return self.agreement_at(0.0)

    def best_lag(self, max_lag_s: float = 4.0, step_s: float = 0.1) -> tuple[float, float]:
        lags = [round(k * step_s, 6) for k in range(int(max_lag_s / step_s) + 1)]
        scores = [self.agreement_at(lag) for lag in lags]
        k = max(range(len(lags)), key=lambda i: scores[i])
        return lags[k], scores[k]

    def event_recall(self) -> tuple[int, int]:
        """(truth action events whose label was shown in time, all truth action events)."""
        events, found, k = 0, 0, 0
        while k < len(self._truth):
            label, j = self._truth[k], k
            while j + 1 < len(self._truth) and self._truth[j + 1] == label:
                j += 1
            if label != NO_ACTION:
                events += 1
                until, i = self._times[j] + self.recall_slack_s, k
                while i < len(self._truth) and self._times[i] <= until and label not in self._shown[i]:
                    i += 1
                found += i < len(self._truth) and self._times[i] <= until
            k = j + 1
        return found, events

    def to_dict(self) -> dict[str, Any]:
        lag, at_lag = self.best_lag()
        found, events = self.event_recall()
        return {"frames": self.frames, "frames_before_first_label": self.skipped,
                "agreement": round(self.agreement, 4), "best_lag_s": lag, "agreement_at_lag": round(at_lag, 4),
                "events": events, "events_recognised": found,
                "event_recall": round(found / events, 4) if events else None}


class Timeline:
    """Collects segments per track. `max_gap` frames without the track (or its label) close a segment."""

    def __init__(self, source: str = "", fps: float | None = None, max_gap: int = 15, metadata: dict | None = None) -> None:
        self.source = source
        self.fps = fps
        self.max_gap = max_gap
        self.metadata = dict(metadata or {})
        self.frames_processed = 0
        self.last_frame = -1
        self._open: dict[int, _Open] = {}
        self._segments: list[Segment] = []
        self._tracks: dict[int, _TrackSpan] = {}
        self.truth = TruthAgreement()

    def update(self, result: FrameResult) -> None:
        index, t = result.frame.index, result.frame.timestamp
        self.frames_processed += 1
        self.last_frame = index
        self.truth.update(result)
        for tracked in result.tracks:
            span = self._tracks.get(tracked.track_id)
            if span is None:
                self._tracks[tracked.track_id] = _TrackSpan(index, t, index, t)
            else:
                span.end_frame, span.end_time = index, t
            prediction = result.predictions.get(tracked.track_id)
            label = prediction.label if prediction is not None else None
            if prediction is not None and prediction.identity:
                self._tracks[tracked.track_id].identities[prediction.identity] += 1
            current = self._open.get(tracked.track_id)
            if current is not None and (label != current.label or index - current.end_frame > self.max_gap):
                self._close(tracked.track_id)
                current = None
            if label is None:
                continue
            if current is None:
                current = self._open[tracked.track_id] = _Open(label, index, t, index, t)
            current.end_frame, current.end_time = index, t
            current.scores.append(float(prediction.score))
            if prediction.identity:
                current.identities[prediction.identity] += 1
        for track_id in [k for k, seg in self._open.items() if index - seg.end_frame > self.max_gap]:
            self._close(track_id)

    def _close(self, track_id: int) -> None:
        seg = self._open.pop(track_id, None)
        if seg is None:
            return
        identity = seg.identities.most_common(1)[0][0] if seg.identities else None
        self._segments.append(Segment(track_id, seg.label, seg.start_frame, seg.end_frame, seg.start_time, seg.end_time,
                                      sum(seg.scores) / len(seg.scores), max(seg.scores), identity))

    def segments(self) -> list[Segment]:
        """All segments so far (open ones included), ordered by track and start."""
        closed = list(self._segments)
        for track_id, seg in self._open.items():
            identity = seg.identities.most_common(1)[0][0] if seg.identities else None
            closed.append(Segment(track_id, seg.label, seg.start_frame, seg.end_frame, seg.start_time, seg.end_time,
                                  sum(seg.scores) / len(seg.scores), max(seg.scores), identity))
        return sorted(closed, key=lambda s: (s.track_id, s.start_frame))

    def to_dict(self, complete: bool = True) -> dict[str, Any]:
        segments = self.segments()
        tracks = []
        for track_id, span in sorted(self._tracks.items()):
            tracks.append({
                "track_id": track_id,
                "start_frame": span.start_frame, "end_frame": span.end_frame,
                "start_time": round(span.start_time, 4), "end_time": round(span.end_time, 4),
                "identity": span.identities.most_common(1)[0][0] if span.identities else None,
                "segments": [s.to_dict() for s in segments if s.track_id == track_id],
            })
        return {
            "version": TIMELINE_VERSION,
            "source": self.source,
            "fps": self.fps,
            "frames_processed": self.frames_processed,
            "last_frame": self.last_frame,
            "complete": bool(complete),
            **self.metadata,
            "tracks": tracks,
            "segments": [s.to_dict() for s in segments],
            **({"truth": self.truth.to_dict()} if self.truth.frames else {}),
        }

    def write_json(self, path: str | Path, complete: bool = True) -> Path:
        path = Path(path)
        with atomic_write(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(complete), indent=2) + "\n", encoding="utf-8")
        return path

    def write_csv(self, path: str | Path) -> Path:
        path = Path(path)
        with atomic_write(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
            writer.writeheader()
            for seg in self.segments():
                row = seg.to_dict()
                row["identity"] = row["identity"] or ""
                writer.writerow({k: row[k] for k in CSV_FIELDS})
        return path


def read_timeline_json(path: str | Path) -> dict[str, Any]:
    """Load a timeline written by `Timeline.write_json`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
