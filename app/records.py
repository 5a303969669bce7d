"""Records that flow through the real-time pipeline: source → pose → tracker → windows → recogniser → overlay/sink."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NO_ACTION = "no_action"  # the label of "nothing known happening" (the synthetic truth while idle)


@dataclass
class Skeleton:
    """One person's pose in one frame (MediaPipe PoseLandmarker output, or a replayed / synthetic one).

    image: (V, 3) normalised image landmarks (x, y in [0, 1] of the frame width / height, z relative depth).
    world: (V, 3) world landmarks in metres, hip-centred, x right, y down, z depth.
    visibility, presence: (V,) in [0, 1].
    """

    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    layout: str = "mediapipe33"

    @property
    def num_joints(self) -> int:
        return int(self.image.shape[0])

    def pixels(self, size: tuple[int, int]) -> np.ndarray:
        """(V, 2) image landmarks in pixels for a frame of size (w, h)."""
        return self.image[:, :2] * np.asarray(size, dtype=np.float64)

    def box(self, size: tuple[int, int], min_visibility: float = 0.5) -> np.ndarray | None:
        """(x0, y0, x1, y1) pixel box around the visible landmarks (None when fewer than two are visible)."""
        from app.overlay import skeleton_box

        return skeleton_box(self.pixels(size), self.visibility, min_visibility)


@dataclass
class Frame:
    """A decoded frame (BGR uint8, or None for skeleton-only sources) with its position in the stream.

    timestamp: seconds in the stream's own clock (pts for files, wall time for live sources).
    captured_at: time.perf_counter() when the frame left the source (for capture→label latency).
    skeletons: poses that came with the frame (replay and synthetic sources); None means "run pose estimation".
    """

    image: np.ndarray | None
    index: int
    timestamp: float
    captured_at: float = 0.0
    size: tuple[int, int] = (0, 0)
    skeletons: list[Skeleton] | None = None
    truth_label: str | None = None  # ground truth, when the source knows it (synthetic stream)
    still: bool = False  # shown on its own (first frame, a paused seek, a photo): pose it alone, report it at once

    def __post_init__(self) -> None:
        if self.image is not None and self.size == (0, 0):
            self.size = (int(self.image.shape[1]), int(self.image.shape[0]))


@dataclass
class PoseResult:
    """All plausible skeletons found in one frame."""

    frame_index: int
    timestamp: float
    skeletons: list[Skeleton]
    rejected: int = 0  # detections dropped by the plausibility filter


@dataclass
class TrackedSkeleton:
    """A skeleton with a stable track id. `skeleton` is the filtered (One-Euro) pose; `raw` the unfiltered one."""

    track_id: int
    skeleton: Skeleton
    raw: Skeleton | None = None
    age: int = 0  # frames since the track started
    box: np.ndarray | None = None  # (x0, y0, x1, y1) in pixels, when the frame size is known


@dataclass
class Window:
    """A track's window, resampled to the model's sample rate: keypoint (T, V, C) world landmarks."""

    track_id: int
    keypoint: np.ndarray
    score: np.ndarray  # (T, V) visibility
    start_time: float
    end_time: float
    end_frame: int
    fill: float = 1.0  # fraction of the window's time covered by detections (the rest is interpolated)
    root: np.ndarray | None = None  # (T, 3) travel in metres seen in the image (None: frame size unknown)


@dataclass
class Prediction:
    """What the recogniser says about one track at one moment (labels are smoothed; raw_* are per window)."""

    track_id: int
    label: str | None  # smoothed label; None = no action (below threshold) or not yet known
    score: float
    top_k: list[tuple[str, float]] = field(default_factory=list)  # smoothed probabilities (what `label` uses)
    raw_label: str | None = None
    raw_score: float = 0.0
    embedding: np.ndarray | None = None
    identity: str | None = None
    identity_score: float | None = None
    timestamp: float = 0.0
    frame_index: int = -1


@dataclass
class FrameResult:
    """Everything the pipeline knows about one frame; what sinks (video export, GUI, timeline) consume."""

    frame: Frame
    tracks: list[TrackedSkeleton]
    predictions: dict[int, Prediction]
    rejected: int = 0
    latency_ms: float = 0.0  # capture → label
    inferred: bool = False  # a model call happened for this frame
