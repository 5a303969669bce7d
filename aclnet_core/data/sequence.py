"""The in-memory record of one skeleton sequence (the unit every loader returns)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["SkeletonSequence"]


@dataclass
class SkeletonSequence:
    keypoint: np.ndarray  # (M, T, V, C) float32, C = 2 or 3 coordinates
    label: int  # -1 when unknown
    layout: str
    name: str = ""  # frame_dir / file stem
    score: np.ndarray | None = None  # (M, T, V) confidences, optional

    def __post_init__(self) -> None:
        kp = self.keypoint
        if not isinstance(kp, np.ndarray) or kp.ndim != 4 or kp.shape[-1] not in (2, 3):
            shape = getattr(kp, "shape", type(kp).__name__)
            raise UserError(f"sequence {self.name!r}: keypoint must be (M, T, V, 2|3), got {shape}")
        if self.score is not None and np.shape(self.score) != kp.shape[:3]:
            raise UserError(f"sequence {self.name!r}: score {np.shape(self.score)} does not match {kp.shape[:3]}")

    @property
    def num_frames(self) -> int:
        return int(self.keypoint.shape[1])

    @property
    def num_persons(self) -> int:
        return int(self.keypoint.shape[0])
