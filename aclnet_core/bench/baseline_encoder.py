"""Bench-only baseline: the ACLNet encoder written the straightforward way the paper's reference code does it.

Used only to measure the product encoder against (`main.py bench --vs-baseline`); never trained or shipped.
Differences from `aclnet_core.model` (same function, see tests/test_baseline_encoder.py):
  - DG-GCN: conv1/conv2 run on every frame and the time mean comes after them; einsum graph aggregation;
    α and β are length-K vectors of which only element 0 is used (the reference's subset_wise=False);
  - DG-TCN: the virtual global joint is added back with an einsum, as in the reference;
  - every BatchNorm stays a separate module (nothing folded); 1×1 convolutions are plain nn.Conv2d.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.presets import EncoderPreset
from aclnet_core.model.temporal_conv import DEFAULT_BRANCHES


class BaselineGCN(nn.Module):
    """The reference `dggcn` unit (ctr='T', ada='T', subset_wise=False)."""

    def __init__(self, cin: int, cout: int, v: int, k: int) -> None:
        super().__init__()
        self.num_subsets, self.mid = k, cout // k
        self.A = nn.Parameter(torch.zeros(k, v, v))
        self.pre = nn.Sequential(nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout), nn.ReLU())
        self.post = nn.Conv2d(cout, cout, 1)
        self.conv1 = nn.Conv2d(cin, cout, 1)
        self.conv2 = nn.Conv2d(cin, cout, 1)
        self.alpha = nn.Parameter(torch.zeros(k))
        self.beta = nn.Parameter(torch.zeros(k))
        self.bn = nn.BatchNorm2d(cout)
        self.down = (nn.Sequential(nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout)) if cin != cout else nn.Identity())
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, t, v = x.shape
        k, mid = self.num_subsets, self.mid
        res = self.down(x)
        a = self.A[None, :, None, None]                                             # (1, K, 1, 1, V, V)
        pre_x = self.pre(x).reshape(n, k, mid, t, v)
        x1 = self.conv1(x).reshape(n, k, mid, t, v).mean(dim=-2, keepdim=True)      # (N, K, C, 1, V)
        x2 = self.conv2(x).reshape(n, k, mid, t, v).mean(dim=-2, keepdim=True)
        a = torch.tanh(x1.unsqueeze(-1) - x2.unsqueeze(-2)) * self.alpha[0] + a      # (N, K, C, 1, V, V)
        ada = torch.softmax(torch.einsum("nkctv,nkctw->nktvw", x1, x2)[:, :, None], dim=-2) * self.beta[0]
        a = (a + ada).squeeze(3)                                                    # (N, K, C, V, V)
        out = torch.einsum("nkctv,nkcvw->nkctw", pre_x, a).contiguous().reshape(n, k * mid, t, v)
        return self.act(self.bn(self.post(out)) + res)


class BaselineTCN(nn.Module):
    """The reference `dgmstcn`: six temporal branches over the joints plus a virtual global joint."""

    def __init__(self, cin: int, cout: int, v: int, stride: int) -> None:
        super().__init__()
        mid = cout // len(DEFAULT_BRANCHES)
        first = cout - mid * (len(DEFAULT_BRANCHES) - 1)
        self.add_coeff = nn.Parameter(torch.zeros(v))
        branches = []
        for i, cfg in enumerate(DEFAULT_BRANCHES):
            c = first if i == 0 else mid
            if cfg == "1x1":
                branches.append(nn.Conv2d(cin, c, 1, stride=(stride, 1)))
                continue
            stem = [nn.Conv2d(cin, c, 1), nn.BatchNorm2d(c), nn.ReLU()]
            if cfg[0] == "max":
                stem.append(nn.MaxPool2d((cfg[1], 1), stride=(stride, 1), padding=(cfg[1] // 2, 0)))
            else:
                kt, d = cfg
                stem.append(nn.Conv2d(c, c, (kt, 1), stride=(stride, 1), padding=((kt - 1) * d // 2, 0),
                                      dilation=(d, 1)))
            branches.append(nn.Sequential(*stem))
        self.branches = nn.ModuleList(branches)
        self.transform = nn.Sequential(nn.BatchNorm2d(cout), nn.ReLU(), nn.Conv2d(cout, cout, 1))
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = x.shape[-1]
        x = torch.cat([x, x.mean(-1, keepdim=True)], -1)
        out = torch.cat([branch(x) for branch in self.branches], dim=1)
        feat = out[..., :v] + torch.einsum("nct,v->nctv", out[..., v], self.add_coeff[:v])
        return self.bn(self.transform(feat))


class BaselineBlock(nn.Module):
    def __init__(self, cin: int, cout: int, v: int, stride: int, residual: bool, preset: EncoderPreset) -> None:
        super().__init__()
        self.gcn = BaselineGCN(cin, cout, v, preset.num_subsets)
        self.tcn = BaselineTCN(cout, cout, v, stride)
        if not residual:
            self.residual: nn.Module | None = None
        elif cin == cout and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=(stride, 1)), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.tcn(self.gcn(x))
        if self.residual is not None:
            y = y + self.residual(x)
        return torch.relu(y)


class BaselineACLNet(nn.Module):
    """(N, M, T, V, C) → (logits, L2-normalised embedding), the reference way."""

    def __init__(self, num_classes: int, num_joints: int, in_channels: int, preset: EncoderPreset) -> None:
        super().__init__()
        self.data_bn = nn.BatchNorm1d(num_joints * in_channels)
        blocks, cin = [], in_channels
        for i, (cout, stride) in enumerate(zip(preset.channels, preset.strides)):
            blocks.append(BaselineBlock(cin, cout, num_joints, stride, i > 0, preset))
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, m, t, v, c = x.shape
        x = x.permute(0, 1, 3, 4, 2).reshape(n * m, v * c, t)
        x = self.data_bn(x).reshape(n * m, v, c, t).permute(0, 2, 3, 1)
        for block in self.blocks:
            x = block(x)
        pooled = x.mean(dim=(2, 3)).reshape(n, m, -1).mean(dim=1)
        return self.fc(pooled), F.normalize(pooled, dim=-1)


def baseline_from(model: ACLNet) -> BaselineACLNet:
    """A BaselineACLNet (eval mode) holding `model`'s weights; α, β become K-vectors with the scalar at index 0
    (the other entries are unused by the reference and filled with noise to prove it)."""
    k = model.preset.num_subsets
    baseline = BaselineACLNet(model.num_classes, model.num_joints, model.in_channels, model.preset)
    state = dict(model.state_dict())
    generator = torch.Generator().manual_seed(0)
    for name, value in list(state.items()):
        if name.endswith((".gcn.alpha", ".gcn.beta")):
            vector = torch.randn(k, generator=generator)
            vector[0] = value.reshape(-1)[0]
            state[name] = vector
    baseline.load_state_dict(state)
    return baseline.eval()
