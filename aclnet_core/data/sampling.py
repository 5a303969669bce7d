"""Uniform temporal sampling of a sequence to a fixed window (PYSKL UniformSample, segment-based).

The T frames are cut into ``window`` equal segments and one frame is taken from each, in order:
a random frame per segment when training, the segment centre at test time, and for multi-clip testing clip k of
``num_clips`` takes the point at fraction (k + 0.5) / num_clips of every segment (clip 0 of 1 is the centre).
When T < window the segments are shorter than a frame, so frames repeat (a uniform stretch: a one-frame
sequence becomes ``window`` copies of that frame). When T == window the test indices are 0..T-1.

``mode="consecutive"`` takes ``window`` consecutive frames instead, so a clip keeps the sequence's own frame rate:
the live app's sliding windows are consecutive samples at the model's sample rate, and a model whose clips were
resampled from whole sequences sees another time scale there (a 3 s action squeezed into the window). Training
picks a random start, clip k of ``num_clips`` starts at fraction (k + 0.5) / num_clips of the free range (one
clip: the centred window), and a sequence shorter than the window is looped (from a random start when training).
"""

from __future__ import annotations

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["SAMPLING_MODES", "drop_empty_frames", "sample_clip_indices", "sample_indices"]

SAMPLING_MODES = ("uniform", "consecutive")


def sample_indices(
    num_frames: int,
    window: int,
    train: bool,
    rng: np.random.Generator | None = None,
    clip: int = 0,
    num_clips: int = 1,
    mode: str = "uniform",
) -> np.ndarray:
    """Indices (window,) into ``num_frames`` frames, in range; non-decreasing except where a short sequence loops."""
    if num_frames < 1 or window < 1:
        raise UserError(f"cannot sample {window} frames from a sequence of {num_frames} frames")
    if mode not in SAMPLING_MODES:
        raise UserError(f"unknown sampling mode {mode!r}; choose one of {', '.join(SAMPLING_MODES)}")
    if train and rng is None:
        raise ValueError("training-mode sampling needs an rng")
    if not train and not 0 <= clip < num_clips:
        raise ValueError(f"clip {clip} out of range for {num_clips} clips")
    if mode == "consecutive":
        return _consecutive(num_frames, window, train, rng, clip, num_clips)
    frac = rng.random(window) if train else np.full(window, (clip + 0.5) / num_clips)
    positions = (np.arange(window) + frac) * (num_frames / window)
    return np.minimum(positions.astype(np.int64), num_frames - 1)


def _consecutive(num_frames: int, window: int, train: bool, rng: np.random.Generator | None, clip: int,
                 num_clips: int) -> np.ndarray:
    """``window`` consecutive frames (looped when the sequence is shorter)."""
    if num_frames < window:
        start = int(rng.integers(num_frames)) if train else 0
        return (start + np.arange(window)) % num_frames
    free = num_frames - window
    start = int(rng.integers(free + 1)) if train else int((clip + 0.5) / num_clips * free + 0.5)
    return start + np.arange(window)


def sample_clip_indices(
    num_frames: int, window: int, train: bool, num_clips: int = 1, rng: np.random.Generator | None = None,
    mode: str = "uniform",
) -> np.ndarray:
    """(num_clips, window) indices: independent random clips when training, the deterministic offsets otherwise."""
    return np.stack([
        sample_indices(num_frames, window, train, rng, clip=k, num_clips=num_clips, mode=mode)
        for k in range(num_clips)
    ])  # fmt: skip


def drop_empty_frames(kp: np.ndarray, score: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Remove frames in which every person is all-zero; a sequence with no present frame is kept as is."""
    keep = np.any(kp != 0, axis=(0, 2, 3))
    if keep.all() or not keep.any():
        return kp, score
    return kp[:, keep], (None if score is None else score[:, keep])
