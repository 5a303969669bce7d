"""Training configuration: YAML files with dotted command-line overrides (`--set optim.lr=0.05`)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from aclnet_core.errors import UserError


@dataclass
class DataConfig:
    kind: str = "pyskl"              # pyskl | nw_ucla | recordings | synthetic
    path: str = ""
    layout: str = ""
    train_split: str = "train"
    val_split: str = "val"
    label_names: list[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)   # kind-specific (e.g. synthetic sizes, label_by)
    fps: float = 30.0                # frame rate of the sequences (NTU, NW-UCLA, the synthetic generator: 30)
    train_limit: int = 0             # >0: train on at most this many clips, a fixed class-stratified draw (seed 0;
                                     # small-data checks: the same clips whatever the run's seed)
    dims: int = 0                    # 0: coordinates as loaded; 2: keep x and y (a 2D projection, e.g. to pretrain
                                     # from 3D mocap for a 2D pose-estimator dataset)


@dataclass
class PreprocessSection:
    window: int = 64
    num_person: int = 1
    modality: str = "j"
    center: bool = True
    scale: bool = True
    align: bool = False
    sampling: str = "uniform"        # uniform (PYSKL: the whole sequence resampled) | consecutive (see data.sampling)
    use_score: bool = False          # append the keypoint confidence as an extra input channel
    root_motion: bool = False        # world landmarks plus the travel seen in the image (mocap renders; the app)


@dataclass
class OptimConfig:
    epochs: int | str = 60           # or 'auto': sized from the training set (aclnet_core.train.budget)
    batch_size: int = 16
    lr: float = 0.025                # for batch 16; scaled linearly with batch size × world size
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    warmup_epochs: float = 0.0
    min_lr: float = 0.0
    label_smoothing: float = 0.0     # cross-entropy target smoothing (0 = off; 0.1 helps small sets)
    ema: float | str = 0.0           # decay of an exponential moving average of the weights (0 = off, e.g. 0.998;
                                     # 'auto' with epochs 'auto': about the last 10 % of the steps)
    auto_steps: int = 3000           # optimiser steps that epochs 'auto' aims at
    auto_plan: dict[str, Any] = field(default_factory=dict)   # how 'auto' was resolved (written by the trainer)


@dataclass
class DistillConfig:
    """Knowledge distillation from trained models (aclnet_core.train.distill); no teachers = off."""

    teachers: list[str] = field(default_factory=list)   # checkpoints (any modality, same layout and labels)
    weights: list[float] | None = None                  # per teacher; None = equal (e.g. 2, 2, 1, 1 for J, B, JM, BM)
    alpha: float = 0.5                                   # weight of the distillation term against cross-entropy
    temperature: float = 4.0
    clips: int = 5                                       # deterministic clips per sequence the teachers average (offline)
    online: bool = False                                 # teachers score each augmented batch instead of once

    @property
    def enabled(self) -> bool:
        return bool(self.teachers)

    def check(self) -> None:
        if not isinstance(self.teachers, list) or not all(isinstance(t, str) and t for t in self.teachers):
            raise UserError("distill.teachers must be a list of checkpoint paths")
        if self.weights is not None:
            if len(self.weights) != len(self.teachers):
                raise UserError(f"distill.weights has {len(self.weights)} values for {len(self.teachers)} teachers")
            if any(isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0
                   for w in self.weights) or sum(self.weights) <= 0:
                raise UserError("distill.weights must be non-negative numbers with a positive sum")
        for key, value, lo, hi in (("alpha", self.alpha, 0.0, 1.0), ("temperature", self.temperature, 0.05, 100.0)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise UserError(f"distill.{key} must be a number in [{lo:g}, {hi:g}], got {value!r}")
        if isinstance(self.clips, bool) or not isinstance(self.clips, int) or not 1 <= self.clips <= 100:
            raise UserError(f"distill.clips must be an integer in [1, 100], got {self.clips!r}")
        if not isinstance(self.online, bool):
            raise UserError(f"distill.online must be true or false, got {self.online!r}")


@dataclass
class TrainConfig:
    name: str = "run"
    task: str = "action"             # action | gait
    data: DataConfig = field(default_factory=DataConfig)
    preprocess: PreprocessSection = field(default_factory=PreprocessSection)
    augment: dict[str, Any] = field(default_factory=dict)   # AugmentConfig fields
    preset: str = "lite"
    head_dropout: float = 0.0
    init_from: str = ""              # start from this checkpoint's weights (fine-tuning; the class head is new)
    acl: dict[str, Any] = field(default_factory=dict)       # ACLConfig fields; {'enabled': False} = CE only
    distill: DistillConfig = field(default_factory=DistillConfig)   # learn from a trained ensemble (train.distill)
    optim: OptimConfig = field(default_factory=OptimConfig)
    seed: int = 1
    workers: int = 0
    threads: int = 0                 # torch CPU threads (0 = all cores)
    amp: bool = True                 # mixed precision on CUDA (ignored on CPU)
    eval_interval: int = 1
    val_clips: int = 1
    test_clips: int = 10
    out_dir: str = "runs/{name}"
    metrics: str = "csv"             # csv | tensorboard | both

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def run_dir(self) -> Path:
        return Path(self.out_dir.format(name=self.name))


def _build(cls, data: dict[str, Any], where: str):
    """Build a (nested) dataclass from a dict, rejecting unknown keys with a clear message."""
    if not isinstance(data, dict):
        raise UserError(f"config section {where or 'top level'} must be a mapping")
    known = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise UserError(f"unknown config key(s) in {where or 'top level'}: {', '.join(sorted(unknown))}")
    kwargs = {}
    for name, value in data.items():
        sub = _DATACLASS_FIELDS.get((cls, name))
        kwargs[name] = _build(sub, value, f"{where}.{name}".strip(".")) if sub else value
    return cls(**kwargs)


_DATACLASS_FIELDS = {(TrainConfig, "data"): DataConfig, (TrainConfig, "preprocess"): PreprocessSection,
                     (TrainConfig, "optim"): OptimConfig, (TrainConfig, "distill"): DistillConfig}


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `a.b.c=value` strings (values parsed as YAML) to a nested dict."""
    for item in overrides:
        if "=" not in item:
            raise UserError(f"override {item!r} must look like key.sub=value")
        key, value = item.split("=", 1)
        node = raw
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise UserError(f"override {item!r}: {part} is not a section")
        node[parts[-1]] = _parse_value(value)
    return raw


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """Read a YAML config (or start from defaults when `path` is None) and apply overrides."""
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise UserError(f"config not found: {path}")
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise UserError(f"{path}: invalid YAML ({str(exc).splitlines()[0]})") from None
    raw = apply_overrides(raw, overrides or [])
    try:
        cfg = _build(TrainConfig, raw, "")
    except TypeError as exc:
        raise UserError(f"invalid config: {exc}") from None
    if cfg.task not in ("action", "gait"):
        raise UserError(f"task must be 'action' or 'gait', not {cfg.task!r}")
    from aclnet_core.train.config_checks import check_config

    check_config(cfg)
    return cfg


def config_from_dict(d: dict[str, Any]) -> TrainConfig:
    """The TrainConfig stored in a checkpoint (range-checked like a YAML file)."""
    from aclnet_core.train.config_checks import check_config

    try:
        cfg = _build(TrainConfig, d, "")
    except TypeError as exc:
        raise UserError(f"invalid stored config: {exc}") from None
    check_config(cfg)
    return cfg


def replace(cfg: TrainConfig, **changes: Any) -> TrainConfig:
    return dataclasses.replace(cfg, **changes)
