"""Shorter strides and smaller arm swing: casual, slow walking from mocap walks recorded at full stride.

Mocap walking trials are mostly brisk: the ankles of a rendered walk swing 1.3-1.6 leg lengths apart (ptp over a
window), where real MediaPipe walkers filmed indoors show 0.6-1.1 (docs/RESULTS.md, the walker analysis). This
scales each limb's swing about its mean relative position (relative to the hip centre, in the body's own frame)
by ``factor``, then restores every bone length, so the person keeps their proportions; the hip path is shortened
by the same factor (shorter steps cover less ground).
"""

from __future__ import annotations

import numpy as np

__all__ = ["shorten_stride"]

# (parent, child, joints that move with the child) per bone, root to tip: MediaPipe-33 indices.
_CHAINS = (
    (23, 25, (25, 27, 29, 31)), (25, 27, (27, 29, 31)), (24, 26, (26, 28, 30, 32)), (26, 28, (28, 30, 32)),
    (11, 13, (13, 15, 17, 19, 21)), (13, 15, (15, 17, 19, 21)), (12, 14, (14, 16, 18, 20, 22)),
    (14, 16, (16, 18, 20, 22)),
)


def shorten_stride(scene: np.ndarray, factor: float) -> np.ndarray:
    """(T, 33, 3) scene landmarks (metres, y up) with limb swing and stride scaled by ``factor`` (0 < f <= 1)."""
    if not 0.0 < factor <= 1.0:
        raise ValueError(f"stride factor must be in (0, 1], got {factor}")
    scene = np.asarray(scene, dtype=np.float64)
    if factor == 1.0:
        return scene.copy()
    hips = 0.5 * (scene[:, 23] + scene[:, 24])
    rel = scene - hips[:, None]
    out = rel.copy()
    for parent, child, moved in _CHAINS:
        length = np.linalg.norm(rel[:, child] - rel[:, parent], axis=-1, keepdims=True)
        target = rel[:, child].mean(0) + factor * (rel[:, child] - rel[:, child].mean(0))
        direction = target - out[:, parent]
        direction /= np.maximum(np.linalg.norm(direction, axis=-1, keepdims=True), 1e-9)
        new_child = out[:, parent] + direction * length
        out[:, list(moved)] += (new_child - out[:, child])[:, None]
    start = hips[:1]
    path = start + factor * (hips - start) * np.array([1.0, 0.0, 1.0]) + (hips - start) * np.array([0.0, 1.0, 0.0])
    return out + path[:, None]
