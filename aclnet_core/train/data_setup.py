"""From a TrainConfig's data section to labelled sequences and torch datasets."""

from __future__ import annotations

from dataclasses import asdict

from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError
from aclnet_core.skeleton.layouts import get_layout
from aclnet_core.train.config import DataConfig, TrainConfig


def load_split(data: DataConfig, split: str) -> tuple[list[SkeletonSequence], list[str]]:
    """Sequences of one split and the label names; empty splits are an error."""
    if not data.layout:
        raise UserError("no skeleton layout given (set data.layout or pass --layout)")
    get_layout(data.layout)
    if data.kind == "synthetic":
        from aclnet_core.data.synthetic_dataset import load_synthetic_split
        seqs, names = load_synthetic_split(data, split)
    elif data.kind == "mocap":
        from aclnet_core.data.mocap import load_mocap_split
        from aclnet_core.data.synthetic_dataset import to_layout
        seqs, names = load_mocap_split(data, split)
        if data.layout != "mediapipe33":  # pretraining for another layout: the documented subset conversions
            seqs = [to_layout(seq, data.layout) for seq in seqs]
    else:
        from aclnet_core.data.loaders import DatasetSpec, load_dataset
        spec = DatasetSpec(kind=data.kind, path=data.path, split=split, layout=data.layout,
                           label_names=data.label_names, options=dict(data.options))
        seqs, names = load_dataset(spec)
    if not seqs:
        raise UserError(f"split {split!r} of {data.path or data.kind} holds no sequences")
    check_finite(seqs, data.path or data.kind)
    return keep_dims(seqs, data.dims), list(names)


def keep_dims(seqs: list[SkeletonSequence], dims: int) -> list[SkeletonSequence]:
    """`data.dims: 2` keeps x and y of 3D sequences (an orthographic projection along the camera's z axis)."""
    if dims in (0, 3) or all(s.keypoint.shape[-1] <= dims for s in seqs):
        return seqs
    if dims != 2:
        raise UserError(f"data.dims must be 0 (as loaded), 2 or 3, got {dims}")
    from dataclasses import replace

    return [replace(s, keypoint=s.keypoint[..., :2].copy()) for s in seqs]


def limit_clips(seqs: list[SkeletonSequence], limit: int, seed: int = 0) -> list[SkeletonSequence]:
    """At most `limit` sequences (0 = all), drawn per class in proportion to its size (at least one each), in
    their original order. The draw depends on `seed` only, not on the training seed."""
    import numpy as np

    if limit <= 0 or limit >= len(seqs):
        return seqs
    labels = np.array([s.label for s in seqs])
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.maximum(1, np.floor(counts * limit / len(seqs)).astype(int))
    order = np.argsort(-(counts * limit / len(seqs) - quota), kind="stable")   # largest remainders first
    for k in order[: max(0, limit - int(quota.sum()))]:
        quota[k] += 1
    rng = np.random.default_rng(seed)
    keep: list[int] = []
    for c, q in zip(classes, quota):
        members = np.flatnonzero(labels == c)
        keep += rng.choice(members, size=min(int(q), members.size), replace=False).tolist()
    return [seqs[i] for i in sorted(keep)]


def apply_root_motion(cfg: TrainConfig) -> None:
    """``preprocess.root_motion`` needs image landmarks to estimate travel from: mocap renders have them (the
    data option is switched on here, so the stored config reproduces the splits); other sources do not."""
    if not cfg.preprocess.root_motion:
        return
    if cfg.data.kind != "mocap":
        raise UserError(f"preprocess.root_motion needs data that carries image landmarks (data.kind: mocap), "
                        f"not {cfg.data.kind!r}")
    cfg.data.options = {**(cfg.data.options or {}), "root_motion": True}


def check_finite(seqs: list[SkeletonSequence], source: str) -> None:
    """Training on NaN or infinite coordinates would silently learn from garbage: refuse, naming the sequence."""
    import numpy as np

    for seq in seqs:
        if not np.isfinite(seq.keypoint).all():
            raise UserError(f"{source}: sequence {seq.name or '?'!r} has NaN or infinite keypoints")


def model_sample_fps(cfg: TrainConfig, sequences: list[SkeletonSequence]) -> float:
    """The sample rate at which the live app must window skeletons so that it shows the model its training time scale.

    consecutive sampling keeps the data's frame rate; uniform sampling squeezes a (cropped) training sequence into
    the window, so the rate is window / the typical training clip's duration (median length × mean crop ratio).
    """
    import numpy as np

    if cfg.data.fps <= 0:
        raise UserError(f"data.fps must be positive, got {cfg.data.fps}")
    if cfg.preprocess.sampling == "consecutive":
        return float(cfg.data.fps)
    crop_min = augment_config(cfg).crop_min
    frames = float(np.median([s.keypoint.shape[1] for s in sequences])) * (1.0 + crop_min) / 2.0
    return float(cfg.preprocess.window * cfg.data.fps / max(frames, 1.0))


def preprocess_config(cfg: TrainConfig):
    from aclnet_core.data.preprocess import PreprocessConfig
    return PreprocessConfig(layout=cfg.data.layout, **asdict(cfg.preprocess))


def augment_config(cfg: TrainConfig):
    from aclnet_core.data.augment import AugmentConfig
    try:
        return AugmentConfig(**cfg.augment)
    except TypeError as exc:
        raise UserError(f"invalid augment config: {exc}") from None
