"""Where a person travels: a root trajectory in metres, estimated from what MediaPipe reports.

MediaPipe's world landmarks are hip-centred in every frame, so a person walking towards the camera and one
shifting their weight on the spot give nearly the same world landmarks (the stride of a frontal walker lies in
depth, MediaPipe's weakest axis). The image landmarks still show the travel. A model trained with
``preprocess.root_motion`` sees the world landmarks plus this trajectory; training renders (``data.mocap``) and
the app (``app.windows``) compute it with the same functions from the same inputs:

1. the hip centre in pixels, per frame;
2. metres per pixel at the person: the summed (x, y) lengths of the major world bones over their summed image
   lengths (weak perspective: world landmarks are in camera axes);
3. the distance to the camera, ``ASSUMED_FOCAL × width × metres per pixel`` (a 60° webcam): its change is the
   travel in depth. A straight line is fitted to it over the window, because per-frame scales are noisy.

The trajectory is relative to the window's mean position; x right, y down, z away from the camera (MediaPipe's
world axes). Frames without a usable scale borrow the window median.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ASSUMED_FOCAL", "MAX_TRAVEL_M", "frame_scale", "root_track", "travel", "with_root"]

# Major bones (MediaPipe-33): shoulders, hips, torso sides, thighs, shins, upper arms.
_BONES = np.array([(11, 12), (23, 24), (11, 23), (12, 24), (23, 25), (24, 26), (25, 27), (26, 28), (11, 13),
                   (12, 14)])
ASSUMED_FOCAL = 0.866  # focal length / image width of a 60-degree horizontal field of view
MAX_TRAVEL_M = 6.0     # a window's travel is clipped to this (no one walks further in 2.5 s; outliers do)


def frame_scale(image_px: np.ndarray, world: np.ndarray) -> float:
    """Metres per pixel at the person in one frame: (V, >=2) image landmarks in pixels, (V, 3) world landmarks.
    NaN when the bones are degenerate (too small in the image)."""
    img = np.asarray(image_px, dtype=np.float64)[:, :2]
    w = np.asarray(world, dtype=np.float64)[:, :2]
    if img.shape[0] < 29 or w.shape[0] < 29:
        return float("nan")
    pixels = np.linalg.norm(img[_BONES[:, 0]] - img[_BONES[:, 1]], axis=-1).sum()
    metres = np.linalg.norm(w[_BONES[:, 0]] - w[_BONES[:, 1]], axis=-1).sum()
    if not np.isfinite(pixels) or not np.isfinite(metres) or pixels < 10.0 or metres <= 0.0:
        return float("nan")
    return float(metres / pixels)


def root_track(hip_px: np.ndarray, metres_per_px: np.ndarray, width_px: float) -> np.ndarray:
    """(T, 3) travel in metres around the window's mean from (T, 2) hip centres in pixels and (T,) scales."""
    hip = np.asarray(hip_px, dtype=np.float64)
    scale = np.asarray(metres_per_px, dtype=np.float64)
    n = len(hip)
    out = np.zeros((n, 3))
    ok = np.isfinite(scale) & (scale > 0) & np.isfinite(hip).all(axis=1)
    if n < 2 or ok.sum() < 2 or not np.isfinite(width_px) or width_px <= 0:
        return out
    typical = float(np.median(scale[ok]))
    t = np.arange(n, dtype=np.float64)
    hip = np.stack([np.interp(t, t[ok], hip[ok, k]) for k in range(2)], axis=1)
    out[:, :2] = (hip - hip.mean(axis=0)) * typical
    slope, intercept = np.polyfit(t[ok], scale[ok], 1)       # distance changes smoothly over 2-3 s
    distance = ASSUMED_FOCAL * float(width_px) * (slope * t + intercept)
    out[:, 2] = distance - distance.mean()
    return np.clip(out, -MAX_TRAVEL_M / 2, MAX_TRAVEL_M / 2)


def travel(world: np.ndarray, image_px: np.ndarray, width_px: float, valid: np.ndarray | None = None) -> np.ndarray:
    """(T, 3) root trajectory of a window from its (T, V, 3) hip-centred world landmarks and (T, V, >=2) image
    landmarks in pixels; ``valid`` (T,) marks frames with a real detection (others are interpolated)."""
    world = np.asarray(world, dtype=np.float64)
    image_px = np.asarray(image_px, dtype=np.float64)
    n = len(world)
    valid = np.ones(n, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    hips = image_px[:, [23, 24], :2].mean(axis=1)
    scales = np.array([frame_scale(image_px[i], world[i]) if valid[i] else np.nan for i in range(n)])
    hips[~valid] = np.nan
    return root_track(hips, scales, width_px)


def with_root(world: np.ndarray, image_px: np.ndarray, width_px: float, valid: np.ndarray | None = None) -> np.ndarray:
    """(T, V, 3) world landmarks plus their window's root trajectory (``travel``)."""
    return np.asarray(world, dtype=np.float64) + travel(world, image_px, width_px, valid)[:, None, :]
