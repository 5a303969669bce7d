"""Synthetic data as training splits: the generator's samples as SkeletonSequences (MediaPipe world landmarks).

Action task (`data.options`): n_per_class (train, default 200), n_eval_per_class (val/test, default 30), seed.
Splits 'train', 'val', 'test' use disjoint actors, views and seeds (see docs/SYNTHETIC.md).

Gait task (`data.options.task: gait`): identities are classes. train_identities [lo, hi) (default [0, 192)) are
trained on; split 'train' draws any direction/speed/perturbation, split 'val' draws probe conditions of the same
identities (closed-set monitoring). Splits 'gallery' and 'probe' use the held-out identities
eval_identities [lo, hi) (default [192, 256)) for open-set identification; their labels are identity numbers.
Sequence names end in the walk's condition (``_nm``, ``_bag``, ``_coat``): `eval --task identification
--condition-key '_(nm|bag|coat)$'` reports each.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError

ACTION_KEYS = {"task", "n_per_class", "n_eval_per_class", "seed", "noise"}
GAIT_KEYS = {"task", "train_identities", "eval_identities", "sequences_per_id", "eval_sequences_per_id", "seed",
             "noise"}


def sample_to_sequence(sample: Any, label: int, name: str) -> SkeletonSequence:
    """World landmarks (T, 33, 3) → a one-person sequence; visibility is the score, lost frames stay zero."""
    world = np.where(sample.detected[:, None, None], sample.world, 0.0).astype(np.float32)
    score = np.where(sample.detected[:, None], sample.visibility, 0.0).astype(np.float32)
    return SkeletonSequence(keypoint=world[None], label=label, layout="mediapipe33", name=name, score=score[None])


def _range(value: Any, default: tuple[int, int], key: str) -> range:
    pair = value if value is not None else default
    ok = (isinstance(pair, (list, tuple)) and len(pair) == 2
          and all(isinstance(v, int) and not isinstance(v, bool) for v in pair))
    if not ok or not 0 <= pair[0] < pair[1] <= 1_000_000:
        raise UserError(f"data.options.{key} must be [lo, hi) with 0 <= lo < hi, got {value!r}")
    return range(int(pair[0]), int(pair[1]))


def load_synthetic_split(data: Any, split: str) -> tuple[list[SkeletonSequence], list[str]]:
    """(sequences, label names) for one split of the synthetic action or gait set."""

    seqs, names = _load_mediapipe33(data, split)
    if data.layout != "mediapipe33":  # e.g. to pretrain for a Kinect dataset: the documented subset conversions
        seqs = [to_layout(seq, data.layout) for seq in seqs]
    return seqs, names


def to_layout(seq: SkeletonSequence, layout: str) -> SkeletonSequence:
    """A MediaPipe-33 sequence in another layout (aclnet_core.skeleton.convert; axes follow the layout's y_up)."""
    from aclnet_core.skeleton.convert import convert, convert_score

    try:
        keypoint = convert(seq.keypoint, seq.layout, layout)
    except UserError as exc:
        raise UserError(f"synthetic data cannot be given in the {layout} layout: {exc}") from None
    return SkeletonSequence(keypoint=keypoint.astype(np.float32), label=seq.label, layout=layout, name=seq.name,
                            score=convert_score(seq.score, seq.layout, layout))


def _walk_condition(sample: Any) -> str:
    """A walk's condition for per-condition identification results: nm (normal), bag or coat."""
    return (sample.meta or {}).get("perturbation") or "nm"


def _int_option(opts: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    """An integer data option in [lo, hi], or a one-line UserError naming it."""
    value = opts.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise UserError(f"synthetic data option {key} must be an integer {lo}..{hi}, got {value!r}")
    return value


def _load_mediapipe33(data: Any, split: str) -> tuple[list[SkeletonSequence], list[str]]:
    from aclnet_core.data import synthetic

    opts = dict(data.options)
    task = opts.get("task", "action")
    allowed = GAIT_KEYS if task == "gait" else ACTION_KEYS
    unknown = set(opts) - allowed
    if unknown:
        raise UserError(f"unknown synthetic data option(s): {', '.join(sorted(unknown))}")
    seed, noise = _int_option(opts, "seed", 0, 0, 2**32 - 1), bool(opts.get("noise", True))
    if task == "action":
        if split not in synthetic.ACTION_SPLITS:
            raise UserError(f"unknown synthetic split {split!r}; choose one of {', '.join(synthetic.ACTION_SPLITS)}")
        n = (_int_option(opts, "n_per_class", 200, 1, 100_000) if split == "train"
             else _int_option(opts, "n_eval_per_class", 30, 1, 100_000))
        samples = synthetic.make_action_split(n, split, seed, noise=noise)
        seqs = [sample_to_sequence(s, s.label, f"{split}_{i:05d}_{synthetic.ACTION_NAMES[s.label]}")
                for i, s in enumerate(samples)]
        return seqs, list(synthetic.ACTION_NAMES)
    if task != "gait":
        raise UserError(f"synthetic task must be 'action' or 'gait', not {task!r}")
    train_ids = _range(opts.get("train_identities"), (0, 192), "train_identities")
    names = [f"id{i:03d}" for i in train_ids]
    if split in ("train", "val"):
        per_id = (_int_option(opts, "sequences_per_id", 12, 1, 10_000) if split == "train"
                  else _int_option(opts, "eval_sequences_per_id", 2, 1, 10_000))
        samples = synthetic.make_gait_split(train_ids, per_id, "train" if split == "train" else "probe", seed,
                                            noise=noise)
        offset = train_ids.start
    elif split in ("gallery", "probe"):
        eval_ids = _range(opts.get("eval_identities"), (192, synthetic.NUM_GAIT_IDENTITIES), "eval_identities")
        samples = synthetic.make_gait_split(eval_ids, _int_option(opts, "eval_sequences_per_id", 4, 1, 10_000), split, seed,
                                            noise=noise)
        offset = 0
    else:
        raise UserError(f"unknown synthetic gait split {split!r}; choose train, val, gallery or probe")
    seqs = [sample_to_sequence(s, s.identity - offset, f"{split}_{i:05d}_id{s.identity:03d}_{_walk_condition(s)}")
            for i, s in enumerate(samples)]
    return seqs, names
