"""Range checks of a training config: every numeric setting is finite and in range, or a one-line UserError.

The CLI checks its own flags at parse time (`aclnet_core.cli_types`); this covers YAML files and ``--set``.
"""

from __future__ import annotations

import math
from typing import Any

from aclnet_core.errors import UserError

MAX_WINDOW = 2048          # frames per clip: far above any trained model, far below what exhausts memory

# dotted key -> (kind, low, high, low_open): kind 'int' or 'float'; None bounds are unbounded
RULES: dict[str, tuple[str, float | None, float | None, bool]] = {
    "optim.epochs": ("int", 1, 100_000, False),
    "optim.batch_size": ("int", 1, 65_536, False),
    "optim.lr": ("float", 0.0, 10.0, True),
    "optim.momentum": ("float", 0.0, 1.0, False),
    "optim.weight_decay": ("float", 0.0, 1.0, False),
    "optim.warmup_epochs": ("float", 0.0, 100_000, False),
    "optim.min_lr": ("float", 0.0, 10.0, False),
    "optim.label_smoothing": ("float", 0.0, 0.5, False),
    "optim.ema": ("float", 0.0, 0.99999, False),
    "optim.auto_steps": ("int", 1, 10_000_000, False),
    "preprocess.window": ("int", 1, MAX_WINDOW, False),
    "preprocess.num_person": ("int", 1, 16, False),
    "data.fps": ("float", 0.0, 10_000.0, True),
    "data.dims": ("int", 0, 3, False),
    "data.train_limit": ("int", 0, 10**9, False),
    "head_dropout": ("float", 0.0, 0.99, False),
    "seed": ("int", 0, 2**32 - 1, False),
    "workers": ("int", 0, 256, False),
    "threads": ("int", 0, 1024, False),
    "eval_interval": ("int", 1, 100_000, False),
    "val_clips": ("int", 1, 1000, False),
    "test_clips": ("int", 1, 1000, False),
}


AUTO_KEYS = ("optim.epochs", "optim.ema")   # may also be 'auto' (aclnet_core.train.budget)


def _get(cfg: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg


def check_value(key: str, value: Any) -> None:
    """UserError unless `value` suits `key`'s rule in RULES."""
    kind, lo, hi, lo_open = RULES[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind == "int" and not isinstance(value, int)):
        raise UserError(f"config {key} must be {'an integer' if kind == 'int' else 'a number'}, got {value!r}")
    if not math.isfinite(value):
        raise UserError(f"config {key} must be finite, got {value!r}")
    if (lo is not None and (value <= lo if lo_open else value < lo)) or (hi is not None and value > hi):
        low = f"{'>' if lo_open else '>='} {lo:g}" if lo is not None else ""
        high = f"<= {hi:g}" if hi is not None else ""
        raise UserError(f"config {key} must be {' and '.join(b for b in (low, high) if b)}, got {value!r}")


def check_config(cfg: Any) -> None:
    """Check every numeric setting of a TrainConfig (see RULES)."""
    from aclnet_core.train.budget import is_auto

    for key in RULES:
        value = _get(cfg, key)
        if key in AUTO_KEYS and is_auto(value):
            continue
        check_value(key, value)
    cfg.distill.check()
