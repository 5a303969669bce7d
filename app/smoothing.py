"""Label smoothing: an EMA of class probabilities per track, with hysteresis and a "no action" threshold.

A label is entered when its smoothed probability reaches `enter_threshold`, kept until it falls below
`exit_threshold` (lower), and replaced by another label only when that one leads by `switch_margin`.
So one noisy window cannot flip the label, and a label does not blink on and off around one threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SmoothingOptions:
    alpha: float = 0.5  # weight of the newest window in the EMA (1 = no smoothing)
    enter_threshold: float = 0.5  # a label needs this smoothed probability to be shown
    exit_threshold: float = 0.35  # a shown label is kept while its probability stays above this
    switch_margin: float = 0.1  # a new label must beat the shown one by this much

    def __post_init__(self) -> None:
        if not 0 < self.alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        if self.exit_threshold > self.enter_threshold:
            raise ValueError("exit_threshold must not exceed enter_threshold")


@dataclass
class SmoothedLabel:
    index: int | None  # None: no action / unknown
    score: float  # smoothed probability of the shown label (of the best class when none is shown)
    probabilities: np.ndarray


class LabelSmoother:
    """One track's label state."""

    def __init__(self, options: SmoothingOptions = SmoothingOptions()) -> None:
        self.options = options
        self._ema: np.ndarray | None = None
        self._current: int | None = None

    def update(self, probabilities: np.ndarray) -> SmoothedLabel:
        p = np.asarray(probabilities, dtype=np.float64)
        opts = self.options
        if self._ema is not None and self._ema.shape != p.shape:
            self._ema, self._current = None, None  # the label set changed (a custom action was taught or removed)
        self._ema = p.copy() if self._ema is None else (1 - opts.alpha) * self._ema + opts.alpha * p
        ema = self._ema
        best = int(np.argmax(ema))
        current = self._current
        if current is not None and ema[current] < opts.exit_threshold:
            current = None
        if current is None:
            if ema[best] >= opts.enter_threshold:
                current = best
        elif best != current and ema[best] >= opts.enter_threshold and ema[best] >= ema[current] + opts.switch_margin:
            current = best
        self._current = current
        score = float(ema[current]) if current is not None else float(ema[best])
        return SmoothedLabel(current, score, ema.copy())

    def reset(self) -> None:
        self._ema, self._current = None, None


class TrackLabelSmoothers:
    """A LabelSmoother per track id, created on first use and dropped when the track ends."""

    def __init__(self, options: SmoothingOptions = SmoothingOptions()) -> None:
        self.options = options
        self._smoothers: dict[int, LabelSmoother] = {}

    def update(self, track_id: int, probabilities: np.ndarray) -> SmoothedLabel:
        smoother = self._smoothers.setdefault(track_id, LabelSmoother(self.options))
        return smoother.update(probabilities)

    def drop(self, track_id: int) -> None:
        self._smoothers.pop(track_id, None)

    def set_options(self, options: SmoothingOptions) -> None:
        """New thresholds for every track (the GUI's sliders); the EMA state is kept."""
        self.options = options
        for smoother in self._smoothers.values():
            smoother.options = options
