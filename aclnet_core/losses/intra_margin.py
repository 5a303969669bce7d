"""Intra-class margin contrastive loss L_intra (method digest §1.3).

v̂ = normalise(W_b g + b_b). Contrast set Z = [the newest mem−B queued v̂ (detached); the current batch's v̂ (with
gradient)], labels Y. Anchors are the current batch. For anchor a, positives P(a) = {j ≠ a : Y_j = Y_a}, negatives
N(a) = {j : Y_j ≠ Y_a}, s = ⟨ẑ_a, ẑ_j⟩ / τ, ω = e^{−ε}:

    ℓ(a, p) = −log( e^{s_ap} / (ω·e^{s_ap} + Σ_{n∈N(a)} e^{s_an}) )
    L_intra = (1/B) Σ_a (1 / max(|P(a)|, 1)) Σ_{p∈P(a)} ℓ(a, p)

Other positives are not in the denominator; an anchor without positives adds 0 but still counts in 1/B. The loss
is 0 until the memory holds mem−B earlier features (the queue length includes the current batch, as in the
reference). Computed as logaddexp(s_ap − ε, logsumexp_n s_an) − s_ap, which is stable; the reference instead
subtracted the row maximum and added 1e-6 inside the log (a ~3e-4 difference in value).

Fixes of the reference code:
- The queue (features, labels, write pointer, fill count) is a set of persistent buffers, so it is saved in the
  state_dict and a resumed run continues exactly; the reference kept Python lists that were lost on resume.
- Any batch size works. The reference raised UnboundLocalError when B did not divide mem (the list overshot mem,
  was trimmed below it and no branch set the loss).
- Only the B anchor rows of the similarity matrix are computed (O(B·mem)), not the reference's O(mem²) matrix;
  no per-sample Python loops.
- Under DDP the caller (ACLLoss) passes the all-gathered global batch, so every rank enqueues the same features
  and holds the same queue; the reference kept one unsynchronised queue per rank.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from aclnet_core.losses.config import ACLConfig


def l2_normalise(x: Tensor) -> Tensor:
    """x / (‖x‖₂ + 1e-12) over the last dimension (the reference's normalisation)."""
    return x / (torch.linalg.vector_norm(x, dim=-1, keepdim=True) + 1e-12)


def seeded_linear(in_dim: int, out_dim: int, generator: torch.Generator) -> nn.Linear:
    """nn.Linear with PyTorch's default U(±1/√in) initialisation drawn from `generator` (identical on every rank)."""
    layer = nn.Linear(in_dim, out_dim)
    bound = 1.0 / in_dim ** 0.5
    with torch.no_grad():
        nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return layer


def margin_contrastive_loss(contrast: Tensor, contrast_labels: Tensor, anchor_start: int, tau: float,
                            margin: float) -> Tensor:
    """L_intra for the anchors contrast[anchor_start:] (normalised rows); contrast (M, D), labels (M,)."""
    anchors, anchor_labels = contrast[anchor_start:], contrast_labels[anchor_start:]
    num_anchors = anchors.shape[0]
    logits = anchors @ contrast.T / tau                                    # (B, M)
    same = anchor_labels[:, None] == contrast_labels[None, :]
    is_self = torch.zeros_like(same)
    rows = torch.arange(num_anchors, device=contrast.device)
    is_self[rows, rows + anchor_start] = True
    positive = same & ~is_self
    # A finite fill keeps the gradient of logsumexp defined for an anchor without negatives (then ℓ = −ε).
    fill = torch.finfo(logits.dtype).min
    negative_lse = torch.logsumexp(logits.masked_fill(same, fill), dim=1, keepdim=True)
    per_pair = torch.logaddexp(logits - margin, negative_lse) - logits    # ℓ(a, j) for every j
    per_anchor = torch.where(positive, per_pair, 0.0).sum(1) / positive.sum(1).clamp(min=1)
    return per_anchor.mean()


class IntraMarginLoss(nn.Module):
    """Projection W_b + FIFO memory; `forward(topology (N, topo_dim), labels (N,)) -> scalar`."""

    def __init__(self, topo_dim: int, config: ACLConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ACLConfig()
        self.topo_dim, self.memory_size = topo_dim, config.memory_size
        generator = torch.Generator().manual_seed(config.seed + 1)
        self.projection = seeded_linear(topo_dim, config.proj_dim, generator)
        self.register_buffer("queue_features", torch.zeros(config.memory_size, config.proj_dim))
        self.register_buffer("queue_labels", torch.full((config.memory_size,), -1, dtype=torch.long))
        self.register_buffer("queue_ptr", torch.zeros((), dtype=torch.long))     # next slot to write (oldest)
        self.register_buffer("queue_count", torch.zeros((), dtype=torch.long))   # filled slots, <= memory_size

    def queued(self, n: int | None = None) -> tuple[Tensor, Tensor]:
        """The newest n (default: all) queued features and labels, oldest first."""
        count = int(self.queue_count)
        n = count if n is None else n
        if n > count:
            raise ValueError(f"only {count} features are queued, asked for {n}")
        index = (int(self.queue_ptr) - n + torch.arange(n, device=self.queue_ptr.device)) % self.memory_size
        return self.queue_features[index], self.queue_labels[index]

    def ready(self, batch_size: int) -> bool:
        """True when the loss is active for a batch of this size (the memory holds mem − B earlier features)."""
        return int(self.queue_count) >= max(self.memory_size - batch_size, 0)

    @torch.no_grad()
    def enqueue(self, features: Tensor, labels: Tensor) -> None:
        """Append detached normalised features; the oldest entries are overwritten once the memory is full."""
        features, labels = features[-self.memory_size:], labels[-self.memory_size:]
        n = features.shape[0]
        index = (self.queue_ptr + torch.arange(n, device=features.device)) % self.memory_size
        self.queue_features[index] = features.detach().to(self.queue_features.dtype)
        self.queue_labels[index] = labels
        self.queue_ptr.copy_((self.queue_ptr + n) % self.memory_size)
        self.queue_count.clamp_(max=self.memory_size - n).add_(n)

    def forward(self, topology: Tensor, labels: Tensor) -> Tensor:
        """L_intra of this batch; in train mode the batch is then enqueued (eval mode leaves the memory alone)."""
        features = l2_normalise(self.projection(topology))
        batch = features.shape[0]
        if self.ready(batch):
            previous = max(self.memory_size - batch, 0)
            old_features, old_labels = self.queued(previous)
            contrast = torch.cat([old_features, features])
            contrast_labels = torch.cat([old_labels, labels])
            loss = margin_contrastive_loss(contrast, contrast_labels, previous, self.config.intra_tau,
                                           self.config.intra_margin)
        else:
            loss = features.sum() * 0.0 + 0.0    # +0.0: no '-0.0'; keeps the graph connected (DDP, backward)
        if self.training:
            self.enqueue(features, labels)
        return loss
