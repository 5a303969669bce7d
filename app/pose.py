"""Pose estimation with the MediaPipe Tasks PoseLandmarker (VIDEO mode) from the bundled `.task` models.

The models ship in `assets/pose/` and are read through `importlib.resources`; nothing is ever downloaded.
A plausibility filter drops detections that are not a person (a collapsed skeleton on a foot or a hand).
"""

from __future__ import annotations

import contextlib
import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import numpy as np

from aclnet_core.errors import UserError
from app.records import Frame, PoseResult, Skeleton

POSE_MODELS = ("lite", "full")
MEDIAPIPE_NUM_JOINTS = 33
_SHOULDERS, _HIPS = (11, 12), (23, 24)


@dataclass(frozen=True)
class PlausibilityOptions:
    """When a detection counts as a person.

    min_visible_joints: joints with visibility >= min_visibility.
    min_torso_visibility: mean visibility of the shoulders and hips.
    min_torso_presence: mean presence of the shoulders and hips; phantom skeletons on a foot or a hand
      often have visible but not "present" torsos.
    min_extent: image extent of the visible landmarks (largest side of their box) as a fraction of the
      frame's shorter side; a collapsed skeleton on a foot or a hand is small.
    min_torso_extent: image distance mid-shoulder → mid-hip as a fraction of the frame's shorter side.

    Defaults were chosen on the clips in ../shared/media (see docs/RESULTS.md): they keep 98–100 % of the
    detections of whole, visible people and drop about a third of the phantom skeletons on a foot.
    """

    min_visibility: float = 0.5
    min_visible_joints: int = 8
    min_torso_visibility: float = 0.5
    min_torso_presence: float = 0.8
    min_extent: float = 0.08
    min_torso_extent: float = 0.03


@dataclass(frozen=True)
class PoseOptions:
    """Options of the pose stage (in the spirit of MediaPipe Tasks' options objects)."""

    model: str = "full"  # 'lite' | 'full' | a path to a .task file
    num_poses: int = 1
    min_pose_detection_confidence: float = 0.5
    min_pose_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    max_input_side: int = 0  # downscale larger frames to this side before pose estimation (0: never)
    # 'video': MediaPipe VIDEO mode (smooth, but it follows the people it found first and finds no one else);
    # 'image': a fresh detection every frame (finds newcomers, the tracker keeps the ids);
    # 'both': VIDEO mode plus an IMAGE-mode re-detection of everyone, duplicates merged: on every frame while
    #   someone VIDEO mode does not follow is in view, else every `redetect_every` frames (a newcomer is found
    #   within that many frames, at the cost of one IMAGE-mode call per `redetect_every` frames);
    # 'auto': 'video' for one person, 'both' for several.
    mode: str = "auto"
    redetect_every: int = 5
    plausibility: PlausibilityOptions = field(default_factory=PlausibilityOptions)


def pose_model_bytes(model: str = "full") -> bytes:
    """The bytes of a bundled pose model ('lite' or 'full') or of a `.task` file given by path."""
    if model in POSE_MODELS:
        resource = importlib.resources.files("assets.pose").joinpath(f"pose_landmarker_{model}.task")
        try:
            return resource.read_bytes()
        except (FileNotFoundError, ModuleNotFoundError):
            raise UserError(f"bundled pose model '{model}' is missing (assets/pose/pose_landmarker_{model}.task)") from None
    path = Path(model)
    if not path.is_file():
        raise UserError(f"pose model not found: {model} (use 'lite', 'full' or a .task file)")
    return path.read_bytes()


def is_plausible(skeleton: Skeleton, frame_size: tuple[int, int], options: PlausibilityOptions = PlausibilityOptions()) -> bool:
    """True when a detection looks like a person rather than a stray hand or foot."""
    vis = skeleton.visibility
    if int((vis >= options.min_visibility).sum()) < options.min_visible_joints:
        return False
    torso = list(_SHOULDERS + _HIPS)
    if float(vis[torso].mean()) < options.min_torso_visibility:
        return False
    if float(skeleton.presence[torso].mean()) < options.min_torso_presence:
        return False
    w, h = frame_size
    short_side = float(min(w, h)) if w > 0 and h > 0 else 1.0
    px = skeleton.pixels((w, h)) if w > 0 and h > 0 else skeleton.image[:, :2]
    shown = px[vis >= options.min_visibility]
    extent = float((shown.max(axis=0) - shown.min(axis=0)).max()) / short_side
    if extent < options.min_extent:
        return False
    mid_shoulder = px[list(_SHOULDERS)].mean(axis=0)
    mid_hip = px[list(_HIPS)].mean(axis=0)
    return float(np.linalg.norm(mid_shoulder - mid_hip)) / short_side >= options.min_torso_extent


def same_person(a: Skeleton, b: Skeleton, size: tuple[int, int], min_visibility: float = 0.5,
                max_distance: float = 0.25) -> bool:
    """True when two detections in one frame are the same person: their shared visible joints lie within
    `max_distance` of the person's size (the larger side of their joint box) on average."""
    pa, pb = a.pixels(size), b.pixels(size)
    both = (a.visibility >= min_visibility) & (b.visibility >= min_visibility)
    if both.sum() < 4:
        both = np.ones_like(both)
    extent = max(float(np.ptp(pa[both], axis=0).max()), float(np.ptp(pb[both], axis=0).max()), 1.0)
    return float(np.linalg.norm(pa[both] - pb[both], axis=1).mean()) / extent < max_distance


def merge_detections(followed: list[Skeleton], found: list[Skeleton], size: tuple[int, int],
                     limit: int) -> list[Skeleton]:
    """VIDEO-mode poses (smooth) plus the IMAGE-mode ones that are nobody already followed, at most `limit`."""
    merged = list(followed)
    for skeleton in found:
        if len(merged) >= limit:
            break
        if not any(same_person(skeleton, other, size) for other in merged):
            merged.append(skeleton)
    return merged


def _landmark_array(landmarks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MediaPipe landmark list → (V, 3) xyz, (V,) visibility, (V,) presence."""
    xyz = np.array([(lm.x, lm.y, lm.z) for lm in landmarks], dtype=np.float32)
    vis = np.array([lm.visibility if lm.visibility is not None else 1.0 for lm in landmarks], dtype=np.float32)
    pres = np.array([lm.presence if lm.presence is not None else 1.0 for lm in landmarks], dtype=np.float32)
    return xyz, vis, pres


class PoseEstimator:
    """MediaPipe PoseLandmarker in VIDEO mode. Not thread-safe: use one per thread; call `close()` when done."""

    def __init__(self, options: PoseOptions = PoseOptions()) -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        if options.num_poses < 1:
            raise UserError("num_poses must be at least 1")
        if options.mode not in ("auto", "video", "image", "both"):
            raise UserError(f"unknown pose mode {options.mode!r} (auto, video, image or both)")
        self.options = options
        self._mp = mp
        task_options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=pose_model_bytes(options.model)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=options.num_poses,
            min_pose_detection_confidence=options.min_pose_detection_confidence,
            min_pose_presence_confidence=options.min_pose_presence_confidence,
            min_tracking_confidence=options.min_tracking_confidence,
        )
        self._task_options = task_options
        self._vision = vision
        try:
            self._landmarker = vision.PoseLandmarker.create_from_options(task_options)
        except (RuntimeError, ValueError) as exc:
            raise UserError(f"cannot load pose model {options.model}: {exc}") from None
        # 'both': while one person is in view, a VIDEO-mode follower for one person does the work (asked for more,
        # MediaPipe runs its person detector on every frame that has fewer, at about twice the cost); once a
        # re-detection has found several, the follower for `num_poses` people takes over (it keeps following them in
        # small or busy scenes), and the IMAGE-mode re-detection finds those it misses
        self._single_follower = None
        if self.mode == "both":
            from dataclasses import replace as _replace

            self._single_follower = vision.PoseLandmarker.create_from_options(_replace(task_options, num_poses=1))
        self._several = False  # the last re-detection found more than one person
        self._image_landmarker = None  # IMAGE mode, made on first use (stills and re-detection)
        self._last_ms = -1
        self._frames_seen = 0
        self._last_redetect = -(10**9)  # the first frame is searched
        self._others_in_view = False  # the last re-detection found someone VIDEO mode does not follow
        self.redetections = 0  # IMAGE-mode searches so far (their cost is the price of finding several people)

    def _rgb(self, frame: Frame):
        import cv2

        image = frame.image
        if image is None:
            raise ValueError("PoseEstimator.detect needs a frame with an image")
        h, w = image.shape[:2]
        limit = self.options.max_input_side
        if limit and max(h, w) > limit:
            scale = limit / max(h, w)
            image = cv2.resize(image, (max(2, round(w * scale)), max(2, round(h * scale))), interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        return self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb), (w, h)

    @staticmethod
    def _resolve_mode(options: PoseOptions) -> str:
        if options.mode != "auto":
            return options.mode
        return "video" if options.num_poses <= 1 else "both"

    @property
    def mode(self) -> str:
        """'video', 'image' or 'both' (what 'auto' means for these options)."""
        return self._resolve_mode(self.options)

    def detect(self, frame: Frame) -> PoseResult:
        """Pose of every plausible person in a BGR frame. VIDEO mode follows the people it found (timestamps
        must increase, equal ones are nudged); IMAGE mode (several people) detects afresh each frame."""
        mode = self.mode
        if mode == "image":
            return self.detect_still(frame)
        image, size = self._rgb(frame)
        t_ms = max(round(frame.timestamp * 1000.0), self._last_ms + 1)
        self._last_ms = t_ms
        follower = self._single_follower if self._single_follower is not None and not self._several else self._landmarker
        followed = self._collect(frame, follower.detect_for_video(image, t_ms), size)
        self._frames_seen += 1
        if mode != "both":
            return followed
        due = self._others_in_view or self._frames_seen - self._last_redetect >= max(1, self.options.redetect_every)
        if not due:
            return followed
        self._last_redetect = self._frames_seen
        self.redetections += 1
        found = self.detect_still(frame)
        merged = merge_detections(followed.skeletons, found.skeletons, size, self.options.num_poses)
        self._others_in_view = len(merged) > len(followed.skeletons)
        self._several = len(merged) > 1
        return PoseResult(frame.index, frame.timestamp, merged, followed.rejected + found.rejected)

    def detect_still(self, frame: Frame) -> PoseResult:
        """Pose of every plausible person in a frame on its own (IMAGE mode: a fresh person detection, no memory
        of earlier frames): for photos, paused frames, the first frame after a seek, and re-detection."""
        if self._image_landmarker is None:
            from dataclasses import replace as _replace

            still_options = _replace(self._task_options, running_mode=self._vision.RunningMode.IMAGE,
                                     num_poses=self.options.num_poses)
            self._image_landmarker = self._vision.PoseLandmarker.create_from_options(still_options)
        image, size = self._rgb(frame)
        return self._collect(frame, self._image_landmarker.detect(image), size)

    def _collect(self, frame: Frame, result, size: tuple[int, int]) -> PoseResult:
        w, h = size
        skeletons, rejected = [], 0
        for image_lms, world_lms in zip(result.pose_landmarks, result.pose_world_landmarks):
            xyz, vis, pres = _landmark_array(image_lms)
            world, _, _ = _landmark_array(world_lms)
            skeleton = Skeleton(image=xyz, world=world, visibility=vis, presence=pres)
            if is_plausible(skeleton, (w, h), self.options.plausibility):
                skeletons.append(skeleton)
            else:
                rejected += 1
        return PoseResult(frame.index, frame.timestamp, skeletons, rejected)

    def close(self) -> None:
        for name in ("_landmarker", "_single_follower", "_image_landmarker"):
            landmarker = getattr(self, name, None)
            if landmarker is not None:
                landmarker.close()
                setattr(self, name, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:  # MediaPipe's own __del__ fails at interpreter exit; close early instead
        with contextlib.suppress(Exception):
            self.close()
