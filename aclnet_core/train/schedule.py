"""Per-iteration learning-rate schedule: linear warm-up, then cosine annealing to min_lr."""

from __future__ import annotations

import math

import torch


def warmup_cosine(optimizer: torch.optim.Optimizer, total_iters: int, warmup_iters: int, base_lr: float,
                  min_lr: float = 0.0) -> torch.optim.lr_scheduler.LambdaLR:
    floor = min_lr / base_lr if base_lr > 0 else 0.0

    def factor(it: int) -> float:
        if warmup_iters and it < warmup_iters:
            return (it + 1) / warmup_iters
        progress = min(1.0, (it - warmup_iters) / max(1, total_iters - warmup_iters))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
