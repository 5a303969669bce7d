"""Render a motion-capture trial as the app sees a person: through a virtual camera, MediaPipe-like noise, at the
model's sample rate.

A segment of a trial is placed in the scene (its start facing +z), resampled to ``rate`` samples per second
(optionally played faster or slower), filmed by a webcam-like or high (30-65 degrees, looking down) camera at any
azimuth (front, side and back views), elevation, roll, field of view and distance, and observed with the synthetic generator's MediaPipe-fitted noise
(``aclnet_core.data.synthetic.noise``): jitter, depth flattening, metric-scale error, visibility, left/right
swaps in back views and lost frames. Lost frames are filled by linear interpolation in time, as the app's window
buffer does (``app/windows.py``), so a rendered segment is exactly what the app feeds the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from aclnet_core.data.synthetic.camera import Camera, View, fit_distance, sample_view
from aclnet_core.data.synthetic.landmarks import L_HIP, L_SHOULDER, R_HIP, R_SHOULDER
from aclnet_core.data.synthetic.noise import DEFAULT_NOISE, NoiseConfig, draw_noise, observe_batch
from aclnet_core.skeleton.root_motion import travel

__all__ = ["ALL_AZIMUTHS", "RenderedSegment", "azimuth_bands", "render_segment", "resample_time"]

ALL_AZIMUTHS: tuple[tuple[float, float], ...] = ((-180.0, 180.0),)
HIGH_CAMERA_P = 0.35  # share of views from a high camera; the others are webcam-like (elevation -8..30 degrees)
HIGH_ELEVATION = (30.0, 65.0)
IMAGE_SIZE = (640, 480)


@dataclass
class RenderedSegment:
    world: np.ndarray  # (T, 33, 3) float32 MediaPipe world landmarks (hip-centred metres, camera axes, y down)
    visibility: np.ndarray  # (T, 33) float32
    meta: dict
    root: np.ndarray | None = None  # (T, 3) float32 travel estimated from the image (``skeleton.root_motion``)
    image: np.ndarray | None = None  # (T, 33, 3) float32 normalised image landmarks it was estimated from


def azimuth_bands(split: str) -> tuple[tuple[float, float], ...]:
    """Disjoint camera azimuths per split: 10° bands around the person, 2/3 train, 1/6 val, 1/6 test."""
    pick = {"train": (0, 1, 3, 4), "val": (2,), "test": (5,)}.get(split)
    if pick is None:
        return ALL_AZIMUTHS
    return tuple((-180.0 + 10 * k, -170.0 + 10 * k) for k in range(36) if k % 6 in pick)


def resample_time(frames: np.ndarray, fps: float, rate: float, start_s: float, count: int, speed: float = 1.0
                  ) -> np.ndarray:
    """``count`` samples at ``rate``/s from ``start_s`` (motion time runs ``speed`` times faster); edges are held."""
    t = (start_s + np.arange(count) * speed / rate) * fps
    t = np.clip(t, 0.0, frames.shape[0] - 1)
    lo = np.floor(t).astype(np.int64)
    hi = np.minimum(lo + 1, frames.shape[0] - 1)
    w = (t - lo)[:, None, None]
    return frames[lo] * (1.0 - w) + frames[hi] * w


def _facing_yaw(scene: np.ndarray) -> float:
    """Yaw (radians about +y) of the person's forward direction, from hips and shoulders of the first frames."""
    k = min(len(scene), 8)
    across = (scene[:k, L_HIP] - scene[:k, R_HIP] + scene[:k, L_SHOULDER] - scene[:k, R_SHOULDER]).mean(0)
    forward = np.array([-across[2], 0.0, across[0]])  # across x up
    return float(np.arctan2(forward[0], forward[2]))


def _place(scene: np.ndarray) -> np.ndarray:
    """The segment moved so its mean hip lies over the origin, its floor at y = 0 and its start facing +z."""
    hips = 0.5 * (scene[:, L_HIP] + scene[:, R_HIP])
    yaw = _facing_yaw(scene)
    c, s = np.cos(-yaw), np.sin(-yaw)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    centre = hips.mean(0)
    out = (scene - np.array([centre[0], 0.0, centre[2]])) @ rot.T
    out[..., 1] -= np.percentile(out[:, 27:33, 1].min(axis=1), 5)
    return out


def _fill_lost(world: np.ndarray, visibility: np.ndarray, detected: np.ndarray) -> None:
    """Interpolate lost frames in place from the detected ones (edges held), like the app's window buffer."""
    if detected.all() or not detected.any():
        return
    t = np.arange(len(detected))
    seen = np.flatnonzero(detected)
    for arr in (world, visibility):
        flat = arr.reshape(len(t), -1)
        for k in range(flat.shape[1]):
            flat[:, k] = np.interp(t, seen, flat[seen, k])


def render_segment(
    scene: np.ndarray,
    rng: np.random.Generator,
    bands: tuple[tuple[float, float], ...] = ALL_AZIMUTHS,
    noise: bool = True,
    noise_config: NoiseConfig = DEFAULT_NOISE,
) -> RenderedSegment:
    """(T, 33, 3) scene landmarks (metres, y up, already at the sample rate) -> what MediaPipe would report."""
    scene = _place(np.asarray(scene, dtype=np.float64))
    view: View = sample_view(rng, bands)
    if rng.random() < HIGH_CAMERA_P:  # a camera on a shelf or the ceiling, looking down (CCTV, room corners)
        view = replace(view, elevation=float(rng.uniform(*HIGH_ELEVATION)))
    height = float(np.percentile(scene[:, :11, 1].max(axis=1), 90)) + 0.1  # top of the head, standing
    height = float(np.clip(height, 1.0, 2.2))
    width, img_h = IMAGE_SIZE
    focal = 0.5 * width / np.tan(np.radians(view.hfov) / 2)
    hips = 0.5 * (scene[:, L_HIP] + scene[:, R_HIP])
    extent = float(np.ptp(hips[:, [0, 2]], axis=0).max())
    distance = fit_distance(view, height * 1.08, focal, img_h) + 0.6 * extent
    target = np.array([0.0, view.target_height * height, 0.0])
    camera = Camera.look_at(target, view.azimuth, view.elevation, distance, view.hfov, IMAGE_SIZE, view.roll,
                            view.centre)
    cam_points = camera.to_camera(scene)
    n = len(scene)
    draws = [draw_noise(np.random.default_rng(int(rng.integers(1 << 62))), n, noise_config)] if noise else None
    obs = observe_batch(cam_points, np.full(n, camera.focal), IMAGE_SIZE, np.array([0, n]), [height], draws,
                        noise_config)
    world, visibility = obs.world.copy(), obs.visibility.copy()
    root = travel(world, obs.image[..., :2] * np.array(IMAGE_SIZE, dtype=np.float64), IMAGE_SIZE[0],
                  obs.detected)  # from what MediaPipe would report, as the app estimates it
    _fill_lost(world, visibility, obs.detected)
    meta = {"azimuth": round(view.azimuth, 2), "elevation": round(view.elevation, 2),
            "distance_m": round(float(distance), 2), "lost": int((~obs.detected).sum())}
    return RenderedSegment(world.astype(np.float32), visibility.astype(np.float32), meta, root.astype(np.float32),
                           obs.image.astype(np.float32))
