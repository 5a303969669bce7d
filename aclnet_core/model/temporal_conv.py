"""DG-TCN: multi-scale temporal convolution with a virtual global joint (DG-STGCN `dgmstcn`)."""

from __future__ import annotations

import torch
from torch import nn

# (kernel, dilation) branches, then a max-pool branch and a strided 1×1 branch: the paper's tcn_ms_cfg.
DEFAULT_BRANCHES: tuple = ((3, 1), (3, 2), (3, 3), (3, 4), ("max", 3), "1x1")


class MultiScaleTemporalConv(nn.Module):
    """Six parallel temporal branches over (N, C, T, V); the mean over joints rides along as joint V+1 and its
    output is added back to every joint with a learned per-joint coefficient (init 0)."""

    def __init__(self, in_channels: int, out_channels: int, num_joints: int, stride: int = 1,
                 branches: tuple = DEFAULT_BRANCHES, dropout: float = 0.0) -> None:
        super().__init__()
        mid = out_channels // len(branches)
        first = out_channels - mid * (len(branches) - 1)
        self.add_coeff = nn.Parameter(torch.zeros(num_joints))
        modules = []
        for i, cfg in enumerate(branches):
            c = first if i == 0 else mid
            if cfg == "1x1":
                modules.append(nn.Conv2d(in_channels, c, 1, stride=(stride, 1)))
                continue
            stem = [nn.Conv2d(in_channels, c, 1), nn.BatchNorm2d(c), nn.ReLU()]
            if cfg[0] == "max":
                stem.append(nn.MaxPool2d((cfg[1], 1), stride=(stride, 1), padding=(cfg[1] // 2, 0)))
            else:
                k, d = cfg
                stem.append(nn.Conv2d(c, c, (k, 1), stride=(stride, 1), padding=((k - 1) * d // 2, 0), dilation=(d, 1)))
            modules.append(nn.Sequential(*stem))
        self.branches = nn.ModuleList(modules)
        self.transform = nn.Sequential(nn.BatchNorm2d(out_channels), nn.ReLU(), nn.Conv2d(out_channels, out_channels, 1))
        self.bn = nn.BatchNorm2d(out_channels)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = x.shape[-1]
        x = torch.cat([x, x.mean(dim=-1, keepdim=True)], dim=-1)
        out = torch.cat([branch(x) for branch in self.branches], dim=1)
        out = out[..., :v] + out[..., v:] * self.add_coeff[:v]
        return self.drop(self.bn(self.transform(out)))
