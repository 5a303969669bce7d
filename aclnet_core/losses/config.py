"""Hyperparameters of the ACL losses (defaults = the ACLNet paper / official code, method digest §1.5).

Epochs are 1-based, as in the reference: the first training epoch is epoch 1 and the trainer calls
`ACLLoss.start_epoch(e)` at the start of every training epoch e.

Short schedules. The reference trains 150 epochs and counts confusions from epoch 30 (20 % of the run), with the
inter loss active from epoch 31. For a run of `total_epochs`, `ACLConfig.scaled_to(total_epochs)` keeps those
proportions: confusion_start = round(30 · total / 150) (at least 1) and inter_start = confusion_start + 1.
For a 60-epoch run that is confusion counting from epoch 12 and the inter loss from epoch 13. The trainer should
build its config with `ACLConfig.for_run(total_epochs, **user_options)`, which scales the thresholds unless the
user set either of them explicitly.

Memory size (intra loss) in the reference, by dataset: 512 for NTU-60 / PKU-MMD (60 / 51 classes), 1024 for
NTU-120 and FineGYM, 2048 for Kinetics-400; it must be well above the (global) batch size.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

from aclnet_core.errors import UserError

INF = math.inf
REFERENCE_EPOCHS = 150
DEFAULT_TEMPERATURE_STEPS: tuple[tuple[float, float], ...] = ((10.0, 0.1), (20.0, 0.5), (INF, 1.0))


@dataclass(frozen=True)
class ACLConfig:
    """Every ACL hyperparameter; validated on construction (bad values raise UserError)."""

    proj_dim: int = 256                 # output of each loss's Linear(topo_dim -> proj_dim)
    proto_momentum: float = 0.9         # P_c <- m·P_c + (1-m)·mean(correct u of class c)
    confusion_start_epoch: int = 30     # confusion bank counts from this epoch on (epoch >= this)
    inter_start_epoch: int = 31         # superclasses rebuilt and L_inter active from this epoch on
    topk: int = 10                      # |N(c)|: nearest confusers per class (clipped to K-1)
    shared_min: int = 5                 # d joins S(c) when |N(c) ∩ N(d)| >= shared_min (reference: > 4)
    # (max superclass size, temperature) steps: the first step with |S(y)| <= bound gives tau(y).
    temperature_steps: tuple[tuple[float, float], ...] = DEFAULT_TEMPERATURE_STEPS
    intra_tau: float = 0.1              # temperature of the intra margin loss
    intra_margin: float = 0.1           # epsilon: the own positive is weighted by omega = exp(-epsilon)
    memory_size: int = 512              # FIFO length "mem", current (global) batch included
    weight_inter: float = 0.1
    weight_intra: float = 0.1
    use_inter: bool = True              # ablation switches
    use_intra: bool = True
    seed: int = 0                       # seeds the prototype and projection initialisation (same on every rank)

    def __post_init__(self) -> None:
        steps = _parse_steps(self.temperature_steps)
        object.__setattr__(self, "temperature_steps", steps)
        checks = [
            (self.proj_dim >= 1, "proj_dim must be >= 1"),
            (0.0 <= self.proto_momentum < 1.0, "proto_momentum must be in [0, 1)"),
            (self.confusion_start_epoch >= 1, "confusion_start_epoch must be >= 1 (epochs are 1-based)"),
            (self.inter_start_epoch > self.confusion_start_epoch,
             "inter_start_epoch must be after confusion_start_epoch (superclasses need counted confusions)"),
            (self.topk >= 1, "topk must be >= 1"),
            (self.shared_min >= 1, "shared_min must be >= 1"),
            (self.intra_tau > 0.0, "intra_tau must be > 0"),
            (self.intra_margin >= 0.0, "intra_margin must be >= 0"),
            (self.memory_size >= 2, "memory_size must be >= 2"),
            (self.weight_inter >= 0.0 and self.weight_intra >= 0.0, "loss weights must be >= 0"),
        ]
        for ok, message in checks:
            if not ok:
                raise UserError(f"invalid acl config: {message}")

    # ------------------------------------------------------------------------------------------ schedules
    def scaled_to(self, total_epochs: int, reference_epochs: int = REFERENCE_EPOCHS) -> ACLConfig:
        """A copy whose epoch thresholds keep the reference proportions (30/150) for a `total_epochs` run."""
        if total_epochs < 1:
            raise UserError("invalid acl config: total_epochs must be >= 1")
        confusion = max(1, math.floor(self.confusion_start_epoch * total_epochs / reference_epochs + 0.5))
        gap = self.inter_start_epoch - self.confusion_start_epoch
        return dataclasses.replace(self, confusion_start_epoch=confusion, inter_start_epoch=confusion + gap)

    @classmethod
    def for_run(cls, total_epochs: int, **options: Any) -> ACLConfig:
        """Config for a run of `total_epochs`: thresholds scaled by `scaled_to` unless set in `options`."""
        cfg = cls.from_dict(options)
        if "confusion_start_epoch" in options or "inter_start_epoch" in options:
            return cfg
        return cfg.scaled_to(total_epochs)

    # ------------------------------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["temperature_steps"] = [list(step) for step in self.temperature_steps]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ACLConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise UserError(f"invalid acl config: unknown option(s) {', '.join(unknown)}")
        return cls(**d)


def _parse_steps(steps: Any) -> tuple[tuple[float, float], ...]:
    """Normalise (bound, temperature) pairs (lists from YAML, 'inf' strings) and check they make sense."""
    try:
        parsed = tuple((float(bound), float(tau)) for bound, tau in steps)
    except (TypeError, ValueError):
        raise UserError("invalid acl config: temperature_steps must be (max_size, temperature) pairs") from None
    bounds = [b for b, _ in parsed]
    if not parsed or bounds != sorted(bounds) or len(set(bounds)) != len(bounds) or bounds[-1] != INF:
        raise UserError("invalid acl config: temperature_steps bounds must increase and end with inf")
    if any(tau <= 0.0 for _, tau in parsed):
        raise UserError("invalid acl config: temperatures must be > 0")
    return parsed


def check_num_classes(num_classes: int) -> None:
    """The ACL losses contrast a class with others: UserError below 2 classes."""
    if num_classes < 2:
        raise UserError(f"the ACL losses need at least 2 classes, got {num_classes}")
