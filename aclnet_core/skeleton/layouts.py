"""Skeleton layouts: joint names, bone tree, left/right pairs and the joints used for normalisation.

Coordinate conventions (``SkeletonLayout.y_up``):

* ``y_up=True`` (ntu25, kinect20): Kinect camera space, x to the sensor's left, y up, z away from the camera.
* ``y_up=False`` (mediapipe33, coco17): image convention, x to the right, y down, z away from the camera
  (MediaPipe image and world landmarks, COCO pixels).

Both frames are right-handed and differ by a 180° rotation about the camera axis (x and y negated), which is
what :mod:`aclnet_core.skeleton.convert` applies when it changes convention. x is the lateral axis in both, so a
mirror flip always negates x. See docs/LAYOUTS.md for the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["LAYOUTS", "SkeletonLayout", "get_layout", "layout_names"]


@dataclass(frozen=True)
class SkeletonLayout:
    """A joint layout. ``center``/``torso`` are None where the layout has no such joint(s) (mid-hip is used)."""

    name: str
    joints: tuple[str, ...]
    parents: tuple[int, ...]  # parent of each joint; the root is its own parent
    flip_pairs: tuple[tuple[int, int], ...]
    center: int | None  # centre joint; None -> virtual centre = mean of the two hips
    torso: tuple[int, int] | None  # joints whose distance is the torso length; None -> mid-hip to mid-shoulder
    hips: tuple[int, int]  # (left, right)
    shoulders: tuple[int, int]  # (left, right)
    y_up: bool  # True: y points up (Kinect); False: y points down (image / MediaPipe)
    _flip_perm: np.ndarray = field(init=False, repr=False, compare=False)
    _grandparents: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        perm = np.arange(len(self.joints))
        for left, right in self.flip_pairs:
            perm[left], perm[right] = right, left
        parents = np.asarray(self.parents, dtype=np.int64)
        object.__setattr__(self, "_flip_perm", perm)
        object.__setattr__(self, "_grandparents", parents[parents])

    @property
    def num_joints(self) -> int:
        return len(self.joints)

    @property
    def root(self) -> int:
        """The joint that is its own parent (its bone is the zero vector)."""
        return next(i for i, p in enumerate(self.parents) if p == i)

    @property
    def flip_permutation(self) -> np.ndarray:
        """Index array that swaps every left joint with its right partner."""
        return self._flip_perm.copy()

    @property
    def grandparents(self) -> np.ndarray:
        """Two-hop ancestor of each joint (the root's children get the root)."""
        return self._grandparents.copy()

    def index(self, joint_name: str) -> int:
        return self.joints.index(joint_name)

    def center_of(self, kp: np.ndarray) -> np.ndarray:
        """(…, V, C) -> (…, C): the centre joint, or the mean of the two hips when the layout has none."""
        if self.center is not None:
            return kp[..., self.center, :]
        return 0.5 * (kp[..., self.hips[0], :] + kp[..., self.hips[1], :])

    def center_joints(self) -> tuple[int, ...]:
        """Joints the centre is computed from (all must be present for a valid centre)."""
        return (self.center,) if self.center is not None else self.hips

    def torso_ends(self, kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(…, V, C) -> the two (…, C) end points of the torso segment."""
        if self.torso is not None:
            return kp[..., self.torso[0], :], kp[..., self.torso[1], :]
        hip = 0.5 * (kp[..., self.hips[0], :] + kp[..., self.hips[1], :])
        shoulder = 0.5 * (kp[..., self.shoulders[0], :] + kp[..., self.shoulders[1], :])
        return hip, shoulder

    def torso_joints(self) -> tuple[int, ...]:
        """Joints the torso length is computed from (all must be present)."""
        return self.torso if self.torso is not None else self.hips + self.shoulders

    def torso_length(self, kp: np.ndarray) -> np.ndarray:
        """(…, V, C) -> (…,) torso length."""
        a, b = self.torso_ends(kp)
        return np.linalg.norm(a - b, axis=-1)


def _check(layout: SkeletonLayout) -> SkeletonLayout:
    """Fail at import time if a table below is inconsistent."""
    v = layout.num_joints
    assert len(layout.parents) == v and len(set(layout.joints)) == v, layout.name
    assert all(0 <= p < v for p in layout.parents), layout.name
    assert sum(p == i for i, p in enumerate(layout.parents)) == 1, layout.name
    flat = [j for pair in layout.flip_pairs for j in pair]
    assert len(flat) == len(set(flat)) and all(0 <= j < v for j in flat), layout.name
    # every joint reaches the root (a tree, no cycles)
    for j in range(v):
        seen = 0
        while layout.parents[j] != j:
            j = layout.parents[j]
            seen += 1
            assert seen <= v, layout.name
    return layout


_MP_JOINTS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip
# Rooted at left_hip (23): right_hip hangs off the left hip, each shoulder off its hip, the nose off the left
# shoulder (MediaPipe has no neck), face points off the nose, hands off the wrists, feet off the ankles.
_MP_PARENTS = (
    11, 0, 1, 2, 0, 4, 5, 3, 6, 0, 0, 23, 24, 11, 12, 13, 14, 15, 16, 15, 16, 15, 16,
    23, 23, 23, 24, 25, 26, 27, 28, 27, 28,
)  # fmt: skip
MEDIAPIPE33 = _check(SkeletonLayout(
    name="mediapipe33",
    joints=_MP_JOINTS,
    parents=_MP_PARENTS,
    flip_pairs=((1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18), (19, 20),
                (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32)),
    center=None, torso=None, hips=(23, 24), shoulders=(11, 12), y_up=False,
))  # fmt: skip

NTU25 = _check(SkeletonLayout(
    name="ntu25",
    joints=("spine_base", "spine_mid", "neck", "head", "left_shoulder", "left_elbow", "left_wrist", "left_hand",
            "right_shoulder", "right_elbow", "right_wrist", "right_hand", "left_hip", "left_knee", "left_ankle",
            "left_foot", "right_hip", "right_knee", "right_ankle", "right_foot", "spine_shoulder",
            "left_hand_tip", "left_thumb", "right_hand_tip", "right_thumb"),
    # PYSKL 'nturgb+d' bone pairs: rooted at spine_shoulder (20); hand tip -> thumb -> hand, as in PYSKL.
    parents=(1, 20, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18, 20, 22, 7, 24, 11),
    flip_pairs=((4, 8), (5, 9), (6, 10), (7, 11), (12, 16), (13, 17), (14, 18), (15, 19), (21, 23), (22, 24)),
    center=1, torso=(0, 20), hips=(12, 16), shoulders=(4, 8), y_up=True,
))  # fmt: skip

KINECT20 = _check(SkeletonLayout(
    name="kinect20",
    joints=("hip_center", "spine", "shoulder_center", "head", "shoulder_left", "elbow_left", "wrist_left",
            "hand_left", "shoulder_right", "elbow_right", "wrist_right", "hand_right", "hip_left", "knee_left",
            "ankle_left", "foot_left", "hip_right", "knee_right", "ankle_right", "foot_right"),
    # CTR-GCN NW-UCLA graph: rooted at shoulder_center (2).
    parents=(1, 2, 2, 2, 2, 4, 5, 6, 2, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18),
    flip_pairs=((4, 8), (5, 9), (6, 10), (7, 11), (12, 16), (13, 17), (14, 18), (15, 19)),
    center=1, torso=(0, 2), hips=(12, 16), shoulders=(4, 8), y_up=True,
))  # fmt: skip

COCO17 = _check(SkeletonLayout(
    name="coco17",
    joints=("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
            "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
            "right_knee", "left_ankle", "right_ankle"),
    # PYSKL 'coco' bone pairs: rooted at the nose (0).
    parents=(0, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 0, 0, 11, 12, 13, 14),
    flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
    center=None, torso=None, hips=(11, 12), shoulders=(5, 6), y_up=False,
))  # fmt: skip

LAYOUTS: dict[str, SkeletonLayout] = {lay.name: lay for lay in (MEDIAPIPE33, NTU25, KINECT20, COCO17)}


def layout_names() -> list[str]:
    return sorted(LAYOUTS)


def get_layout(name: str | SkeletonLayout) -> SkeletonLayout:
    """Look a layout up by name (a layout passes through); UserError lists the known names."""
    if isinstance(name, SkeletonLayout):
        return name
    try:
        return LAYOUTS[name]
    except (KeyError, TypeError):
        raise UserError(f"unknown skeleton layout {name!r}; known layouts: {', '.join(layout_names())}") from None
