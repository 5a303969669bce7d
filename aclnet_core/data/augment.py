"""Training augmentations on normalised (M, T, V, C) sequences; numpy with an explicit np.random.Generator.

Missing (all-zero) joints stay zero through every augmentation. Defaults: random rotation of ±0.2 rad about
each axis (ACLNet/PYSKL RandomRot) and a mirror flip with p = 0.5; scale, temporal crop and jitter are off.
``rotate_y`` widens the yaw alone (about the vertical y axis of Kinect, mocap and MediaPipe world joints): a
camera elsewhere on the floor sees the body turned about that axis, while tilts stay small. ``rotate_z`` sets the
roll (about the depth axis z) apart from the pitch: a level camera never rolls, so ``rotate_z=0`` keeps pitch and yaw.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.skeleton.layouts import SkeletonLayout, get_layout

__all__ = [
    "AugmentConfig",
    "augment",
    "flip",
    "jitter",
    "random_rotate",
    "random_rotation_matrix",
    "random_scale",
    "rotate_yaw",
    "temporal_crop",
    "yaw_matrix",
]  # fmt: skip


@dataclass(frozen=True)
class AugmentConfig:
    rotate: float = 0.2  # max |angle| in radians about each axis (3D only); 0 = off
    rotate_y: float | None = None  # max |angle| about the vertical y axis (yaw: a camera's azimuth); None = rotate
    rotate_z: float | None = None  # max |angle| about the depth axis z (roll; a level camera has none); None = rotate
    flip_p: float = 0.5  # probability of a mirror flip (x negated + left/right swap)
    scale: float = 0.0  # isotropic scale factor drawn from [1 - scale, 1 + scale]; 0 = off
    crop_min: float = 1.0  # temporal crop keeps a random interval of ratio in [crop_min, 1]; 1 = off
    jitter: float = 0.0  # std of Gaussian noise added to present joints (normalised units); 0 = off

    def __post_init__(self) -> None:
        for name in ("rotate_y", "rotate_z"):
            r = getattr(self, name)
            if r is not None and (isinstance(r, bool) or not isinstance(r, (int, float)) or not r >= 0):
                raise UserError(f"{name} must be a non-negative angle in radians or null, got {r!r}")
        if not (self.rotate >= 0 and 0 <= self.flip_p <= 1 and 0 <= self.scale < 1 and self.jitter >= 0):
            raise UserError(f"invalid augmentation settings: {self}")
        if not 0 < self.crop_min <= 1:
            raise UserError(f"crop_min must be in (0, 1], got {self.crop_min}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> AugmentConfig:
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise UserError(f"unknown augmentation settings: {', '.join(sorted(unknown))}")
        return cls(**d)


def _present(kp: np.ndarray) -> np.ndarray:
    return np.any(kp != 0, axis=-1, keepdims=True)


def yaw_matrix(angle: float) -> np.ndarray:
    """Ry: the turn by ``angle`` radians about the vertical y axis."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def random_rotation_matrix(
    rng: np.random.Generator, theta: float, theta_y: float | None = None, theta_z: float | None = None
) -> np.ndarray:
    """R = Rz @ Ry @ Rx with each angle uniform in [-theta, theta]; the y (z) angle in [-theta_y, theta_y]
    ([-theta_z, theta_z]) when given. Three angles are drawn either way, so an unset range reproduces old runs."""
    limits = np.array([theta, theta if theta_y is None else theta_y, theta if theta_z is None else theta_z])
    ax, ay, az = rng.uniform(-limits, limits)
    cx, sx, cz, sz = np.cos(ax), np.sin(ax), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = yaw_matrix(ay)
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def random_rotate(
    kp: np.ndarray,
    rng: np.random.Generator,
    theta: float,
    theta_y: float | None = None,
    theta_z: float | None = None,
) -> np.ndarray:
    """Rotate 3D joints about the origin (yaw ``theta_y``, roll ``theta_z`` when given); 2D input is unchanged."""
    ranges = (theta, theta if theta_y is None else theta_y, theta if theta_z is None else theta_z)
    if kp.shape[-1] != 3 or max(ranges) <= 0:
        return kp
    r = random_rotation_matrix(rng, theta, theta_y, theta_z).astype(kp.dtype)
    return (kp @ r.T) * _present(kp)


def rotate_yaw(kp: np.ndarray, angle: float, center_x: float = 0.0, center_z: float = 0.0) -> np.ndarray:
    """Turn 3D joints by ``angle`` radians about the vertical y axis through (center_x, ·, center_z), as
    :func:`random_rotation_matrix` turns them (its Ry); missing joints stay zero."""
    if kp.shape[-1] != 3:
        raise UserError("a yaw turn needs 3D joints (x, y, z)")
    ry = yaw_matrix(angle).astype(kp.dtype)
    shift = np.array([center_x, 0.0, center_z], dtype=kp.dtype)
    return ((kp - shift) @ ry.T + shift) * _present(kp)


def flip(
    kp: np.ndarray, layout: str | SkeletonLayout, score: np.ndarray | None = None, center_x: float = 0.0
) -> tuple[np.ndarray, np.ndarray | None]:
    """Mirror x about ``center_x`` and swap left/right joints (and their scores). Flipping twice is identity."""
    layout = get_layout(layout)
    perm = layout.flip_permutation
    out = kp[:, :, perm].copy()
    present = _present(out)
    out[..., 0] = 2 * center_x - out[..., 0]
    out *= present
    return out, (None if score is None else score[:, :, perm].copy())


def random_scale(kp: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    if amount <= 0:
        return kp
    return kp * np.float32(rng.uniform(1 - amount, 1 + amount))


def temporal_crop(
    kp: np.ndarray, rng: np.random.Generator, crop_min: float, score: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Keep a random contiguous interval of ratio uniform in [crop_min, 1] (at least one frame).

    The sampler then resamples the interval uniformly to the window.
    """
    t = kp.shape[1]
    if crop_min >= 1 or t <= 1:
        return kp, score
    length = max(1, min(t, round(t * rng.uniform(crop_min, 1.0))))
    start = int(rng.integers(0, t - length + 1))
    sl = slice(start, start + length)
    return kp[:, sl], (None if score is None else score[:, sl])


def jitter(kp: np.ndarray, rng: np.random.Generator, std: float) -> np.ndarray:
    if std <= 0:
        return kp
    return (kp + rng.normal(0.0, std, size=kp.shape).astype(kp.dtype)) * _present(kp)


def augment(
    kp: np.ndarray,
    layout: str | SkeletonLayout,
    cfg: AugmentConfig,
    rng: np.random.Generator,
    score: np.ndarray | None = None,
    flip_center_x: float = 0.0,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Crop, flip, rotate, scale and jitter a normalised (M, T, V, C) sequence; returns (kp, score)."""
    kp = np.asarray(kp, dtype=np.float32)
    kp, score = temporal_crop(kp, rng, cfg.crop_min, score)
    if cfg.flip_p > 0 and rng.random() < cfg.flip_p:
        kp, score = flip(kp, layout, score, flip_center_x)
    kp = random_rotate(kp, rng, cfg.rotate, cfg.rotate_y, cfg.rotate_z)
    kp = random_scale(kp, rng, cfg.scale)
    kp = jitter(kp, rng, cfg.jitter)
    return kp.astype(np.float32, copy=False), score
