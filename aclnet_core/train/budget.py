"""`--epochs auto`: the schedule sized from the training set, a fixed budget of optimiser steps.

Rule (`plan_schedule`): steps per epoch s = ceil(N / (batch × ranks)) for N training clips;
epochs = clamp(round(steps / s), min_epochs, max_epochs) with steps = `optim.auto_steps` (default 3000, about
NW-UCLA's 60-epoch lite recipe: 1,020 clips / 16 × 60 = 3,840 steps); warm-up = 5 % of the steps;
with `optim.ema: auto`, the EMA decay averages about the last 10 % of the steps: 1 − 1 / (0.1 × total steps),
clamped to [0.99, 0.9995]. A small set therefore gets many short epochs (292 clips: 158 epochs) and a large set
few long ones (never fewer than 20).

The trainer resolves the rule once it knows N (`resolve_auto`) and stores the concrete epochs, warm-up and decay
in the run's config (with the plan under `optim.auto_plan`), so `--resume` continues the same schedule exactly.
`small_data_regularisation` is what `main.py train --epochs auto` adds unless set: label smoothing 0.1 and
`optim.ema: auto` (docs/TRAINING.md).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from aclnet_core.errors import UserError

__all__ = ["AUTO", "SchedulePlan", "StepBudget", "is_auto", "plan_schedule", "resolve_auto",
           "small_data_regularisation"]

AUTO = "auto"


@dataclass(frozen=True)
class StepBudget:
    steps: int = 3000  # target optimiser steps of the whole run
    min_epochs: int = 20
    max_epochs: int = 300
    warmup_fraction: float = 0.05
    ema_horizon: float = 0.1  # the EMA averages about this fraction of the run
    ema_range: tuple[float, float] = (0.99, 0.9995)


@dataclass(frozen=True)
class SchedulePlan:
    epochs: int
    warmup_epochs: float
    ema: float  # the decay for `optim.ema: auto` (the plan's; unused when EMA is set or off)
    steps_per_epoch: int
    total_steps: int
    num_train: int

    def note(self) -> str:
        return (f"--epochs auto: {self.num_train} training clips, {self.steps_per_epoch} steps an epoch -> "
                f"{self.epochs} epochs ({self.total_steps} steps), warm-up {self.warmup_epochs:g} epochs")


def is_auto(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == AUTO


def plan_schedule(num_train: int, batch_size: int, world_size: int = 1,
                  budget: StepBudget = StepBudget()) -> SchedulePlan:
    """Epochs, warm-up and EMA decay for `num_train` clips at `batch_size` per rank (see the module doc)."""
    if num_train < 1 or batch_size < 1 or world_size < 1 or budget.steps < 1:
        raise UserError(f"cannot size a schedule for {num_train} clips at batch {batch_size} x {world_size}")
    per_epoch = max(1, math.ceil(num_train / (batch_size * world_size)))
    epochs = min(max(round(budget.steps / per_epoch), budget.min_epochs), budget.max_epochs)
    total = epochs * per_epoch
    warmup = round(budget.warmup_fraction * epochs, 2)
    lo, hi = budget.ema_range
    ema = min(max(1.0 - 1.0 / max(budget.ema_horizon * total, 1.0), lo), hi)
    return SchedulePlan(epochs=epochs, warmup_epochs=warmup, ema=round(ema, 5), steps_per_epoch=per_epoch,
                        total_steps=total, num_train=num_train)


def resolve_auto(cfg: Any, num_train: int, world_size: int = 1) -> tuple[Any, SchedulePlan | None]:
    """The TrainConfig with `optim.epochs: auto` (and `optim.ema: auto`) replaced by concrete values; the plan is
    recorded in `optim.auto_plan`. A config without 'auto' is returned unchanged (plan None)."""
    optim = cfg.optim
    if not is_auto(optim.epochs):
        if is_auto(optim.ema):
            raise UserError("optim.ema: auto needs optim.epochs: auto (the decay follows the planned steps)")
        return cfg, None
    plan = plan_schedule(num_train, optim.batch_size, world_size, StepBudget(steps=optim.auto_steps))
    changes: dict[str, Any] = {"epochs": plan.epochs, "warmup_epochs": plan.warmup_epochs,
                               "auto_plan": dataclasses.asdict(plan) | {"auto_steps": optim.auto_steps}}
    if is_auto(optim.ema):
        changes["ema"] = plan.ema
    return dataclasses.replace(cfg, optim=dataclasses.replace(optim, **changes)), plan


def small_data_regularisation(cfg: Any, explicit: set[str]) -> list[str]:
    """Overrides that `--epochs auto` adds for keys the user left alone: label smoothing 0.1 and EMA 'auto'."""
    out = []
    if "optim.label_smoothing" not in explicit and cfg.optim.label_smoothing == 0:
        out.append("optim.label_smoothing=0.1")
    if "optim.ema" not in explicit and cfg.optim.ema == 0:
        out.append("optim.ema=auto")
    return out
