"""Evaluation: multi-clip testing, weighted stream ensembles, top-1/top-5, per-class accuracy, confusion matrix."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from aclnet_core.errors import UserError
from aclnet_core.io_utils import atomic_write
from aclnet_core.model.checkpoint import load_checkpoint, model_from_checkpoint
from aclnet_core.model.metadata import ModelMetadata
from aclnet_core.skeleton.layouts import get_layout
from aclnet_core.train.config import DataConfig, config_from_dict


@dataclass
class EvalResult:
    top1: float
    top5: float | None
    mean_class_accuracy: float
    per_class: dict[str, float]
    confusion: list[list[int]]
    labels: list[str]
    num_samples: int
    streams: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"top1": self.top1, "top5": self.top5, "mean_class_accuracy": self.mean_class_accuracy,
                "per_class": self.per_class, "num_samples": self.num_samples, "labels": self.labels,
                "confusion": self.confusion, "streams": self.streams}


def data_config_for(ckpt_path: Path, overrides: dict[str, Any]) -> DataConfig:
    """The data section stored in the checkpoint, with command-line overrides (path, kind, layout, split; an
    `options` dict is merged into the stored options, or replaces them when the kind changes)."""
    payload = load_checkpoint(ckpt_path, full=True)
    data = config_from_dict(payload["config"]).data if payload.get("config") else DataConfig()
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if overrides.get("kind", data.kind) != data.kind:  # another kind of dataset: the stored options do not apply
        data = replace(data, options={}, label_names=None)
    if "options" in overrides:
        overrides["options"] = {**dict(data.options or {}), **overrides["options"]}
    return replace(data, **overrides)


def check_compatible(meta: ModelMetadata, data: DataConfig, ckpt: Path) -> None:
    """A model can only be evaluated on data of its own layout."""
    layout = get_layout(data.layout) if data.layout else None
    if layout is None:
        raise UserError("no layout for the evaluation data (pass --layout)")
    if layout.name != meta.layout or layout.num_joints != meta.num_joints:
        raise UserError(f"{ckpt.name} expects layout {meta.layout} (V={meta.num_joints}) "
                        f"but the data is {layout.name} (V={layout.num_joints})")


@torch.no_grad()
def predict_probs(ckpt: Path, data: DataConfig, split: str, clips: int, batch_size: int = 64,
                  device: str | None = None, flip: bool = False, yaw: tuple[float, ...] = ()
                  ) -> tuple[np.ndarray, np.ndarray, ModelMetadata, list[str]]:
    """Softmax probabilities (N, K), averaged over `clips` deterministic clips (and their mirrored copies when
    `flip`, and copies turned by each `yaw` angle about the vertical axis), plus the true labels."""
    from aclnet_core.data.dataset import SkeletonDataset
    from aclnet_core.train.data_setup import load_split

    model, meta = model_from_checkpoint(ckpt)
    check_compatible(meta, data, ckpt)
    seqs, names = load_split(data, split)
    if len(names) != meta.num_classes:
        raise UserError(f"{ckpt.name} knows {meta.num_classes} classes but the data has {len(names)}")
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    model.to(dev)
    dataset = SkeletonDataset(seqs, meta.preprocess_config(), train=False, num_clips=clips, test_flip=flip,
                              test_yaw=yaw)
    sample, _ = dataset[0]
    if sample.shape[-2] != meta.num_joints or sample.shape[-1] != meta.in_channels:
        raise UserError(f"{ckpt.name} expects V={meta.num_joints}, C={meta.in_channels} "
                        f"but the data gives V={sample.shape[-2]}, C={sample.shape[-1]}")
    probs, labels = clip_probs(model, dataset, batch_size, dev)
    return probs, labels, meta, names


@torch.no_grad()
def clip_probs(model: torch.nn.Module, dataset, batch_size: int = 64, device: torch.device | None = None,
               temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Softmax(logits / temperature) per item of a test-mode dataset, averaged over its clips; and the labels."""
    probs, labels = [], []
    for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        x = x.to(device) if device is not None else x
        if x.dim() == 6:                                      # (B, clips, M, T, V, C)
            b, k = x.shape[:2]
            p = (model(x.flatten(0, 1)).logits.float() / temperature).softmax(-1).reshape(b, k, -1).mean(1)
        else:
            p = (model(x).logits.float() / temperature).softmax(-1)
        probs.append(p.cpu().numpy())
        labels.append(y.numpy())
    return np.concatenate(probs), np.concatenate(labels)


def metrics(probs: np.ndarray, labels: np.ndarray, names: list[str]) -> EvalResult:
    from sklearn.metrics import confusion_matrix, top_k_accuracy_score

    k = probs.shape[1]
    pred = probs.argmax(1)
    cm = confusion_matrix(labels, pred, labels=list(range(k)))
    support = cm.sum(1)
    per_class = {names[i]: float(cm[i, i] / support[i]) for i in range(k) if support[i] > 0}
    top5 = float(top_k_accuracy_score(labels, probs, k=5, labels=list(range(k)))) if k > 5 else None
    return EvalResult(top1=float((pred == labels).mean()), top5=top5,
                      mean_class_accuracy=float(np.mean(list(per_class.values()))), per_class=per_class,
                      confusion=cm.tolist(), labels=list(names), num_samples=len(labels))


def save_confusion_png(result: EvalResult, path: Path, title: str = "") -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    k = len(result.labels)
    size = max(6.0, 0.45 * k)
    fig, ax = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay(np.asarray(result.confusion), display_labels=result.labels).plot(
        ax=ax, xticks_rotation=90, colorbar=False, include_values=k <= 30, cmap="Blues")
    ax.set_title(title or f"top-1 {result.top1:.2%}")
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def evaluate(ckpts: list[Path], overrides: dict[str, Any], split: str | None, clips: int,
             weights: list[float] | None, out_dir: Path | None, flip: bool = False,
             yaw: tuple[float, ...] = ()) -> EvalResult:
    """Evaluate one checkpoint or a weighted ensemble of streams (a weighted sum of softmax probabilities);
    `flip` also averages each stream over the mirrored clips (for models trained with flip augmentation), `yaw`
    over copies turned about the vertical axis by each angle (3D joints; for models trained with yaw turns)."""
    if weights is not None and len(weights) != len(ckpts):
        raise UserError(f"{len(weights)} weights given for {len(ckpts)} checkpoints")
    weights = weights or [1.0] * len(ckpts)
    fused, labels_ref, names_ref, streams = None, None, None, []
    for ckpt, w in zip(ckpts, weights):
        data = data_config_for(ckpt, overrides)
        the_split = split or data.val_split
        probs, labels, meta, names = predict_probs(ckpt, data, the_split, clips, flip=flip, yaw=yaw)
        if labels_ref is not None and (not np.array_equal(labels, labels_ref) or names != names_ref):
            raise UserError(f"{ckpt.name} was evaluated on different samples or labels than {ckpts[0].name}")
        labels_ref, names_ref = labels, names
        single = metrics(probs, labels, names)
        streams.append({"checkpoint": str(ckpt), "modality": meta.preprocess.get("modality"), "weight": w,
                        "top1": single.top1, "top5": single.top5})
        fused = probs * w if fused is None else fused + probs * w
    result = metrics(fused, labels_ref, names_ref)
    result.streams = streams
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        with atomic_write(out_dir / "results.json") as tmp:
            tmp.write_text(json.dumps({**result.to_dict(), "clips": clips, "flip": flip, "yaw": list(yaw)}, indent=2))
        save_confusion_png(result, out_dir / "confusion.png")
    return result
