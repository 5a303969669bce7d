"""Uniform temporal sampling of a sequence to a fixed window (PYSKL UniformSample, segment-based).

The T frames are cut into ``window`` equal segments and one frame is taken from each, in order:
a random frame per segment when training, the segment centre at test time, and for multi-clip testing clip k of
``num_clips`` takes the point at fraction (k + 0.5) / num_clips of every segment (clip 0 of 1 is the centre).
When T < window the segments are shorter than a frame, so frames repeat (a uniform stretch: a one-frame
sequence becomes ``window`` copies of that frame). When T == window the test indices are 0..T-1.
"""

from __future__ import annotations

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["drop_empty_frames", "sample_clip_indices", "sample_indices"]


def sample_indices(
    num_frames: int,
    window: int,
    train: bool,
    rng: np.random.Generator | None = None,
    clip: int = 0,
    num_clips: int = 1,
) -> np.ndarray:
    """Indices (window,) into ``num_frames`` frames, non-decreasing and in range."""
    if num_frames < 1 or window < 1:
        raise UserError(f"cannot sample {window} frames from a sequence of {num_frames} frames")
    if train:
        if rng is None:
            raise ValueError("training-mode sampling needs an rng")
        frac = rng.random(window)
    else:
        if not 0 <= clip < num_clips:
            raise ValueError(f"clip {clip} out of range for {num_clips} clips")
        frac = np.full(window, (clip + 0.5) / num_clips)
    positions = (np.arange(window) + frac) * (num_frames / window)
    return np.minimum(positions.astype(np.int64), num_frames - 1)


def sample_clip_indices(
    num_frames: int, window: int, train: bool, num_clips: int = 1, rng: np.random.Generator | None = None
) -> np.ndarray:
    """(num_clips, window) indices: independent random clips when training, the deterministic offsets otherwise."""
    return np.stack([
        sample_indices(num_frames, window, train, rng, clip=k, num_clips=num_clips) for k in range(num_clips)
    ])  # fmt: skip


def drop_empty_frames(kp: np.ndarray, score: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Remove frames in which every person is all-zero; a sequence with no present frame is kept as is."""
    keep = np.any(kp != 0, axis=(0, 2, 3))
    if keep.all() or not keep.any():
        return kp, score
    return kp[:, keep], (None if score is None else score[:, keep])
