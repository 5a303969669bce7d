"""Torch Dataset over skeleton sequences, built from the shared preprocessing functions.

Per item: ``prepare_sequence`` (persons, empty frames, normalisation; cached) -> ``augment`` (train only) ->
``sample_indices`` (random segments when training, fixed offsets otherwise) -> ``make_clip`` (modality, score).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from aclnet_core.data.augment import AugmentConfig, rotate_yaw
from aclnet_core.data.augment import augment as apply_augment
from aclnet_core.data.augment import flip as mirror
from aclnet_core.data.preprocess import PreprocessConfig, make_clip, prepare_sequence
from aclnet_core.data.sampling import sample_indices
from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError
from aclnet_core.skeleton.layouts import get_layout

__all__ = ["SkeletonDataset"]


class SkeletonDataset(Dataset):
    """Items are (clip, label): clip is (M, T, V, C') float32, or (num_clips, M, T, V, C') when num_clips > 1.

    ``test_flip`` (evaluation only) appends the mirrored copy of every clip (x negated, left/right joints swapped,
    the same frames): items are then (2 * num_clips, M, T, V, C'), the mirrored clips last.
    ``test_yaw`` (evaluation only, 3D joints) adds copies of the sequence turned by each angle (radians) about the
    vertical axis, as a camera elsewhere would see it: items are then ((1 + len(test_yaw)) * num_clips, ...) clips,
    the unturned ones first, each view's clips in order, and with ``test_flip`` every view's mirrored clips after.

    Randomness (augmentation, training-mode sampling) comes from a numpy Generator made per item from ``seed``
    and one draw of torch's RNG. In the main process that is the global torch RNG (so ``torch.manual_seed`` and a
    trainer that saves/restores the torch RNG state make epochs reproducible, also across a resume); inside a
    DataLoader worker it is the worker's own torch RNG, which torch seeds per worker and per epoch from the
    loader's generator, so workers never share draws.
    Normalised sequences are cached on first use (``cache=True``), since normalisation is deterministic.
    ``with_joints`` (training, one clip) makes items (clip, label, joints): the same augmented frames as plain
    joints, (M, T, V, C), from which teachers of other modalities are fed (online distillation).
    """

    def __init__(
        self,
        sequences: Sequence[SkeletonSequence],
        cfg: PreprocessConfig,
        train: bool,
        augment: AugmentConfig | None = None,
        num_clips: int = 1,
        seed: int = 0,
        cache: bool = True,
        test_flip: bool = False,
        with_joints: bool = False,
        test_yaw: Sequence[float] = (),
    ) -> None:
        layout = get_layout(cfg.layout)
        if num_clips < 1:
            raise UserError(f"num_clips must be >= 1, got {num_clips}")
        if test_flip and train:
            raise UserError("test_flip is for evaluation; training flips through augment.flip_p")
        test_yaw = tuple(float(a) for a in test_yaw)
        if test_yaw and train:
            raise UserError("test_yaw is for evaluation; training turns through augment.rotate_y")
        if not all(np.isfinite(test_yaw)):
            raise UserError(f"test_yaw angles must be finite, got {test_yaw}")
        if test_yaw and any(seq.keypoint.shape[-1] != 3 for seq in sequences):
            raise UserError("turned test views (yaw) need 3D joints; this data is 2D")
        for seq in sequences:
            if seq.layout != layout.name or seq.keypoint.shape[2] != layout.num_joints:
                raise UserError(f"sequence {seq.name!r} is {seq.layout} but the model expects {layout.name}")
        self.sequences = list(sequences)
        self.cfg = cfg
        self.train = train
        self.augment = augment if train else None
        self.num_clips = num_clips
        self.seed = seed
        self.test_flip = test_flip
        self.test_yaw = test_yaw
        self.with_joints = with_joints
        if with_joints and num_clips != 1:
            raise UserError("with_joints needs num_clips == 1")
        self.cache = cache
        self._prepared: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.sequences], dtype=np.int64)

    def item_rng(self) -> np.random.Generator:
        """A fresh generator for one item, seeded from ``seed`` and one draw of torch's RNG."""
        return np.random.default_rng([self.seed, int(torch.randint(0, 2**62, (1,)).item())])

    def prepared(self, index: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The normalised (M, T, V, C) sequence and its score (cached)."""
        hit = self._prepared.get(index)
        if hit is None:
            seq = self.sequences[index]
            hit = prepare_sequence(seq.keypoint, self.cfg, seq.score)
            if self.cache:
                self._prepared[index] = hit
        return hit

    def precompute(self) -> None:
        """Normalise every sequence now (e.g. before forking DataLoader workers, which then share the cache)."""
        for index in range(len(self.sequences)):
            self.prepared(index)

    def _flip_x(self, kp: np.ndarray) -> float:
        """The x a mirror flip reflects about: 0 for centred data, else the mean x of the present joints."""
        return 0.0 if self.cfg.center else float(kp[..., 0][kp[..., 0] != 0].mean() if kp.any() else 0.0)

    def _yaw_center(self, kp: np.ndarray) -> tuple[float, float]:
        """The (x, z) a test-time yaw turns about: the origin for centred data, else the present joints' mean."""
        present = np.any(kp != 0, axis=-1)
        if self.cfg.center or not present.any():
            return 0.0, 0.0
        return float(kp[..., 0][present].mean()), float(kp[..., 2][present].mean())

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        kp, score = self.prepared(index)
        rng = self.item_rng() if self.train else None
        if self.augment is not None:
            kp, score = apply_augment(kp, self.cfg.layout, self.augment, rng, score, flip_center_x=self._flip_x(kp))
        indices = [sample_indices(kp.shape[1], self.cfg.window, self.train, rng, k, self.num_clips, self.cfg.sampling)
                   for k in range(self.num_clips)]
        views = [kp] + [rotate_yaw(kp, a, *self._yaw_center(kp)) for a in self.test_yaw]
        clips = [make_clip(v, self.cfg, idx, score) for v in views for idx in indices]
        if self.test_flip:
            for v in views:
                kp_m, score_m = mirror(v, self.cfg.layout, score, self._flip_x(v))
                clips += [make_clip(kp_m, self.cfg, idx, score_m) for idx in indices]
        out = clips[0] if len(clips) == 1 else np.stack(clips)
        if self.with_joints:
            joints = np.ascontiguousarray(kp[:, indices[0]], dtype=np.float32)
            return torch.from_numpy(out), int(self.sequences[index].label), torch.from_numpy(joints)
        return torch.from_numpy(out), int(self.sequences[index].label)
