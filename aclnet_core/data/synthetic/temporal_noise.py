"""Temporally correlated random noise, cheap: random knots every ~``sigma`` frames, smoothly interpolated.

No BLAS calls on purpose: small matrix products in a multi-threaded BLAS can stall badly on a busy machine.
"""

from __future__ import annotations

import numpy as np


def smooth_noise(rng: np.random.Generator, num_frames: int, width: int, sigma: float) -> np.ndarray:
    """(num_frames, width) noise with unit variance per entry, correlated over about ``sigma`` frames.

    Knots sit ``1.5 * sigma`` frames apart (at least 1) with a random phase; between two knots the value is the
    cosine-weighted blend of both, renormalised so that the variance stays 1 everywhere.
    """
    spacing = max(1.5 * sigma, 1.0)
    pos = (np.arange(num_frames) + rng.uniform(0.0, spacing)) / spacing
    idx = pos.astype(np.int64)
    u = pos - idx
    knots = rng.standard_normal((int(idx[-1]) + 2, width))
    a = 0.5 + 0.5 * np.cos(np.pi * u)  # weight of the left knot, 1 -> 0
    b = 1.0 - a
    norm = 1.0 / np.sqrt(a * a + b * b)
    return knots[idx] * (a * norm)[:, None] + knots[idx + 1] * (b * norm)[:, None]
