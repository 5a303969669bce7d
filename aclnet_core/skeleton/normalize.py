"""Normalise skeleton sequences: centre, scale and (3D) view alignment, leaving missing joints at zero.

Conventions (see docs/LAYOUTS.md):

* A joint is *missing* when all its coordinates are zero (or not finite); a frame is missing for a person when
  all its joints are. Missing joints stay exactly zero through every step.
* The *reference person* is the one with the most non-missing frames (person 0 on ties). Its statistics are
  applied to all persons, so their relative positions are kept.
* Centre: the layout's centre (``layout.center_of``: the centre joint, or mid-hip) of the reference person,
  **averaged over the frames where it is present** (robust to a noisy first frame, and stable for the short
  sliding windows of the live app). It is subtracted from every present joint.
* Scale: the **median** torso length (``layout.torso_length``) of the reference person over the frames where the
  torso joints are present; skipped when that is below 1e-6 or undefined.
* Align (C = 3 only; a no-op for C = 2): one rotation about the vertical (y) axis per sequence that makes the
  hip line (the shoulder line if hips are missing) parallel to x, with the person facing the camera: right hip
  minus left hip points along +x for y-up layouts and along −x for y-down layouts (the two conventions differ by a
  180° rotation about z). The direction is the mean of the per-frame unit directions; if they cancel out
  (e.g. the person turns around, resultant < 0.3) the first present frame's direction is used.
* All transforms act about the centre; with ``center=False`` the centre is added back at the end.
* ``score`` (M, T, V), when given, only excludes joints with score <= 0 from these statistics.
"""

from __future__ import annotations

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.skeleton.layouts import SkeletonLayout, get_layout

__all__ = [
    "alignment_angle",
    "frame_mask",
    "joint_mask",
    "normalize_sequence",
    "reference_person",
    "rotation_y",
]  # fmt: skip

_MIN_SCALE = 1e-6
_MIN_RESULTANT = 0.3


def joint_mask(kp: np.ndarray) -> np.ndarray:
    """(…, V, C) -> (…, V) True where the joint is present (any non-zero coordinate)."""
    return np.any(kp != 0, axis=-1)


def frame_mask(kp: np.ndarray) -> np.ndarray:
    """(M, T, V, C) -> (M, T) True where the person has at least one present joint."""
    return np.any(kp != 0, axis=(-1, -2))


def reference_person(kp: np.ndarray) -> int:
    """Index of the person with the most present frames (the first one on ties)."""
    return int(np.argmax(frame_mask(kp).sum(axis=1))) if kp.shape[0] else 0


def rotation_y(angle: float) -> np.ndarray:
    """3x3 rotation about y that maps the x-z direction (cos a, sin a) onto +x."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _mean_direction(vec: np.ndarray) -> np.ndarray | None:
    """(N, 2) x-z vectors -> a representative unit direction, or None."""
    norms = np.linalg.norm(vec, axis=-1)
    vec = vec[norms > _MIN_SCALE]
    if len(vec) == 0:
        return None
    unit = vec / np.linalg.norm(vec, axis=-1, keepdims=True)
    mean = unit.mean(axis=0)
    return mean if np.linalg.norm(mean) >= _MIN_RESULTANT else unit[0]


def alignment_angle(ref: np.ndarray, present: np.ndarray, layout: SkeletonLayout) -> float | None:
    """Angle of the reference person's hip (else shoulder) line in the x-z plane; None when undefined.

    ``ref`` is (T, V, 3), ``present`` (T, V).
    """
    sign = 1.0 if layout.y_up else -1.0
    for left, right in (layout.hips, layout.shoulders):
        ok = present[:, left] & present[:, right]
        direction = _mean_direction(sign * (ref[ok, right] - ref[ok, left])[:, [0, 2]])
        if direction is not None:
            return float(np.arctan2(direction[1], direction[0]))
    return None


def normalize_sequence(
    kp: np.ndarray,
    layout: str | SkeletonLayout,
    center: bool = True,
    scale: bool = True,
    align: bool = False,
    score: np.ndarray | None = None,
) -> np.ndarray:
    """(M, T, V, C) -> normalised float32 copy (see the module docstring for the exact rules)."""
    layout = get_layout(layout)
    kp = np.asarray(kp, dtype=np.float32)
    if kp.ndim != 4 or kp.shape[2] != layout.num_joints or kp.shape[3] not in (2, 3):
        raise UserError(f"expected {layout.name} keypoints (M, T, {layout.num_joints}, 2|3), got {kp.shape}")
    kp = np.where(np.isfinite(kp), kp, 0).astype(np.float32)
    present = joint_mask(kp)  # (M, T, V)
    if not present.any() or not (center or scale or align):
        return kp
    stats_ok = present if score is None else present & (np.asarray(score).reshape(present.shape) > 0)

    m = reference_person(kp)
    ref, ref_ok = kp[m].astype(np.float64), stats_ok[m]  # (T, V, C), (T, V)
    centre_frames = ref_ok[:, list(layout.center_joints())].all(axis=1)
    if centre_frames.any():
        origin = layout.center_of(ref[centre_frames]).mean(axis=0)
    elif ref_ok.any():
        origin = ref[ref_ok].mean(axis=0)  # centre joint never seen: fall back to the mean present joint
    else:
        origin = kp[present].astype(np.float64).mean(axis=0)
    out = kp.astype(np.float64) - origin

    if align and kp.shape[3] == 3:
        angle = alignment_angle(ref - origin, ref_ok, layout)
        if angle is not None:
            out = out @ rotation_y(angle).T

    if scale:
        torso_frames = ref_ok[:, list(layout.torso_joints())].all(axis=1)
        lengths = layout.torso_length(ref[torso_frames]) if torso_frames.any() else np.empty(0)
        torso = float(np.median(lengths)) if len(lengths) else 0.0
        if np.isfinite(torso) and torso > _MIN_SCALE:
            out /= torso

    if not center:
        out += origin
    out[~present] = 0
    return out.astype(np.float32)
