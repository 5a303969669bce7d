"""Exponential moving average of a model's weights (Polyak averaging), the regulariser small datasets like.

The average follows the trained weights with decay `min(decay, (1 + n) / (10 + n))` after n updates (the usual
warm-up: early averages are not dominated by the random start). BatchNorm running statistics are averaged like the
weights; integer buffers (batch counters) are copied. Validation and the saved checkpoint use the average; the
trained weights are kept beside it so that a run resumes exactly.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightEMA:
    """A shadow copy of `model` whose tensors track an exponential moving average of the model's."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average one step towards `model`'s current weights."""
        d = self.current_decay()
        self.updates += 1
        shadow = self.module.state_dict()
        for name, value in model.state_dict().items():
            target = shadow[name]
            if target.dtype.is_floating_point:
                target.mul_(d).add_(value.detach(), alpha=1.0 - d)
            else:
                target.copy_(value)

    def state_dict(self) -> dict:
        return {"decay": self.decay, "updates": self.updates, "model": self.module.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.decay = float(state["decay"])
        self.updates = int(state["updates"])
        self.module.load_state_dict(state["model"])
