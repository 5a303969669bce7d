"""Convert MediaPipe-33 poses to the COCO-17, Kinect-20 (NW-UCLA) and NTU-25 layouts.

Every mapping is linear: each target joint is a fixed weighted mean of MediaPipe joints (a direct copy, a
midpoint or an interpolation along the spine), so a conversion is one matrix product over the joint axis.
A target joint is zero (missing) when any MediaPipe joint it is built from is all-zero. When the target layout
uses the other axis convention (``y_up``), x and y are negated: a 180° rotation about the camera axis, which
keeps left and right. docs/LAYOUTS.md lists every mapping.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.skeleton.layouts import LAYOUTS, SkeletonLayout, get_layout

__all__ = [
    "NECK_FRACTION_NTU",
    "SPINE_FRACTION_KINECT",
    "SPINE_MID_FRACTION_NTU",
    "conversion_matrix",
    "convert",
    "convert_score",
    "mediapipe33_to_coco17",
    "mediapipe33_to_kinect20",
    "mediapipe33_to_ntu25",
    "supported_conversions",
]  # fmt: skip

# Kinect v1 'Spine' sits ~17-20 % of the way from HipCenter to ShoulderCenter (median over NW-UCLA frames).
SPINE_FRACTION_KINECT = 0.2
# NTU (Kinect v2) 'spine_mid' is about half way from spine_base to spine_shoulder.
SPINE_MID_FRACTION_NTU = 0.5
# NTU 'neck' is a little above spine_shoulder, on the way to the head centre (mid-ear).
NECK_FRACTION_NTU = 0.4

_MP = LAYOUTS["mediapipe33"]


def _mid(a: int, b: int) -> dict[int, float]:
    return {a: 0.5, b: 0.5}


def _lerp(a: dict[int, float], b: dict[int, float], t: float) -> dict[int, float]:
    """(1 - t) * a + t * b for weighted joint combinations."""
    out: dict[int, float] = {}
    for j, w in a.items():
        out[j] = out.get(j, 0.0) + (1 - t) * w
    for j, w in b.items():
        out[j] = out.get(j, 0.0) + t * w
    return out


_MID_HIP = _mid(23, 24)
_MID_SHOULDER = _mid(11, 12)
_MID_EAR = _mid(7, 8)

_RECIPES: dict[str, list[int | dict[int, float]]] = {
    "coco17": [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28],
    "kinect20": [
        _MID_HIP,  # 0 hip_center
        _lerp(_MID_HIP, _MID_SHOULDER, SPINE_FRACTION_KINECT),  # 1 spine
        _MID_SHOULDER,  # 2 shoulder_center
        _MID_EAR,  # 3 head
        11,
        13,
        15,
        _mid(17, 19),  # 4-7 left shoulder, elbow, wrist, hand (pinky/index mean)
        12,
        14,
        16,
        _mid(18, 20),  # 8-11 right
        23,
        25,
        27,
        31,  # 12-15 left hip, knee, ankle, foot (foot_index)
        24,
        26,
        28,
        32,  # 16-19 right
    ],
    "ntu25": [
        _MID_HIP,  # 0 spine_base
        _lerp(_MID_HIP, _MID_SHOULDER, SPINE_MID_FRACTION_NTU),  # 1 spine_mid
        _lerp(_MID_SHOULDER, _MID_EAR, NECK_FRACTION_NTU),  # 2 neck
        _MID_EAR,  # 3 head
        11,
        13,
        15,
        _mid(17, 19),  # 4-7 left shoulder, elbow, wrist, hand
        12,
        14,
        16,
        _mid(18, 20),  # 8-11 right
        23,
        25,
        27,
        31,  # 12-15 left hip, knee, ankle, foot
        24,
        26,
        28,
        32,  # 16-19 right
        _MID_SHOULDER,  # 20 spine_shoulder
        19,
        21,  # 21 left hand tip (index), 22 left thumb
        20,
        22,  # 23 right hand tip (index), 24 right thumb
    ],
}


def _matrix(recipe: list[int | dict[int, float]]) -> np.ndarray:
    w = np.zeros((len(recipe), _MP.num_joints), dtype=np.float64)
    for row, item in enumerate(recipe):
        for j, weight in ({item: 1.0} if isinstance(item, int) else item).items():
            w[row, j] += weight
    return w


_MATRICES: dict[tuple[str, str], np.ndarray] = {("mediapipe33", dst): _matrix(r) for dst, r in _RECIPES.items()}


def conversion_matrix(src: str, dst: str) -> np.ndarray:
    """(V_dst, V_src) weights: target joint = sum_j w[target, j] * source joint."""
    _check_pair(src, dst)
    return _MATRICES[(src, dst)].copy()


def supported_conversions() -> list[tuple[str, str]]:
    return sorted(_MATRICES)


def _check_pair(src: str, dst: str) -> None:
    get_layout(src), get_layout(dst)
    if (src, dst) not in _MATRICES:
        pairs = ", ".join(f"{a}->{b}" for a, b in supported_conversions())
        raise UserError(f"cannot convert skeletons from {src} to {dst}; supported: {pairs}")


_CACHE: dict[tuple[str, str, np.dtype], tuple[np.ndarray, np.ndarray]] = {}


def _pair_matrices(src: str, dst: str, dtype) -> tuple[np.ndarray, np.ndarray]:
    """(weights in dtype, (V_src, V_dst) float32 'is a source of' matrix) for a pair, cached."""
    key = (src, dst, np.dtype(dtype))
    if key not in _CACHE:
        w = _MATRICES[(src, dst)]
        _CACHE[key] = (w.astype(dtype), (w != 0).T.astype(np.float32))
    return _CACHE[key]


def _apply(kp: np.ndarray, src: SkeletonLayout, dst: SkeletonLayout) -> np.ndarray:
    kp = np.asarray(kp)
    if kp.ndim < 2 or kp.shape[-2] != src.num_joints:
        raise UserError(f"expected {src.name} keypoints of shape (..., {src.num_joints}, C), got {kp.shape}")
    dtype = kp.dtype if np.issubdtype(kp.dtype, np.floating) else np.float32
    weights, used = _pair_matrices(src.name, dst.name, dtype)
    out = np.matmul(weights, kp.astype(dtype, copy=False))  # (U, V) @ (..., V, C) -> (..., U, C)
    missing = ~np.any(kp != 0, axis=-1)  # (..., V)
    if missing.any():
        out[(missing.astype(np.float32) @ used) > 0] = 0
    if src.y_up != dst.y_up:
        out[..., :2] *= -1  # 180° rotation about the camera axis: x and y flip sign, chirality kept
    return out


def mediapipe33_to_coco17(kp: np.ndarray) -> np.ndarray:
    """(…, 33, C) -> (…, 17, C): a direct index mapping (same axis convention)."""
    return _apply(kp, _MP, LAYOUTS["coco17"])


def mediapipe33_to_kinect20(kp: np.ndarray) -> np.ndarray:
    """(…, 33, C) -> (…, 20, C) in the Kinect (y up) convention, with synthesised spine/head/hand joints."""
    return _apply(kp, _MP, LAYOUTS["kinect20"])


def mediapipe33_to_ntu25(kp: np.ndarray) -> np.ndarray:
    """(…, 33, C) -> (…, 25, C) in the Kinect (y up) convention, with synthesised spine/neck/head/hand joints."""
    return _apply(kp, _MP, LAYOUTS["ntu25"])


def convert(kp: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert (…, V_src, C) keypoints between layouts; the same layout returns a copy."""
    if src == dst:
        get_layout(src)
        return np.array(kp, copy=True)
    _check_pair(src, dst)
    return _apply(kp, get_layout(src), get_layout(dst))


def convert_score(score: np.ndarray | None, src: str, dst: str) -> np.ndarray | None:
    """(…, V_src) confidences -> (…, V_dst): each target joint gets the lowest score of its sources (None -> None)."""
    if score is None:
        return None
    score = np.asarray(score)
    if src == dst:
        get_layout(src)
        return np.array(score, copy=True)
    _check_pair(src, dst)
    used = _MATRICES[(src, dst)] != 0  # (V_dst, V_src)
    masked = np.where(used, score[..., None, :], np.inf)  # (..., V_dst, V_src)
    return masked.min(axis=-1).astype(score.dtype if np.issubdtype(score.dtype, np.floating) else np.float32)


CONVERTERS: dict[tuple[str, str], Callable[[np.ndarray], np.ndarray]] = {
    ("mediapipe33", "coco17"): mediapipe33_to_coco17,
    ("mediapipe33", "kinect20"): mediapipe33_to_kinect20,
    ("mediapipe33", "ntu25"): mediapipe33_to_ntu25,
}
