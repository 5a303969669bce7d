"""MediaPipe-like observation model: visibility, presence, jitter, glitches, drop-outs and lost frames.

``observe`` turns clean camera-space points into what PoseLandmarker would report. With ``noisy=False`` only the
deterministic part remains: visibility from self-occlusion and the frame edges, no jitter and no lost frames.
The magnitudes are first guesses to be tuned against real MediaPipe output (issue item 5); they live in
``NoiseConfig`` so that tuning does not touch the code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aclnet_core.data.synthetic.camera import Camera, hip_centred, project
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
from aclnet_core.data.synthetic.temporal_noise import smooth_noise


@dataclass(frozen=True)
class NoiseConfig:
    # Jitter level and smoothing are fitted to real MediaPipe Tasks output after the app's One-Euro filter
    # (`python -m aclnet_core.eval.realism`, docs/RESULTS.md): three real clips show a median second difference
    # of 0.6 (standing) to 5.1 mm (walking) per 30 fps frame and a limb-length CV of 0.03-0.07; the first
    # generator (sd 0.4-1.4 % of height, 0.7-2 frames) gave 35-43 mm and 0.08, these values 3.0-4.6 mm and 0.06.
    jitter: tuple[float, float] = (0.003, 0.010)  # per-sample jitter sd, fraction of body height (log-uniform)
    smoothing: tuple[float, float] = (4.0, 10.0)  # temporal correlation of the jitter, frames (Gaussian sd)
    depth_factor: float = 2.5  # world z jitter relative to x/y (monocular depth is the weakest)
    world_scale: tuple[float, float] = (0.92, 1.08)  # MediaPipe's metric scale is a guess
    # and its depth scale is poorly determined: real clips show z extents 1.2-2.1x the x extent, where
    # undistorted synthetic bodies give 1.0-1.4
    depth_scale: tuple[float, float] = (0.8, 1.5)
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
    return v / np.maximum(np.sqrt((v * v).sum(axis=-1, keepdims=True)), 1e-9)


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
    visibility = _BASE_VISIBILITY * (1.0 - 0.4 * occlusion) * np.exp(-outside / 0.03)
    presence = 0.999 * np.exp(-outside / 0.06)
    return visibility, presence, back


@dataclass
class NoiseDraw:
    """Everything random about one clip's observation, drawn before the geometry is known."""

    level: float  # jitter sd as a fraction of body height
    unit: np.ndarray  # (T, 33, 3) temporally correlated unit noise, glitches included
    dropouts: list[tuple[np.ndarray, int, int, float]]  # (landmarks, first frame, stop frame, visibility factor)
    world_scale: np.ndarray  # (3,) metric scale error and depth flattening of the world landmarks
    swap: tuple[float, int] | None  # left/right swap: where among the back-view frames (0..1), how long
    lost: np.ndarray  # (T,) bool, frames the detector misses (before the torso-in-view rule)


def draw_noise(rng: np.random.Generator, num_frames: int, cfg: NoiseConfig = DEFAULT_NOISE) -> NoiseDraw:
    level = float(np.exp(rng.uniform(np.log(cfg.jitter[0]), np.log(cfg.jitter[1]))))
    dropouts = []
    for _ in range(rng.poisson(cfg.dropout_rate)):
        group = _LIMB_GROUPS[rng.integers(len(_LIMB_GROUPS))]
        start = int(rng.integers(num_frames))
        dropouts.append((group, start, min(start + int(rng.integers(5, 31)), num_frames), rng.uniform(0.1, 0.5)))
    unit = smooth_noise(rng, num_frames, 33 * 3, rng.uniform(*cfg.smoothing)).reshape(num_frames, 33, 3)
    if rng.random() < cfg.glitch_prob:
        for _ in range(rng.integers(1, 4)):
            t, j = rng.integers(num_frames), rng.integers(33)
            unit[t : t + rng.integers(1, 4), j] += rng.normal(0.0, rng.uniform(4.0, 8.0), 3)
    world_scale = rng.uniform(*cfg.world_scale) * np.array([1.0, 1.0, rng.uniform(*cfg.depth_scale)])
    swap = (float(rng.random()), int(rng.integers(3, 16))) if rng.random() < cfg.swap_prob else None
    lost = rng.random(num_frames) < rng.uniform(*cfg.lost_rate)
    if rng.random() < cfg.lost_burst_prob:
        start = rng.integers(num_frames)
        lost[start : start + rng.integers(3, 13)] = True
    return NoiseDraw(level, unit, dropouts, world_scale, swap, lost)


def observe_batch(
    cam_points: np.ndarray,
    focal: np.ndarray,
    image_size: tuple[int, int],
    bounds: np.ndarray,
    heights: list[float],
    draws: list[NoiseDraw] | None,
    cfg: NoiseConfig = DEFAULT_NOISE,
) -> Observation:
    """Clean camera-space landmarks of several clips (rows ``bounds[b]:bounds[b+1]``) -> MediaPipe-like output.

    ``focal`` holds each row's focal length (pixels), ``heights`` each clip's body height, ``draws`` each clip's
    random draws (None: no noise). Every clip's result depends only on its own rows and draw.
    """
    width, height = image_size
    image = project(cam_points, focal, width, height)
    world = hip_centred(cam_points)
    visibility, presence, back = geometric_visibility(cam_points, image)
    detected = np.ones(cam_points.shape[0], dtype=bool)
    if draws is None:
        return Observation(world, image, visibility, presence, detected)
    lengths = np.diff(bounds)
    single = len(draws) == 1
    # Jitter grows where MediaPipe is unsure: hands and feet, occluded and out-of-frame points, drop-outs.
    scale = JITTER_SCALE * (1.0 + 2.0 * (1.0 - visibility / _BASE_VISIBILITY))
    for first, draw in zip(bounds, draws):
        for group, start, stop, factor in draw.dropouts:
            rows = slice(first + start, first + stop)
            visibility[rows, group] *= factor
            scale[rows, group] *= 3.0
    unit = draws[0].unit if single else np.concatenate([d.unit for d in draws])
    level = np.repeat([d.level * h for d, h in zip(draws, heights)], lengths)
    noise = unit * scale[..., None] * level[:, None, None]  # metres
    # Image: metres -> normalised image units at the person's depth (z uses the x scale).
    hip_depth = 0.5 * (cam_points[:, L_HIP, 2] + cam_points[:, R_HIP, 2])
    to_image = (focal / hip_depth)[:, None, None] * np.array([1.0 / width, 1.0 / height, cfg.depth_factor / width])  # fmt: skip
    image += noise * to_image
    # World: MediaPipe's metric scale is a guess and its depth is flattened.
    world_scale = np.repeat(np.stack([d.world_scale for d in draws]), lengths, axis=0)[:, None, :]
    world = world * world_scale + noise * (world_scale * np.array([1.0, 1.0, cfg.depth_factor]))
    for first, stop, draw in zip(bounds[:-1], bounds[1:], draws):  # left/right mix-ups while the back shows
        back_rows = np.flatnonzero(back[first:stop])
        if draw.swap is not None and len(back_rows):
            start = first + back_rows[int(draw.swap[0] * len(back_rows))]
            rows = slice(start, min(start + draw.swap[1], stop))
            world[rows], image[rows] = world[rows][:, _FLIP], image[rows][:, _FLIP]
    world -= 0.5 * (world[:, L_HIP] + world[:, R_HIP])[:, None]
    wobble = unit[..., :2] * np.array([0.03, 0.01])  # score wobble, correlated with the jitter
    visibility = np.clip(visibility - np.abs(wobble[..., 0]), 0.0, 1.0)
    presence = np.clip(presence - np.abs(wobble[..., 1]), 0.0, 1.0)
    detected = ~(draws[0].lost if single else np.concatenate([d.lost for d in draws]))
    detected &= (np.abs(image[:, TORSO, :2] - 0.5) <= 0.5).all(-1).sum(axis=1) >= 2  # some torso in view
    if not detected.all():
        lost = ~detected
        world[lost], image[lost], visibility[lost], presence[lost] = 0.0, 0.0, 0.0, 0.0
    return Observation(world, image, visibility, presence, detected)


def observe(
    cam_points: np.ndarray,
    camera: Camera,
    rng: np.random.Generator | None,
    body_height: float,
    config: NoiseConfig = DEFAULT_NOISE,
) -> Observation:
    """One clip: clean camera-space landmarks -> MediaPipe-like output; ``rng=None`` means no random noise."""
    num_frames = cam_points.shape[0]
    draws = None if rng is None else [draw_noise(rng, num_frames, config)]
    focal = np.full(num_frames, camera.focal)
    return observe_batch(cam_points, focal, (camera.width, camera.height), np.array([0, num_frames]), [body_height], draws, config)  # fmt: skip
