"""MediaPipe-like observation model: visibility, presence, jitter, glitches, drop-outs and lost frames.

``observe`` turns clean camera-space points into what PoseLandmarker would report. With ``noisy=False`` only the
deterministic part remains: visibility from self-occlusion and the frame edges, no jitter and no lost frames.
The magnitudes are first guesses to be tuned against real MediaPipe output (issue item 5); they live in
``NoiseConfig`` so that tuning does not touch the code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aclnet_core.data.synthetic.camera import Camera
from aclnet_core.data.synthetic.signal import smooth_noise
from aclnet_core.data.synthetic.landmarks import (
    FACE,
    JITTER_SCALE,
    L_EAR,
    L_HIP,
    L_SHOULDER,
    LEFT_SIDE,
    NOSE,
    R_EAR,
    R_HIP,
    R_SHOULDER,
    RIGHT_SIDE,
    TORSO,
    flip_permutation,
)


@dataclass(frozen=True)
class NoiseConfig:
    jitter: tuple[float, float] = (0.004, 0.014)  # per-sample jitter sd, fraction of body height (log-uniform)
    smoothing: tuple[float, float] = (0.7, 2.0)  # temporal correlation of the jitter, frames (Gaussian sd)
    depth_factor: float = 2.5  # world z jitter relative to x/y (monocular depth is the weakest)
    world_scale: tuple[float, float] = (0.92, 1.08)  # MediaPipe's metric scale is a guess
    depth_scale: tuple[float, float] = (0.75, 1.0)  # and its depth tends to be flattened
    glitch_prob: float = 0.3  # chance a sample has a few one-to-three-frame outliers
    dropout_rate: float = 0.7  # mean number of limb visibility drop-outs per sample
    lost_rate: tuple[float, float] = (0.0, 0.03)  # fraction of frames with no detection (i.i.d.)
    lost_burst_prob: float = 0.15  # chance of one burst of 3-12 lost frames
    swap_prob: float = 0.3  # chance of a left/right swap burst while the person shows their back


DEFAULT_NOISE = NoiseConfig()
_FLIP = flip_permutation()
_LEFT, _RIGHT, _FACE = np.array(LEFT_SIDE), np.array(RIGHT_SIDE), np.array(FACE)
_BASE_VISIBILITY = np.where(JITTER_SCALE > 1.5, 0.93, np.where(JITTER_SCALE > 1.1, 0.97, 0.995))
_LIMB_GROUPS = (
    np.array([13, 15, 17, 19, 21]),
    np.array([14, 16, 18, 20, 22]),
    np.array([25, 27, 29, 31]),
    np.array([26, 28, 30, 32]),
    np.array([15, 17, 19, 21]),
    np.array([16, 18, 20, 22]),
)


@dataclass
class Observation:
    world: np.ndarray  # (T, 33, 3)
    image: np.ndarray  # (T, 33, 3)
    visibility: np.ndarray  # (T, 33)
    presence: np.ndarray  # (T, 33)
    detected: np.ndarray  # (T,) bool


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def geometric_visibility(cam_points: np.ndarray, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic visibility and presence, and per frame whether the person shows their back (bool)."""
    lateral = _unit(cam_points[:, L_SHOULDER] + cam_points[:, L_HIP] - cam_points[:, R_SHOULDER] - cam_points[:, R_HIP])  # fmt: skip
    far_left = np.clip(lateral[:, 2], 0.0, 1.0)  # the person's left side points away from the camera
    occlusion = np.zeros(cam_points.shape[:2])
    occlusion[:, _LEFT] = far_left[:, None] ** 1.5
    occlusion[:, _RIGHT] = np.clip(-lateral[:, 2], 0.0, 1.0)[:, None] ** 1.5
    face_dir = _unit(cam_points[:, NOSE] - 0.5 * (cam_points[:, L_EAR] + cam_points[:, R_EAR]))
    back = face_dir[:, 2] > 0.3
    occlusion[:, _FACE] = np.maximum(occlusion[:, _FACE], np.clip(face_dir[:, 2], 0.0, 1.0)[:, None])
    x, y = image[..., 0], image[..., 1]
    outside = np.maximum(np.maximum(np.abs(x - 0.5), np.abs(y - 0.5)) - 0.5, 0.0)  # distance outside the frame
    visibility = _BASE_VISIBILITY * (1.0 - 0.55 * occlusion) * np.exp(-outside / 0.03)
    presence = 0.999 * np.exp(-outside / 0.06)
    return visibility, presence, back


def observe(
    cam_points: np.ndarray,
    camera: Camera,
    rng: np.random.Generator | None,
    body_height: float,
    config: NoiseConfig = DEFAULT_NOISE,
) -> Observation:
    """Clean camera-space landmarks -> MediaPipe-like output; ``rng=None`` means no random noise."""
    image = camera.project(cam_points)
    world = camera.world(cam_points)
    visibility, presence, back = geometric_visibility(cam_points, image)
    num_frames = cam_points.shape[0]
    detected = np.ones(num_frames, dtype=bool)
    if rng is not None:
        world, image, visibility, presence, detected = _add_noise(
            rng, config, cam_points, camera, world, image, visibility, presence, back, body_height
        )
    return Observation(world, image, visibility, presence, detected)


def _add_noise(rng, cfg: NoiseConfig, cam_points, camera, world, image, visibility, presence, back, body_height):
    num_frames, num_points = cam_points.shape[:2]
    hip_depth = 0.5 * (cam_points[:, L_HIP, 2] + cam_points[:, R_HIP, 2])
    level = float(np.exp(rng.uniform(np.log(cfg.jitter[0]), np.log(cfg.jitter[1]))))
    # Jitter grows where MediaPipe is unsure: hands and feet, occluded and out-of-frame points.
    scale = JITTER_SCALE * (1.0 + 2.0 * (1.0 - visibility / _BASE_VISIBILITY))
    for _ in range(rng.poisson(cfg.dropout_rate)):
        group = _LIMB_GROUPS[rng.integers(len(_LIMB_GROUPS))]
        start, length = rng.integers(num_frames), rng.integers(5, 31)
        sl = slice(start, start + length)
        visibility[sl, group[:, None]] *= rng.uniform(0.1, 0.5)
        scale[sl, group[:, None]] *= 3.0
    noise = smooth_noise(rng, num_frames, num_points * 3, rng.uniform(*cfg.smoothing)).reshape(num_frames, num_points, 3)
    if rng.random() < cfg.glitch_prob:
        for _ in range(rng.integers(1, 4)):
            t, j = rng.integers(num_frames), rng.integers(num_points)
            noise[t : t + rng.integers(1, 4), j] += rng.normal(0.0, rng.uniform(4.0, 8.0), 3)
    noise *= scale[..., None] * (level * body_height)  # metres
    # Image: metres -> normalised image units at the person's depth (z uses the x scale, as MediaPipe's does).
    to_image = (camera.focal / hip_depth)[:, None, None] * np.array([1.0 / camera.width, 1.0 / camera.height, cfg.depth_factor / camera.width])  # fmt: skip
    image = image + noise * to_image
    # World: MediaPipe's metric scale is a guess and its depth is flattened.
    world_scale = rng.uniform(*cfg.world_scale) * np.array([1.0, 1.0, rng.uniform(*cfg.depth_scale)])
    world = world * world_scale + noise * (world_scale * np.array([1.0, 1.0, cfg.depth_factor]))
    if back.any() and rng.random() < cfg.swap_prob:  # MediaPipe mixes up left and right on back views
        frames = np.flatnonzero(back)
        start = frames[rng.integers(len(frames))]
        sl = slice(start, start + rng.integers(3, 16))
        world[sl], image[sl] = world[sl][:, _FLIP], image[sl][:, _FLIP]
    world -= 0.5 * (world[:, L_HIP] + world[:, R_HIP])[:, None]
    score_noise = smooth_noise(rng, num_frames, 2 * num_points, 2.0)
    visibility = np.clip(visibility + 0.03 * score_noise[:, :num_points], 0.0, 1.0)
    presence = np.clip(presence + 0.01 * score_noise[:, num_points:], 0.0, 1.0)
    detected = rng.random(num_frames) >= rng.uniform(*cfg.lost_rate)
    if rng.random() < cfg.lost_burst_prob:
        start = rng.integers(num_frames)
        detected[start : start + rng.integers(3, 13)] = False
    inside = (np.abs(image[:, TORSO, :2] - 0.5) <= 0.5).all(-1)
    detected &= inside.sum(axis=1) >= 2  # the detector needs some of the torso in view
    if not detected.all():
        lost = ~detected
        world[lost], image[lost], visibility[lost], presence[lost] = 0.0, 0.0, 0.0, 0.0
    return world, image, visibility, presence, detected
