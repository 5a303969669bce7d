"""The ACLNet encoder: data BN → stacked DG-GCN + DG-TCN blocks → pooled embedding and class logits.

Inference is backbone + linear head only; the ACL projections, prototypes and memories live in the loss
(aclnet_core.losses) and never in an exported model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from aclnet_core.model.graph_conv import DGGraphConv
from aclnet_core.model.presets import EncoderPreset, get_preset
from aclnet_core.model.temporal_conv import MultiScaleTemporalConv


@dataclass
class ModelOutput:
    logits: torch.Tensor      # (N, K)
    embedding: torch.Tensor   # (N, D), L2-normalised pooled feature
    topology: torch.Tensor    # (N, V*V): last block's dynamic adjacency (CTR + ADA), the ACL losses' input


class DGBlock(nn.Module):
    """Graph conv → multi-scale temporal conv, plus a residual, then ReLU."""

    def __init__(self, cin: int, cout: int, num_joints: int, stride: int, residual: bool, preset: EncoderPreset) -> None:
        super().__init__()
        self.gcn = DGGraphConv(cin, cout, num_joints, preset.num_subsets)
        self.tcn = MultiScaleTemporalConv(cout, cout, num_joints, stride=stride, dropout=preset.dropout)
        if not residual:
            self.residual: nn.Module | None = None
        elif cin == cout and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=(stride, 1)), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y, topology = self.gcn(x)
        y = self.tcn(y)
        if self.residual is not None:
            y = y + self.residual(x)
        return torch.relu(y), topology


class ACLNet(nn.Module):
    """Skeleton encoder over (N, M, T, V, C) input, any V, M persons (averaged after pooling)."""

    def __init__(self, num_classes: int, num_joints: int, in_channels: int = 3, preset: str | EncoderPreset = "lite",
                 head_dropout: float = 0.0) -> None:
        super().__init__()
        self.preset = get_preset(preset) if isinstance(preset, str) else preset
        self.num_classes, self.num_joints, self.in_channels = num_classes, num_joints, in_channels
        self.data_bn = nn.BatchNorm1d(num_joints * in_channels)
        blocks, cin = [], in_channels
        for i, (cout, stride) in enumerate(zip(self.preset.channels, self.preset.strides)):
            blocks.append(DGBlock(cin, cout, num_joints, stride, residual=i > 0, preset=self.preset))
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.head_dropout = nn.Dropout(head_dropout)
        self.fc = nn.Linear(cin, num_classes)
        nn.init.normal_(self.fc.weight, 0, 0.01)
        nn.init.zeros_(self.fc.bias)

    @property
    def embed_dim(self) -> int:
        return self.preset.embed_dim

    @property
    def topology_dim(self) -> int:
        return self.num_joints * self.num_joints

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pooled features (N, D) (mean over T', V and persons) and the topology descriptor (N, V*V)."""
        n, m, t, v, c = x.shape
        x = x.permute(0, 1, 3, 4, 2).reshape(n * m, v * c, t)          # 'VC' data BN shared by persons
        x = self.data_bn(x).reshape(n * m, v, c, t).permute(0, 2, 3, 1)   # (N·M, C, T, V)
        topology = x.new_zeros(n * m, v, v)
        for block in self.blocks:
            x, topology = block(x)
        pooled = x.mean(dim=(2, 3)).reshape(n, m, -1).mean(dim=1)
        return pooled, topology.reshape(n, m, v * v).mean(dim=1)

    def forward(self, x: torch.Tensor) -> ModelOutput:
        pooled, topology = self.features(x)
        logits = self.fc(self.head_dropout(pooled))
        return ModelOutput(logits, F.normalize(pooled, dim=-1), topology)

    def inference_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The deployed graph: (logits, embedding); used by ONNX export and the runtimes."""
        out = self.forward(x)
        return out.logits, out.embedding


class InferenceWrapper(nn.Module):
    """Wraps an ACLNet so that forward returns the (logits, embedding) tuple (for tracing and export)."""

    def __init__(self, model: ACLNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.inference_forward(x)
