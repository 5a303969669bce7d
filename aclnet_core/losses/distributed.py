"""DDP support for the ACL losses: gather the global batch so every rank computes the same loss and state.

Fix of a reference flaw: the reference kept prototypes, confusion bank and queue per GPU, unsynchronised (its
scripts forced one GPU). Here, when torch.distributed is initialised, ACLLoss all-gathers the topology
descriptors, labels and predictions of every rank (in rank order) and runs the single-process code on that
global batch. Every rank therefore applies the same prototype EMA (global per-class sums / counts), the same
confusion counts (including pairs across ranks, which per-rank all-reduced counts would miss) and the same queue
update: the state stays identical on all ranks and equal to one process on the concatenated batch.

Gradients. Other ranks' rows are detached; own rows keep their gradient, multiplied by the world size. Every
rank evaluates the same global loss, so after DDP averages the backbone gradients over R ranks,
(1/R)·Σ_r R·∂L/∂g_r·∂g_r/∂θ = ∂L/∂θ: exactly the single-process gradient. The loss projections are applied to the
whole gathered batch, so their gradients are already complete and identical on every rank: they need no
all-reduce, and averaging them anyway (if the loss module is wrapped in DDP) changes nothing.
Without an initialised process group (or with one rank) everything is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_distributed() -> bool:
    return world_size() > 1


class _ScaleGradient(torch.autograd.Function):
    """Identity forward; gradient multiplied by `scale` in backward."""

    @staticmethod
    def forward(ctx, x: Tensor, scale: float) -> Tensor:  # type: ignore[override]
        ctx.scale = scale
        return x.clone()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        return grad * ctx.scale, None


def scale_gradient(x: Tensor, scale: float) -> Tensor:
    return _ScaleGradient.apply(x, scale)


def all_gather_rows(x: Tensor) -> list[Tensor]:
    """Every rank's `x` (rows may differ in number across ranks), detached, in rank order."""
    sizes = [torch.zeros(1, dtype=torch.long, device=x.device) for _ in range(world_size())]
    dist.all_gather(sizes, torch.tensor([x.shape[0]], dtype=torch.long, device=x.device))
    counts = [int(s) for s in sizes]
    longest = max(counts)
    padded = x.new_zeros((longest, *x.shape[1:]))
    padded[: x.shape[0]] = x.detach()
    gathered = [torch.empty_like(padded) for _ in counts]
    dist.all_gather(gathered, padded.contiguous())
    return [g[:n] for g, n in zip(gathered, counts)]


@dataclass
class GlobalBatch:
    topology: Tensor        # (N_global, topo_dim); own rows carry the (world-size scaled) gradient
    labels: Tensor          # (N_global,)
    predictions: Tensor     # (N_global,)


def gather_batch(topology: Tensor, labels: Tensor, predictions: Tensor) -> GlobalBatch:
    """The global batch across ranks (rank order); the unchanged local batch when not distributed."""
    if not is_distributed():
        return GlobalBatch(topology, labels, predictions)
    rank, size = dist.get_rank(), world_size()
    topologies = all_gather_rows(topology)
    targets = all_gather_rows(torch.stack([labels.long(), predictions.long()], dim=1))
    topologies[rank] = scale_gradient(topology, float(size))
    stacked = torch.cat(targets)
    return GlobalBatch(torch.cat(topologies), stacked[:, 0], stacked[:, 1])


@torch.no_grad()
def state_in_sync(module: nn.Module) -> bool:
    """True when every buffer and parameter of `module` is bitwise identical on all ranks (a debugging check)."""
    if not is_distributed():
        return True
    mismatched = torch.zeros(1, device=next(module.buffers()).device)
    for tensor in list(module.buffers()) + list(module.parameters()):
        mine = tensor.detach().reshape(-1).double().unsqueeze(0)
        reference = mine.clone()
        dist.broadcast(reference, src=0)
        mismatched += (reference != mine).any().double()
    dist.all_reduce(mismatched)
    return bool(mismatched.item() == 0)
