"""Identification as the app does it: gallery templates per person, probes as templates of their own windows.

`python main.py eval CKPT --task identification` runs this. A split is embedded clip by clip (`clips` deterministic
windows per sequence, the checkpoint's own preprocessing). Then:

- every probe sequence is one template of its windows (`aclnet_core.eval.templates.build_template`, as
  `gallery identify` matches a walk);
- the gallery is enrolled as `templates`:
  ``person`` (default): one template per person from all their gallery windows (outlier windows rejected),
  ``walk``: one template per gallery sequence, a person scoring their best template (the app after one
  enrolment per walk);
- the score of a (probe, person) pair is the cosine to the person's best template, and people are ranked, not
  walks: rank-k, mAP (one relevant person per probe), TAR at a FAR and EER over (probe, person) pairs
  (`aclnet_core.eval.identification.similarity_metrics`).

Per-condition breakdown: each probe has a condition, the name of its probe split when several are given
(``--probe-split nm,bg,cl``), or the text a regular expression (``--condition-key``; its first group, else the whole
match) finds in the sequence name (e.g. ``_v(\\d+)`` for the camera view); the metrics are repeated per condition
against the same gallery.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.eval.identification import IdentificationResult, max_per_identity, similarity_metrics
from aclnet_core.eval.templates import build_template

__all__ = ["TEMPLATE_MODES", "EmbeddedSplit", "IdProtocol", "condition_names", "evaluate_protocol",
           "gallery_templates", "protocol_metrics"]

TEMPLATE_MODES = ("person", "walk")
NO_MATCH = "other"  # the condition of a probe whose name the condition key does not match


@dataclass(frozen=True)
class IdProtocol:
    """Which splits are gallery and probe, how the gallery is enrolled, and how probes are grouped."""

    gallery_split: str = "train"
    probe_splits: tuple[str, ...] = ("val",)
    templates: str = "person"  # person | walk
    condition_key: str = ""  # regular expression on the sequence name ('' = conditions are the probe splits)
    far: float = 0.01
    clips: int = 1  # windows per sequence (deterministic, evenly spread)

    def __post_init__(self) -> None:
        if self.templates not in TEMPLATE_MODES:
            raise UserError(f"templates must be one of {', '.join(TEMPLATE_MODES)}, not {self.templates!r}")
        if not self.probe_splits or not all(self.probe_splits):
            raise UserError("give at least one probe split")
        if self.gallery_split in self.probe_splits:
            raise UserError(f"split {self.gallery_split!r} cannot be both gallery and probe")
        if self.condition_key:
            _compile(self.condition_key)


@dataclass
class EmbeddedSplit:
    """Window embeddings (N, clips, D) of a split, with each sequence's label, name and split."""

    windows: np.ndarray
    labels: np.ndarray
    names: list[str]
    splits: list[str]
    label_names: list[str] = field(default_factory=list)


def _compile(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UserError(f"condition key {pattern!r} is not a valid regular expression ({exc})") from None


def condition_names(names: list[str], splits: list[str], key: str = "") -> list[str]:
    """Each probe's condition: the key's first group (else the whole match) in its name, or its split name."""
    if not key:
        return list(splits)
    pattern = _compile(key)
    out = []
    for name in names:
        m = pattern.search(name)
        out.append(NO_MATCH if m is None else (m.group(1) if m.groups() and m.group(1) is not None else m.group(0)))
    return out


def gallery_templates(gallery: EmbeddedSplit, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(templates (T, D), owner label (T,)): one per person or one per gallery sequence (`mode`)."""
    if mode == "walk":
        vectors = [build_template(w).vector for w in gallery.windows]
        return np.stack(vectors), np.asarray(gallery.labels)
    people = np.unique(gallery.labels)
    vectors = [build_template(gallery.windows[gallery.labels == p].reshape(-1, gallery.windows.shape[-1])).vector
               for p in people]
    return np.stack(vectors), people


def protocol_metrics(gallery: EmbeddedSplit, probe: EmbeddedSplit, protocol: IdProtocol,
                     max_rank: int = 20) -> IdentificationResult:
    """Person-level identification metrics of the probes against the enrolled gallery, with
    `extra['conditions']` = {condition: metrics} when the probes fall into more than one condition."""
    templates, owner = gallery_templates(gallery, protocol.templates)
    people = np.unique(owner)
    probes = np.stack([build_template(w).vector for w in probe.windows]).astype(np.float64)
    owner_index = np.searchsorted(people, owner)
    scores = max_per_identity(probes @ templates.T.astype(np.float64), owner_index, len(people))  # (P, persons)
    result = similarity_metrics(scores, people, probe.labels, protocol.far, max_rank)
    result.num_gallery = len(templates)
    conditions = condition_names(probe.names, probe.splits, protocol.condition_key)
    groups = sorted(set(conditions))
    if len(groups) > 1:
        per: dict[str, Any] = {}
        cond = np.asarray(conditions)
        for name in groups:
            rows = cond == name
            per[name] = _condition_entry(scores[rows], people, probe.labels[rows], protocol.far, max_rank)
        result.extra["conditions"] = per
    result.extra.update({"templates": protocol.templates, "num_templates": len(templates),
                         "gallery_people": len(people)})
    return result


def _condition_entry(scores: np.ndarray, people: np.ndarray, labels: np.ndarray, far: float,
                     max_rank: int) -> dict[str, Any]:
    """The headline metrics of one condition's probes (an error message instead when they cannot be computed)."""
    try:
        r = similarity_metrics(scores, people, labels, far, max_rank)
    except UserError as exc:
        return {"num_probe": len(labels), "error": str(exc)}
    return {"num_probe": r.num_probe, "rank1": r.rank1, "rank5": r.rank5, "mAP": r.mAP, "tar_at_far": r.tar_at_far,
            "eer": r.eer, "probes_without_match": r.probes_without_match}


def _embed_windows(model, meta, seqs, clips: int, batch_size: int, dev) -> np.ndarray:
    """(N, clips, D) L2-normalised window embeddings of sequences through the checkpoint's preprocessing."""
    import torch
    from torch.utils.data import DataLoader

    from aclnet_core.data.dataset import SkeletonDataset

    dataset = SkeletonDataset(seqs, meta.preprocess_config(), train=False, num_clips=clips)
    out = []
    with torch.no_grad():
        for x, _ in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            x = x.to(dev)
            if x.dim() == 5:  # one clip: (B, M, T, V, C)
                x = x[:, None]
            b, k = x.shape[:2]
            e = model(x.flatten(0, 1)).embedding.float().reshape(b, k, -1)
            out.append(torch.nn.functional.normalize(e, dim=-1).cpu().numpy())
    return np.concatenate(out).astype(np.float64)


def embed_splits(ckpt: Path, data: Any, splits: tuple[str, ...], clips: int = 1, batch_size: int = 64,
                 device: str | None = None) -> tuple[EmbeddedSplit, Any]:
    """The window embeddings of one or more splits, concatenated (all splits must name the same identities)."""
    import torch

    from aclnet_core.eval.evaluate import check_compatible
    from aclnet_core.model.checkpoint import model_from_checkpoint
    from aclnet_core.train.data_setup import load_split

    model, meta = model_from_checkpoint(ckpt)
    check_compatible(meta, data, ckpt)
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    model.to(dev).eval()
    parts, label_names = [], None
    for split in splits:
        seqs, names = load_split(data, split)
        if label_names is not None and names != label_names:
            raise UserError(f"split {split!r} labels identities differently from split {splits[0]!r}")
        label_names = names
        windows = _embed_windows(model, meta, seqs, clips, batch_size, dev)
        parts.append(EmbeddedSplit(windows, np.array([s.label for s in seqs]), [s.name for s in seqs],
                                   [split] * len(seqs)))
    merged = EmbeddedSplit(np.concatenate([p.windows for p in parts]), np.concatenate([p.labels for p in parts]),
                           [n for p in parts for n in p.names], [s for p in parts for s in p.splits],
                           list(label_names or []))
    return merged, meta


def evaluate_protocol(ckpt: str | Path, data_cfg: Any, protocol: IdProtocol, out_dir: str | Path | None = None,
                      batch_size: int = 64, device: str | None = None) -> IdentificationResult:
    """Embed the gallery and probe splits with a checkpoint and score them as the app would (see module doc).

    data_cfg: a DataConfig, or a dict of overrides of the checkpoint's stored data section.
    """
    from aclnet_core.eval.identification import _data_config
    from aclnet_core.io_utils import atomic_write

    ckpt = Path(ckpt)
    data = _data_config(ckpt, data_cfg)
    gallery, meta = embed_splits(ckpt, data, (protocol.gallery_split,), protocol.clips, batch_size, device)
    probe, _ = embed_splits(ckpt, data, protocol.probe_splits, protocol.clips, batch_size, device)
    if gallery.label_names != probe.label_names:
        raise UserError(f"splits {protocol.gallery_split!r} and {', '.join(protocol.probe_splits)} label "
                        "identities differently")
    result = protocol_metrics(gallery, probe, protocol)
    result.extra.update({"checkpoint": str(ckpt), "model_id": meta.model_id, "task": meta.task,
                         "gallery_split": protocol.gallery_split, "probe_split": ",".join(protocol.probe_splits),
                         "clips": protocol.clips, "layout": data.layout, "condition_key": protocol.condition_key})
    if out_dir is not None:
        with atomic_write(Path(out_dir) / "identification.json") as tmp:
            tmp.write_text(json.dumps(result.to_dict(), indent=2))
    return result


def format_report(result: IdentificationResult) -> str:
    """The summary line, then one line per condition."""
    lines = [result.summary().replace("gallery samples", f"gallery templates ({result.extra.get('templates')})")]
    for name, m in (result.extra.get("conditions") or {}).items():
        if "error" in m:
            lines.append(f"  {name}: {m['num_probe']} probes: {m['error']}")
        else:
            lines.append(f"  {name}: rank-1 {m['rank1']:.2%}, rank-5 {m['rank5']:.2%}, mAP {m['mAP']:.2%}, "
                         f"TAR {m['tar_at_far']:.2%}, EER {m['eer']:.2%} ({m['num_probe']} probes)")
    return "\n".join(lines)
