"""Multi-person tracking: stable ids across frames by optimal assignment on keypoint distance or box IoU.

A track survives short misses (`max_missed` frames); a new track is reported once it has been seen
`min_hits` frames in a row (phantom detections that flash for a frame or two never get an id).
Landmarks of each track are One-Euro filtered here, since the filter state belongs to the track.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from app.filters import SkeletonFilter
from app.records import Skeleton, TrackedSkeleton

_LARGE = 1e6


@dataclass(frozen=True)
class TrackerOptions:
    metric: str = "keypoints"  # 'keypoints' | 'iou'
    max_distance: float = 0.6  # keypoints: mean joint distance / person size above which there is no match
    min_iou: float = 0.1  # iou: overlap below which there is no match
    max_missed: int = 15  # frames a track may go unseen before it ends
    min_hits: int = 2  # frames a new track must be seen in a row before it gets reported
    min_visibility: float = 0.5
    smooth: bool = True  # One-Euro filter the landmarks of each track


@dataclass
class _Track:
    track_id: int  # -1 until the track is confirmed (ids are not spent on phantoms)
    skeleton: Skeleton  # last raw observation
    filter: SkeletonFilter
    velocity: np.ndarray  # (V, 2) image-landmark velocity per frame, for the prediction during misses
    hits: int = 1
    missed: int = 0
    age: int = 0
    confirmed: bool = False
    last_filtered: Skeleton | None = None

    def predicted_xy(self) -> np.ndarray:
        return self.skeleton.image[:, :2] + self.velocity * (self.missed + 1)


@dataclass
class TrackerUpdate:
    tracked: list[TrackedSkeleton]  # confirmed tracks seen in this frame
    ended: list[int] = field(default_factory=list)  # ids of confirmed tracks that ended in this update


def _box(xy: np.ndarray, visible: np.ndarray) -> np.ndarray:
    pts = xy[visible] if visible.sum() >= 2 else xy
    return np.concatenate([pts.min(axis=0), pts.max(axis=0)])


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two (x0, y0, x1, y1) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class Tracker:
    """`update(skeletons, timestamp, frame_size)` → the tracked skeletons of this frame with stable ids."""

    def __init__(self, options: TrackerOptions = TrackerOptions()) -> None:
        if options.metric not in ("keypoints", "iou"):
            raise ValueError(f"unknown tracking metric {options.metric!r}")
        self.options = options
        self._tracks: list[_Track] = []
        self._next_id = 1

    @property
    def active_ids(self) -> list[int]:
        return [t.track_id for t in self._tracks if t.confirmed]

    def _cost(self, track: _Track, skeleton: Skeleton, aspect: float) -> float:
        opts = self.options
        scale = np.array([aspect, 1.0])  # image units with the frame's aspect ratio (x in heights)
        pred = track.predicted_xy() * scale
        det = skeleton.image[:, :2] * scale
        vis_t = track.skeleton.visibility >= opts.min_visibility
        vis_d = skeleton.visibility >= opts.min_visibility
        if opts.metric == "iou":
            iou = box_iou(_box(pred, vis_t), _box(det, vis_d))
            return 1.0 - iou if iou >= opts.min_iou else _LARGE
        both = vis_t & vis_d
        if both.sum() < 3:
            both = np.ones_like(both)
        size = max(float(np.ptp(pred[vis_t] if vis_t.sum() >= 2 else pred, axis=0).max()), 1e-3)
        distance = float(np.linalg.norm(pred[both] - det[both], axis=1).mean()) / size
        return distance if distance <= opts.max_distance else _LARGE

    def update(self, skeletons: list[Skeleton], timestamp: float, frame_size: tuple[int, int] = (1, 1),
               confirm: bool = False) -> TrackerUpdate:
        """`confirm`: report new people at once (a still frame is all there is to see: no `min_hits` wait)."""
        opts = self.options
        w, h = frame_size
        aspect = (w / h) if w > 0 and h > 0 else 1.0
        matches: list[tuple[_Track, Skeleton]] = []
        unmatched = list(range(len(skeletons)))
        if self._tracks and skeletons:
            cost = np.array([[self._cost(t, s, aspect) for s in skeletons] for t in self._tracks])
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols):
                if cost[r, c] < _LARGE:
                    matches.append((self._tracks[r], skeletons[c]))
                    unmatched.remove(c)
        matched_tracks = {id(t) for t, _ in matches}
        for track, skeleton in matches:
            gap = track.missed + 1
            track.velocity = 0.5 * track.velocity + 0.5 * (skeleton.image[:, :2] - track.skeleton.image[:, :2]) / gap
            track.skeleton, track.missed = skeleton, 0
            track.hits += 1
            track.age += gap
            if not track.confirmed and (confirm or track.hits >= opts.min_hits):
                track.confirmed, track.track_id = True, self._allocate_id()
        ended: list[int] = []
        survivors: list[_Track] = []
        for track in self._tracks:
            if id(track) not in matched_tracks:
                track.missed += 1
                if (not track.confirmed) or track.missed > opts.max_missed:
                    if track.confirmed:
                        ended.append(track.track_id)
                    continue
            survivors.append(track)
        self._tracks = survivors
        for c in unmatched:
            track = _Track(-1, skeletons[c], SkeletonFilter(), np.zeros((skeletons[c].num_joints, 2)))
            if confirm or opts.min_hits <= 1:
                track.confirmed, track.track_id = True, self._allocate_id()
            self._tracks.append(track)
            matches.append((track, skeletons[c]))
        tracked = []
        for track, skeleton in matches:
            if not track.confirmed:
                continue
            filtered = track.filter(skeleton, timestamp) if opts.smooth else skeleton
            track.last_filtered = filtered
            box = filtered.box((w, h), opts.min_visibility) if w > 1 and h > 1 else None
            tracked.append(TrackedSkeleton(track.track_id, filtered, raw=skeleton, age=track.age, box=box))
        tracked.sort(key=lambda t: t.track_id)
        return TrackerUpdate(tracked, ended)

    def _allocate_id(self) -> int:
        track_id = self._next_id
        self._next_id += 1
        return track_id

    def reset(self) -> None:
        self._tracks.clear()
        self._next_id = 1
