"""Identification metrics for gait embeddings: CMC / rank-k, mAP and TAR at a FAR, plus checkpoint evaluation.

Conventions (the usual re-identification ones):
- Similarity is the cosine of L2-normalised embeddings.
- CMC and mAP rank the gallery *samples* for each probe; probes whose identity has no gallery sample are left
  out (and counted).
- TAR@FAR is the verification view that the open-set threshold uses: each (probe, identity) pair scores the
  probe's best similarity to that identity's gallery samples; pairs of the probe's own identity are genuine,
  the rest impostors. A pair is accepted when score >= threshold.

Usage: `python -m aclnet_core.eval.identification CKPT --gallery-split train --probe-split val`; with
`--write-threshold` the threshold reached at the target FAR is stored in the checkpoint's metadata
(`meta.extra['identity_threshold']`), where the app takes its default open-set threshold from.
This module ranks single gallery samples; `python main.py eval CKPT --task identification`
(`aclnet_core.eval.id_protocol`) enrols one template per person as the app does, with `--layout` and a
per-condition breakdown, on the same metric functions.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aclnet_core.errors import UserError

__all__ = [
    "IdentificationResult",
    "RocPoint",
    "cmc_curve",
    "cosine_similarity",
    "embed_sequences",
    "evaluate_identification",
    "genuine_impostor_scores",
    "identification_metrics",
    "l2_normalize",
    "max_per_identity",
    "mean_average_precision",
    "roc_operating_point",
    "similarity_metrics",
    "write_threshold",
]  # fmt: skip

THRESHOLD_META_KEY = "identity_threshold"  # meta.extra key of the calibrated open-set threshold


@dataclass(frozen=True)
class RocPoint:
    threshold: float  # accept when score >= threshold (inf: accept nothing)
    tar: float  # true accept rate at that threshold
    far: float  # false accept rate actually reached (<= the target)
    target_far: float
    eer: float  # equal error rate of the whole curve
    auc: float


@dataclass
class IdentificationResult:
    rank1: float
    rank5: float
    cmc: list[float]  # cmc[k-1] = rank-k identification rate
    mAP: float
    tar_at_far: float
    far: float  # the target FAR
    threshold: float  # the score threshold that reaches it
    eer: float
    num_gallery: int
    num_probe: int
    num_identities: int
    probes_without_match: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (f"rank-1 {self.rank1:.2%}, rank-5 {self.rank5:.2%}, mAP {self.mAP:.2%}, "
                f"TAR {self.tar_at_far:.2%} at FAR {self.far:.1%} (threshold {self.threshold:.3f}), "
                f"EER {self.eer:.2%}; {self.num_probe} probes vs {self.num_gallery} gallery samples of "
                f"{self.num_identities} identities")


# ------------------------------------------------------------------------------------------------ basics
def l2_normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise UserError(f"embeddings must be (N, D), got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(Na, D), (Nb, D) -> (Na, Nb) cosine similarities."""
    a, b = l2_normalize(a), l2_normalize(b)
    if a.shape[1] != b.shape[1]:
        raise UserError(f"embedding sizes differ: {a.shape[1]} vs {b.shape[1]}")
    return a @ b.T


def max_per_identity(similarity: np.ndarray, owner: np.ndarray, num_identities: int) -> np.ndarray:
    """(N, T) similarity to T templates owned by identities `owner` (T,) -> (N, K) best per identity.

    Identities without any template get -inf.
    """
    similarity = np.asarray(similarity, dtype=np.float64)
    owner = np.asarray(owner, dtype=np.int64)
    out = np.full((similarity.shape[0], num_identities), -np.inf)
    for k in range(num_identities):
        cols = owner == k
        if cols.any():
            out[:, k] = similarity[:, cols].max(axis=1)
    return out


def _check(gallery_labels: np.ndarray, probe_labels: np.ndarray, similarity: np.ndarray):
    g = np.asarray(gallery_labels).reshape(-1)
    p = np.asarray(probe_labels).reshape(-1)
    if similarity.shape != (p.size, g.size):
        raise UserError(f"similarity {similarity.shape} does not match {p.size} probes x {g.size} gallery")
    if g.size == 0 or p.size == 0:
        raise UserError("identification needs at least one gallery and one probe sample")
    return g, p


# ------------------------------------------------------------------------------------------------ metrics
def cmc_curve(similarity: np.ndarray, gallery_labels: np.ndarray, probe_labels: np.ndarray,
              max_rank: int | None = None) -> tuple[np.ndarray, int]:
    """CMC over gallery samples: (curve (max_rank,), probes left out because their identity has no sample)."""
    similarity = np.asarray(similarity, dtype=np.float64)
    g, p = _check(gallery_labels, probe_labels, similarity)
    max_rank = g.size if max_rank is None else min(max_rank, g.size)
    order = np.argsort(-similarity, axis=1, kind="stable")
    hits = g[order] == p[:, None]  # (P, G) in ranked order
    valid = hits.any(axis=1)
    if not valid.any():
        raise UserError("no probe identity appears in the gallery")
    first = hits[valid].argmax(axis=1)  # 0-based rank of the first correct match
    curve = np.array([(first < k).mean() for k in range(1, max_rank + 1)])
    return curve, int((~valid).sum())


def mean_average_precision(similarity: np.ndarray, gallery_labels: np.ndarray, probe_labels: np.ndarray) -> float:
    """Mean over probes (with at least one gallery match) of the average precision of the ranked gallery."""
    from sklearn.metrics import average_precision_score

    similarity = np.asarray(similarity, dtype=np.float64)
    g, p = _check(gallery_labels, probe_labels, similarity)
    aps = [average_precision_score(g == label, row) for row, label in zip(similarity, p) if (g == label).any()]
    if not aps:
        raise UserError("no probe identity appears in the gallery")
    return float(np.mean(aps))


def genuine_impostor_scores(similarity: np.ndarray, gallery_labels: np.ndarray,
                            probe_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best-per-identity scores of (probe, identity) pairs: genuine = own identity, impostor = every other."""
    similarity = np.asarray(similarity, dtype=np.float64)
    g, p = _check(gallery_labels, probe_labels, similarity)
    identities, owner = np.unique(g, return_inverse=True)
    per_id = max_per_identity(similarity, owner, len(identities))
    own = p[:, None] == identities[None, :]
    genuine = per_id[own]
    impostor = per_id[~own]
    return genuine, impostor


def roc_operating_point(genuine: np.ndarray, impostor: np.ndarray, target_far: float = 0.01) -> RocPoint:
    """The threshold with the highest TAR whose FAR is at most `target_far` (sklearn's roc_curve)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    genuine = np.asarray(genuine, dtype=np.float64).reshape(-1)
    impostor = np.asarray(impostor, dtype=np.float64).reshape(-1)
    if genuine.size == 0 or impostor.size == 0:
        raise UserError("calibration needs both genuine and impostor scores")
    if not 0.0 <= target_far <= 1.0:
        raise UserError(f"the target FAR must be in [0, 1], not {target_far}")
    y = np.concatenate([np.ones(genuine.size), np.zeros(impostor.size)])
    s = np.concatenate([genuine, impostor])
    fpr, tpr, thresholds = roc_curve(y, s, drop_intermediate=False)
    ok = np.flatnonzero(fpr <= target_far + 1e-12)
    i = int(ok[-1])  # tpr never decreases along the curve: the last allowed point has the best TAR
    fnr = 1.0 - tpr
    j = int(np.argmin(np.abs(fnr - fpr)))
    eer = float((fnr[j] + fpr[j]) / 2)
    return RocPoint(threshold=float(thresholds[i]), tar=float(tpr[i]), far=float(fpr[i]), target_far=target_far,
                    eer=eer, auc=float(roc_auc_score(y, s)))


def identification_metrics(gallery_emb: np.ndarray, gallery_labels: np.ndarray, probe_emb: np.ndarray,
                           probe_labels: np.ndarray, far: float = 0.01, max_rank: int = 20) -> IdentificationResult:
    """Rank-k (CMC), mAP and TAR@FAR of probe embeddings against gallery embeddings."""
    return similarity_metrics(cosine_similarity(probe_emb, gallery_emb), gallery_labels, probe_labels, far, max_rank)


def similarity_metrics(similarity: np.ndarray, gallery_labels: np.ndarray, probe_labels: np.ndarray,
                       far: float = 0.01, max_rank: int = 20) -> IdentificationResult:
    """The same metrics from any (probes, gallery) similarity matrix (higher = more alike)."""
    curve, missing = cmc_curve(similarity, gallery_labels, probe_labels, max_rank)
    genuine, impostor = genuine_impostor_scores(similarity, gallery_labels, probe_labels)
    point = roc_operating_point(genuine, impostor, far)
    return IdentificationResult(
        rank1=float(curve[0]), rank5=float(curve[min(4, len(curve) - 1)]), cmc=[float(c) for c in curve],
        mAP=mean_average_precision(similarity, gallery_labels, probe_labels), tar_at_far=point.tar, far=far,
        threshold=point.threshold, eer=point.eer, num_gallery=len(gallery_labels),
        num_probe=len(probe_labels), num_identities=int(np.unique(gallery_labels).size),
        probes_without_match=missing, extra={"far_reached": point.far, "auc": point.auc})


# ------------------------------------------------------------------------------------------- checkpoints
def embed_sequences(ckpt: str | Path, data: Any, split: str, clips: int = 1, batch_size: int = 64,
                    device: str | None = None):
    """Embeddings (N, D) of a split through the checkpoint's own preprocessing (clip embeddings averaged).

    Returns (embeddings, labels, meta, label_names).
    """
    import torch
    from torch.utils.data import DataLoader

    from aclnet_core.data.dataset import SkeletonDataset
    from aclnet_core.eval.evaluate import check_compatible
    from aclnet_core.model.checkpoint import model_from_checkpoint
    from aclnet_core.train.data_setup import load_split

    ckpt = Path(ckpt)
    model, meta = model_from_checkpoint(ckpt)
    check_compatible(meta, data, ckpt)
    seqs, names = load_split(data, split)
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    model.to(dev)
    dataset = SkeletonDataset(seqs, meta.preprocess_config(), train=False, num_clips=clips)
    embeddings, labels = [], []
    with torch.no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            x = x.to(dev)
            if x.dim() == 6:  # (B, clips, M, T, V, C)
                b, k = x.shape[:2]
                e = model(x.flatten(0, 1)).embedding.float().reshape(b, k, -1).mean(1)
            else:
                e = model(x).embedding.float()
            embeddings.append(e.cpu().numpy())
            labels.append(y.numpy())
    return l2_normalize(np.concatenate(embeddings)), np.concatenate(labels), meta, names


def _data_config(ckpt: Path, data_cfg: Any):
    """A DataConfig: given as is, or the checkpoint's own data section with a dict of overrides."""
    from aclnet_core.eval.evaluate import data_config_for
    from aclnet_core.train.config import DataConfig

    if isinstance(data_cfg, DataConfig):
        return data_cfg
    return data_config_for(ckpt, dict(data_cfg or {}))


def evaluate_identification(ckpt: str | Path, data_cfg: Any = None, gallery_split: str = "train",
                            probe_split: str = "val", clips: int = 1, far: float = 0.01,
                            out_dir: str | Path | None = None, batch_size: int = 64,
                            device: str | None = None) -> IdentificationResult:
    """Embed a gallery split and a probe split with a checkpoint and report rank-1/5, mAP and TAR@FAR.

    data_cfg: a DataConfig, or a dict of overrides (path, kind, layout, options…) of the checkpoint's own data
    section (None = use it as is). Both splits must use the same labels (identities).
    """
    from aclnet_core.io_utils import atomic_write

    ckpt = Path(ckpt)
    data = _data_config(ckpt, data_cfg)
    g_emb, g_lab, meta, g_names = embed_sequences(ckpt, data, gallery_split, clips, batch_size, device)
    p_emb, p_lab, _, p_names = embed_sequences(ckpt, data, probe_split, clips, batch_size, device)
    if g_names != p_names:
        raise UserError(f"splits {gallery_split!r} and {probe_split!r} label identities differently")
    result = identification_metrics(g_emb, g_lab, p_emb, p_lab, far)
    result.extra.update({"checkpoint": str(ckpt), "model_id": meta.model_id, "gallery_split": gallery_split,
                         "probe_split": probe_split, "clips": clips})
    if out_dir is not None:
        with atomic_write(Path(out_dir) / "identification.json") as tmp:
            tmp.write_text(json.dumps(result.to_dict(), indent=2))
        save_rank1_confusion(g_emb, g_lab, p_emb, p_lab, g_names, Path(out_dir) / "confusion.png")
    return result


def save_rank1_confusion(gallery_emb: np.ndarray, gallery_labels: np.ndarray, probe_emb: np.ndarray,
                         probe_labels: np.ndarray, names: list[str], path: Path) -> None:
    """A confusion-matrix PNG of rank-1 decisions: each probe against the identity of its nearest gallery sample."""
    from sklearn.metrics import confusion_matrix

    from aclnet_core.eval.evaluate import EvalResult, save_confusion_png

    similarity = cosine_similarity(probe_emb, gallery_emb)
    predicted = np.asarray(gallery_labels)[similarity.argmax(axis=1)]
    present = np.unique(np.concatenate([np.asarray(gallery_labels), np.asarray(probe_labels)]))
    cm = confusion_matrix(probe_labels, predicted, labels=present)
    labels = [names[i] if 0 <= i < len(names) else str(i) for i in present]
    per_class = {name: float(cm[k, k] / max(cm[k].sum(), 1)) for k, name in enumerate(labels)}
    result = EvalResult(top1=float((predicted == probe_labels).mean()), top5=None,
                        mean_class_accuracy=float(np.mean(list(per_class.values()))), per_class=per_class,
                        confusion=cm.tolist(), labels=labels, num_samples=len(probe_labels))
    save_confusion_png(result, path, title=f"rank-1 {result.top1:.2%} ({len(labels)} identities)")


def write_threshold(ckpt: str | Path, result: IdentificationResult) -> float:
    """Store the calibrated threshold (and how it was measured) in the checkpoint's metadata, atomically.

    The weights, and so the model_id, do not change. Export to ONNX afterwards so the .onnx carries it too.
    """
    from aclnet_core.model.checkpoint import load_checkpoint, save_checkpoint

    if not np.isfinite(result.threshold):
        raise UserError(f"no threshold reaches FAR {result.far:.2%} on this data; nothing written")
    payload = load_checkpoint(ckpt, full=True)
    meta = payload["meta"]
    if meta.task != "gait":
        raise UserError(f"{ckpt} is a {meta.task} model; only gait models carry an identity threshold")
    meta.extra[THRESHOLD_META_KEY] = float(result.threshold)
    meta.extra["identity_calibration"] = {
        "far": result.far, "tar": result.tar_at_far, "eer": result.eer, "rank1": result.rank1, "mAP": result.mAP,
        "gallery_split": result.extra.get("gallery_split"), "probe_split": result.extra.get("probe_split"),
        "num_identities": result.num_identities}
    payload["meta"] = meta.to_dict()
    save_checkpoint(ckpt, payload)
    return float(result.threshold)


def main(argv: list[str] | None = None) -> int:
    from aclnet_core.cli_types import OneLineArgumentParser, finite_float, int_range

    parser = OneLineArgumentParser(prog="python -m aclnet_core.eval.identification",
                                     description="Gait identification metrics of a checkpoint: rank-1/5, mAP, "
                                     "TAR@FAR (gallery split vs probe split).")
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--gallery-split", default="train")
    parser.add_argument("--probe-split", default="val")
    parser.add_argument("--data", help="dataset path (default: the checkpoint's)")
    parser.add_argument("--kind", help="dataset kind (default: the checkpoint's)")
    parser.add_argument("--clips", type=int_range(1, 1000), default=1)
    parser.add_argument("--far", type=finite_float(0.0, 1.0, lo_open=True, hi_open=True), default=0.01)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write-threshold", action="store_true",
                        help="store the threshold at --far in the checkpoint (the app's default threshold)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="override a data option of the checkpoint's config, e.g. --option "
                             "eval_identities=[256,320] for synthetic identities never used before")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="unpickle any object in a .pkl dataset (only for files you trust; default: numpy data only)")
    args = parser.parse_args(argv)
    from aclnet_core.safe_load import trusting_pickles

    with trusting_pickles(args.trust_pickle):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        from aclnet_core.train.config import apply_overrides

        overrides = {"path": args.data, "kind": args.kind}
        if args.option:
            overrides["options"] = apply_overrides({}, args.option)
        result = evaluate_identification(args.checkpoint, overrides,
                                         args.gallery_split, args.probe_split, args.clips, args.far, args.out)
        if args.write_threshold:
            write_threshold(args.checkpoint, result)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.summary())
    if args.write_threshold and not args.json:
        print(f"wrote {THRESHOLD_META_KEY} = {result.threshold:.4f} into {args.checkpoint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
