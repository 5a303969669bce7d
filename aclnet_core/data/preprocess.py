"""Preprocessing shared by training and the live app: one set of functions, never a copy.

``prepare_clip`` = ``prepare_sequence`` (persons, empty frames, normalisation) -> ``sample_indices`` (test mode)
-> ``make_clip`` (modality, score channel). The training Dataset calls the same three steps with augmentation
between the first two and training-mode sampling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from aclnet_core.data.modalities import MODALITIES, apply_modality
from aclnet_core.data.sampling import SAMPLING_MODES, drop_empty_frames, sample_indices
from aclnet_core.errors import UserError
from aclnet_core.skeleton.layouts import get_layout
from aclnet_core.skeleton.normalize import normalize_sequence

__all__ = ["PreprocessConfig", "as_mtvc", "make_clip", "prepare_clip", "prepare_sequence", "select_persons"]


@dataclass(frozen=True)
class PreprocessConfig:
    layout: str
    window: int = 64  # T fed to the model
    num_person: int = 1  # M fed to the model (pad/truncate)
    modality: str = "j"  # j b jm bm k km
    center: bool = True
    scale: bool = True  # divide by the (median) torso length
    align: bool = False  # rotate so hips lie on the x axis (view alignment)
    use_score: bool = False  # append score as an extra channel
    sampling: str = "uniform"  # uniform: resample the whole sequence; consecutive: window frames at the data's rate
    root_motion: bool = False  # keypoints carry the travel estimated from the image (skeleton.root_motion); the app adds it

    def __post_init__(self) -> None:
        get_layout(self.layout)
        if self.modality not in MODALITIES:
            raise UserError(f"unknown modality {self.modality!r}; known modalities: {', '.join(MODALITIES)}")
        if self.sampling not in SAMPLING_MODES:
            raise UserError(f"unknown sampling mode {self.sampling!r}; choose one of {', '.join(SAMPLING_MODES)}")
        if int(self.window) < 1 or int(self.num_person) < 1:
            raise UserError(f"window and num_person must be >= 1 (got {self.window}, {self.num_person})")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> PreprocessConfig:
        if not isinstance(d, dict) or "layout" not in d:
            raise UserError("preprocess settings must be a mapping with at least 'layout'")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise UserError(f"unknown preprocess settings: {', '.join(sorted(unknown))}")
        return cls(**d)

    def out_channels(self, in_channels: int) -> int:
        """C' of the clips for C input coordinates."""
        return in_channels + int(self.use_score)


def as_mtvc(keypoint: np.ndarray, num_joints: int, score: np.ndarray | None = None):
    """Accept (T, V, C) or (M, T, V, C); return float32 (M, T, V, C) with non-finite values zeroed, and score."""
    kp = np.asarray(keypoint, dtype=np.float32)
    if kp.ndim == 3:
        kp = kp[None]
        score = None if score is None else np.asarray(score)[None]
    if kp.ndim != 4 or kp.shape[2] != num_joints or kp.shape[3] not in (2, 3):
        raise UserError(f"expected keypoints (M, T, {num_joints}, 2|3), got {np.shape(keypoint)}")
    if score is not None:
        score = np.asarray(score, dtype=np.float32)
        if score.shape != kp.shape[:3]:
            raise UserError(f"score shape {score.shape} does not match keypoints {kp.shape[:3]}")
        score = np.where(np.isfinite(score), score, 0).astype(np.float32)
    finite = np.isfinite(kp)
    if not finite.all():
        kp = np.where(finite.all(axis=-1, keepdims=True), kp, 0).astype(np.float32)
    return kp, score


def select_persons(
    kp: np.ndarray, num_person: int, score: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Order persons by number of present frames (stable, most first), then zero-pad or truncate to num_person."""
    counts = np.any(kp != 0, axis=(2, 3)).sum(axis=1)
    order = np.argsort(-counts, kind="stable")[:num_person]
    kp = kp[order]
    score = None if score is None else score[order]
    missing = num_person - kp.shape[0]
    if missing > 0:
        kp = np.concatenate([kp, np.zeros((missing, *kp.shape[1:]), kp.dtype)])
        if score is not None:
            score = np.concatenate([score, np.zeros((missing, *score.shape[1:]), score.dtype)])
    return kp, score


def prepare_sequence(
    keypoint: np.ndarray, cfg: PreprocessConfig, score: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Raw (M, T, V, C) -> persons selected, empty frames dropped, normalised; returns (kp, score)."""
    layout = get_layout(cfg.layout)
    kp, score = as_mtvc(keypoint, layout.num_joints, score)
    if kp.shape[1] == 0:
        raise UserError("cannot prepare an empty sequence (0 frames)")
    kp, score = select_persons(kp, cfg.num_person, score)
    kp, score = drop_empty_frames(kp, score)
    kp = normalize_sequence(kp, layout, center=cfg.center, scale=cfg.scale, align=cfg.align, score=score)
    return kp, score


def make_clip(
    kp: np.ndarray, cfg: PreprocessConfig, indices: np.ndarray, score: np.ndarray | None = None
) -> np.ndarray:
    """Prepared (M, T, V, C) + frame indices (window,) -> (M, window, V, C') float32 in cfg.modality.

    The score channel (when cfg.use_score) is the joint's confidence, 1 for present joints when no score is
    given, 0 for missing joints; it is not differenced for motion modalities.
    """
    clip = apply_modality(kp[:, indices], cfg.modality, cfg.layout)
    if cfg.use_score:
        present = np.any(kp[:, indices] != 0, axis=-1)
        s = present.astype(np.float32) if score is None else score[:, indices] * present
        clip = np.concatenate([clip, s[..., None].astype(np.float32)], axis=-1)
    return np.ascontiguousarray(clip, dtype=np.float32)


def prepare_clip(keypoint: np.ndarray, cfg: PreprocessConfig, score: np.ndarray | None = None) -> np.ndarray:
    """(M,T,V,C) raw -> (num_person, window, V, C') float32, deterministic (uniform resample, pad)."""
    kp, score = prepare_sequence(keypoint, cfg, score)
    return make_clip(kp, cfg, sample_indices(kp.shape[1], cfg.window, train=False, mode=cfg.sampling), score)
