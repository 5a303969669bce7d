"""One-Euro filter (Casiraghi, Roussel & Vogel, CHI 2012) for landmark arrays of any shape.

Low cut-off (strong smoothing) when a landmark is still, higher cut-off when it moves fast, so jitter goes
away without adding lag to real motion. Timestamps are in seconds and may be irregular.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneEuroOptions:
    """min_cutoff (Hz): smoothing when still; beta: how fast the cut-off rises with speed (per unit/s);
    d_cutoff (Hz): smoothing of the speed estimate."""

    min_cutoff: float = 1.0
    beta: float = 0.0
    d_cutoff: float = 1.0


# Per-unit defaults: normalised image coordinates (a frame is 1 wide) and world landmarks (metres).
IMAGE_ONE_EURO = OneEuroOptions(min_cutoff=1.5, beta=5.0, d_cutoff=1.0)
WORLD_ONE_EURO = OneEuroOptions(min_cutoff=1.5, beta=3.0, d_cutoff=1.0)


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filter a stream of same-shaped arrays: `filtered = f(x, t)`; `reset()` forgets the history."""

    def __init__(self, options: OneEuroOptions = OneEuroOptions()) -> None:
        self.options = options
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._x.shape != x.shape or self._t is None:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), float(t)
            return x.copy()
        dt = float(t) - self._t
        if dt <= 0:  # repeated or out-of-order timestamp: keep the state, return the last estimate
            return self._x.copy()
        opts = self.options
        # Non-finite inputs (missing joints) keep the previous estimate.
        x = np.where(np.isfinite(x), x, self._x)
        dx = (x - self._x) / dt
        dx_hat = self._dx + _alpha(opts.d_cutoff, dt) * (dx - self._dx)
        cutoff = opts.min_cutoff + opts.beta * np.abs(dx_hat)
        a = _alpha(cutoff, dt)
        x_hat = self._x + a * (x - self._x)
        self._x, self._dx, self._t = x_hat, dx_hat, float(t)
        return x_hat.copy()


class SkeletonFilter:
    """One-Euro filtering of one track's image and world landmarks (each with its own units and options)."""

    def __init__(self, image_options: OneEuroOptions = IMAGE_ONE_EURO, world_options: OneEuroOptions = WORLD_ONE_EURO) -> None:
        self.image = OneEuroFilter(image_options)
        self.world = OneEuroFilter(world_options)

    def __call__(self, skeleton, t: float):
        """A filtered copy of an app.records.Skeleton."""
        from dataclasses import replace

        return replace(
            skeleton,
            image=self.image(skeleton.image, t).astype(np.float32),
            world=self.world(skeleton.world, t).astype(np.float32),
        )

    def reset(self) -> None:
        self.image.reset()
        self.world.reset()
