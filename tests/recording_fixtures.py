"""Tiny generated `.npz` recordings of synthetic actions (the `record` format), for the custom-action and
record -> train tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aclnet_core.data.recording import save_recording
from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.data.synthetic import MotionGenerator


def write_action_recording(path: Path, action: str, seed: int, frames: int = 90, label: str | None = None) -> Path:
    """One synthetic `action` clip (30 fps) saved as a recording labelled `label` (default: the action)."""
    sample = MotionGenerator(seed).action(action, num_frames=frames)
    seq = SkeletonSequence(keypoint=sample.world[None], label=-1, layout="mediapipe33",
                           score=sample.visibility[None])
    return save_recording(path, seq, label or action, sample.fps)


def write_empty_recording(path: Path, frames: int = 60) -> Path:
    """A recording in which no one is ever seen (all landmarks zero)."""
    seq = SkeletonSequence(keypoint=np.zeros((1, frames, 33, 3), np.float32), label=-1, layout="mediapipe33")
    return save_recording(path, seq, "nothing", 30.0)
