"""Hand-crafted identity baselines: what a gait model has to beat on a dataset, with no training at all.

Each sequence becomes one feature vector, standardised with the gallery's statistics; the similarity is minus the
Euclidean distance (nearest neighbour), with the metrics of `aclnet_core.eval.identification`:
- ``bones``: the median length of every bone (body proportions and size);
- ``pose``: the mean pose, centred on the hips and rotated to face +x (``normalize_sequence(align=True)``);
- ``both``: the two concatenated.

`--loo` scores a single split leave-one-out instead (each sequence against all the others of that split),
which tells how much of a cross-view or cross-condition gap comes from the split itself.

Usage: `python -m aclnet_core.eval.identity_baselines --kind nw_ucla --data ../shared/data/nw_ucla --layout kinect20
--option actions=[3] --option label_by=subject --gallery-split train --probe-split val`
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.eval.identification import IdentificationResult, similarity_metrics

FEATURES = ("bones", "pose", "both")

__all__ = ["FEATURES", "baseline_features", "evaluate_baseline", "negative_distance"]


def _features(keypoint: np.ndarray, layout: str, kind: str) -> np.ndarray:
    from aclnet_core.data.modalities import bones
    from aclnet_core.data.preprocess import select_persons
    from aclnet_core.data.sampling import drop_empty_frames
    from aclnet_core.skeleton.layouts import get_layout
    from aclnet_core.skeleton.normalize import normalize_sequence

    lay = get_layout(layout)
    kp, _ = select_persons(np.asarray(keypoint, np.float32), 1)
    kp, _ = drop_empty_frames(kp)
    parts = []
    if kind in ("bones", "both"):
        lengths = np.linalg.norm(bones(kp, lay)[0], axis=-1)             # (T, V); the root's "bone" is 0
        parts.append(np.median(lengths, axis=0))
    if kind in ("pose", "both"):
        pose = normalize_sequence(kp, lay, center=True, scale=False, align=kp.shape[-1] == 3)[0]
        parts.append(pose.mean(axis=0).ravel())
    return np.concatenate(parts)


def baseline_features(sequences, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, D), labels (N,)) of sequences (aclnet_core.data.sequence.SkeletonSequence)."""
    if kind not in FEATURES:
        raise UserError(f"unknown baseline feature {kind!r}; choose one of {', '.join(FEATURES)}")
    feats = np.stack([_features(s.keypoint, s.layout, kind) for s in sequences])
    return feats, np.array([s.label for s in sequences], dtype=np.int64)


def _standardise(gallery: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mean, std = gallery.mean(axis=0), gallery.std(axis=0)
    std = np.where(std > 1e-9, std, 1.0)
    return [(x - mean) / std for x in (gallery, *others)]


def negative_distance(probe: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """(P, G) minus the Euclidean distances: nearest neighbour as a similarity."""
    return -np.sqrt(np.maximum(((probe[:, None, :] - gallery[None, :, :]) ** 2).sum(-1), 0.0))


def _leave_one_out_rank1(feats: np.ndarray, labels: np.ndarray) -> float:
    (z,) = _standardise(feats)
    sim = negative_distance(z, z)
    np.fill_diagonal(sim, -np.inf)
    return float(np.mean(labels[sim.argmax(axis=1)] == labels))


def evaluate_baseline(data, kind: str, gallery_split: str, probe_split: str, far: float = 0.01,
                      loo: bool = False) -> IdentificationResult | float:
    """Gallery-vs-probe metrics of a hand-crafted feature, or (loo=True) the leave-one-out rank-1 of probe_split."""
    from aclnet_core.train.data_setup import load_split

    probe, names = load_split(data, probe_split)
    p_feat, p_lab = baseline_features(probe, kind)
    if loo:
        return _leave_one_out_rank1(p_feat, p_lab)
    gallery, g_names = load_split(data, gallery_split)
    if g_names != names:
        raise UserError(f"splits {gallery_split!r} and {probe_split!r} label identities differently")
    g_feat, g_lab = baseline_features(gallery, kind)
    g_z, p_z = _standardise(g_feat, p_feat)
    return similarity_metrics(negative_distance(p_z, g_z), g_lab, p_lab, far)


def main(argv: list[str] | None = None) -> int:
    from aclnet_core.cli_types import OneLineArgumentParser

    parser = OneLineArgumentParser(prog="python -m aclnet_core.eval.identity_baselines",
                                     description="Nearest-neighbour identity baselines from hand-crafted features "
                                     "(bone lengths, mean pose): the floor a gait model must clear.")
    parser.add_argument("--data", default="", help="dataset path")
    parser.add_argument("--kind", required=True, help="dataset kind: pyskl, nw_ucla, recordings or synthetic")
    parser.add_argument("--layout", required=True)
    parser.add_argument("--gallery-split", default="train")
    parser.add_argument("--probe-split", default="val")
    parser.add_argument("--feature", choices=FEATURES, action="append", help="default: all three")
    parser.add_argument("--loo", action="store_true", help="leave-one-out within the probe split instead")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a data option")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="unpickle any object in a .pkl dataset (only for files you trust; default: numpy data only)")
    args = parser.parse_args(argv)
    from aclnet_core.safe_load import trusting_pickles

    with trusting_pickles(args.trust_pickle):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        from aclnet_core.train.config import DataConfig, apply_overrides

        data = DataConfig(kind=args.kind, path=args.data, layout=args.layout,
                          options=apply_overrides({}, args.option) if args.option else {})
        report = {}
        for kind in args.feature or FEATURES:
            result = evaluate_baseline(data, kind, args.gallery_split, args.probe_split, loo=args.loo)
            report[kind] = {"loo_rank1": result} if args.loo else result.to_dict()
            if not args.json:
                print(f"{kind:5s}: " + (f"leave-one-out rank-1 {result:.2%} within {args.probe_split!r}" if args.loo
                                        else result.summary()))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
