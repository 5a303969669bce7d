"""Knowledge distillation: a single-stream student learns from a trained ensemble's softened predictions.

The live app runs one stream in real time; a four-stream ensemble is a few points better but four times the cost.
Distillation moves part of that gain into the one model the app runs. Offline (Hinton et al. 2015): every
teacher scores each *training* sequence once, before training, on ``clips`` deterministic clips with its own
preprocessing (so a bone or motion stream can teach a joint student); the weighted mean of the teachers'
temperature-softened probabilities is that sequence's soft target for all epochs. The student's loss is

    (1 - alpha) * CE(labels, label smoothing) + alpha * T^2 * KL(soft target || softmax(student logits / T))

(plus the ACL terms). Teachers see the training split only, never the validation/test split.

Online (``distill.online``): the teachers score every augmented training batch instead, each from the same
augmented frames in its own modality, so the target matches the view the student sees (rotated, cropped,
mirrored) rather than a clean clip. It costs one teacher forward pass per batch and teacher (no backward pass).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError
from aclnet_core.train.config import DistillConfig


@torch.no_grad()
def teacher_probs(path: str | Path, sequences: list[SkeletonSequence], labels: list[str], layout: str,
                  temperature: float, clips: int, batch_size: int = 64) -> np.ndarray:
    """(N, K) softened probabilities of one teacher on `sequences`, averaged over `clips` deterministic clips."""
    from aclnet_core.data.dataset import SkeletonDataset
    from aclnet_core.eval.evaluate import clip_probs

    model, meta = _load_teacher(path, layout, labels)
    dataset = SkeletonDataset(sequences, meta.preprocess_config(), train=False, num_clips=clips)
    _check_channels(path, meta.in_channels, int(dataset[0][0].shape[-1]))
    return clip_probs(model, dataset, batch_size, temperature=temperature)[0]


def _load_teacher(path: str | Path, layout: str, labels: list[str]):
    """A teacher model (eval mode) and its metadata; refused in one line when its layout or classes differ."""
    from aclnet_core.model.checkpoint import model_from_checkpoint

    model, meta = model_from_checkpoint(path)
    name = Path(path).name
    if meta.layout != layout:
        raise UserError(f"teacher {name} is a {meta.layout} model; this run trains on {layout}")
    if list(meta.labels) != list(labels):
        raise UserError(f"teacher {name} knows other classes than this run's data "
                        f"({len(meta.labels)} vs {len(labels)} labels, or another order)")
    return model, meta


def _check_channels(path: str | Path, expected: int, given: int) -> None:
    if expected != given:
        raise UserError(f"teacher {Path(path).name} expects {expected} input channels but this run's data gives "
                        f"{given} (2D against 3D, or preprocess.use_score)")


def soft_targets(cfg: DistillConfig, sequences: list[SkeletonSequence], labels: list[str], layout: str,
                 cache: Path | None = None) -> tuple[torch.Tensor, dict[str, Any]]:
    """(N, K) float32 soft targets of the weighted teacher ensemble, and a provenance record for the checkpoint.
    With `cache`, targets computed earlier for the same teachers and settings are read back (a resumed run)."""
    from aclnet_core.model.checkpoint import load_checkpoint

    ids = [load_checkpoint(t)["meta"].model_id for t in cfg.teachers]
    weights = [float(w) for w in (cfg.weights or [1.0] * len(cfg.teachers))]
    data_key = _sequences_key(sequences)
    info = {"teachers": list(cfg.teachers), "teacher_ids": ids, "weights": weights, "alpha": cfg.alpha,
            "temperature": cfg.temperature, "clips": cfg.clips, "num_sequences": len(sequences)}
    cached = _read_cache(cache, (len(sequences), len(labels)), ids, weights, cfg, data_key)
    if cached is not None:
        return _with_agreement(cached, sequences, info)
    fused = sum(w * teacher_probs(t, sequences, labels, layout, cfg.temperature, cfg.clips)
                for t, w in zip(cfg.teachers, weights)) / sum(weights)
    fused = fused.astype(np.float32)
    if cache is not None:
        from aclnet_core.io_utils import atomic_write

        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(cache) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, targets=fused, teacher_ids=np.array(ids), temperature=cfg.temperature,
                     clips=cfg.clips, weights=np.array(weights), data_key=data_key)
    return _with_agreement(torch.from_numpy(fused), sequences, info)


def _read_cache(cache: Path | None, shape: tuple[int, int], ids: list[str], weights: list[float],
                cfg: DistillConfig, data_key: str) -> torch.Tensor | None:
    """Targets cached for exactly these teachers, settings and sequences; None when absent, stale or unreadable
    (an older or damaged cache is scored again, never trusted and never an error)."""
    if cache is None or not cache.is_file():
        return None
    try:
        with np.load(cache, allow_pickle=False) as f:
            if (f["targets"].shape == shape and list(f["teacher_ids"]) == ids
                    and float(f["temperature"]) == cfg.temperature and int(f["clips"]) == cfg.clips
                    and list(f["weights"]) == weights and str(f["data_key"]) == data_key):
                return torch.from_numpy(f["targets"].astype(np.float32))
    except (OSError, ValueError, KeyError, EOFError):
        pass
    return None


def _sequences_key(sequences: list[SkeletonSequence]) -> str:
    """A fingerprint of the training sequences (names, labels, shapes), so a cache of other data is not reused."""
    import hashlib

    text = "\n".join(f"{s.name}|{s.label}|{tuple(s.keypoint.shape)}" for s in sequences)
    return hashlib.sha256(text.encode()).hexdigest()


def _with_agreement(targets: torch.Tensor, sequences: list[SkeletonSequence], info: dict[str, Any]):
    """Record how often the teachers' top class is the true label (a weak or mismatched teacher shows here)."""
    labels = torch.as_tensor([s.label for s in sequences])
    info["teacher_train_top1"] = round(float((targets.argmax(1) == labels).float().mean()), 4)
    return targets, info


def distill_loss(student_logits: torch.Tensor, targets: torch.Tensor, temperature: float) -> torch.Tensor:
    """T^2 * KL(targets || softmax(student / T)), batch mean (Hinton's scaling keeps gradients comparable to CE)."""
    log_p = F.log_softmax(student_logits.float() / temperature, dim=-1)
    return F.kl_div(log_p, targets, reduction="batchmean") * temperature * temperature


_SAME_PREPROCESS = ("window", "num_person", "center", "scale", "align", "sampling", "root_motion")


class OnlineTeachers:
    """Teachers that score the student's augmented batch: (N, M, T, V, C) joints -> (N, K) fused soft targets.

    Each teacher gets the batch in its own modality (bones, motion) computed from the same joints, so a teacher
    must share the student's preprocessing apart from the modality (window, normalisation, sampling) and must not
    use the score channel (the augmented joints carry none).
    """

    def __init__(self, cfg: DistillConfig, labels: list[str], student: Any, in_channels: int,
                 device: torch.device) -> None:
        self.cfg, self.device, self.layout = cfg, device, student.layout
        self.weights = [float(w) for w in (cfg.weights or [1.0] * len(cfg.teachers))]
        self.models, self.modalities, ids = [], [], []
        for path in cfg.teachers:
            model, meta = _load_teacher(path, student.layout, labels)
            _check_channels(path, meta.in_channels, in_channels)
            pre = meta.preprocess_config()
            differ = [k for k in _SAME_PREPROCESS if getattr(pre, k) != getattr(student, k)]
            if differ or pre.use_score:
                what = ", ".join(differ) if differ else "use_score"
                raise UserError(f"online distillation needs teachers preprocessed like the student apart from the "
                                f"modality; teacher {Path(path).name} differs in {what} (use offline distillation)")
            self.models.append(model.to(device).eval())
            self.modalities.append(pre.modality)
            ids.append(meta.model_id)
        self.info = {"teachers": list(cfg.teachers), "teacher_ids": ids, "weights": self.weights,
                     "alpha": cfg.alpha, "temperature": cfg.temperature, "online": True}

    @torch.no_grad()
    def __call__(self, joints: torch.Tensor) -> torch.Tensor:
        """(N, M, T, V, C) CPU joints of the augmented batch -> (N, K) weighted mean of the teachers' tempered softmax."""
        from aclnet_core.data.modalities import apply_modality

        n, m = joints.shape[:2]
        flat = joints.numpy().reshape(n * m, *joints.shape[2:])  # CPU joints; modalities work per person row
        fused = None
        for model, modality, w in zip(self.models, self.modalities, self.weights):
            x = torch.from_numpy(apply_modality(flat, modality, self.layout).reshape(joints.shape)).to(self.device)
            p = (model(x).logits.float() / self.cfg.temperature).softmax(-1) * w
            fused = p if fused is None else fused + p
        return fused / sum(self.weights)


class IndexedDataset(Dataset):
    """Items (x, y, index): the student's batch carries the index that picks each sequence's soft target."""

    def __init__(self, base: Dataset) -> None:
        self.base = base

    def __len__(self) -> int:
        return len(self.base)

    def __getattr__(self, name: str) -> Any:
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    def __getitem__(self, index: int):
        x, y = self.base[index]
        return x, y, index
