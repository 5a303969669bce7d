"""ACLLoss: the weighted sum w_inter·L_inter + w_intra·L_intra of ACLNet's contrastive losses (digest §1.4).

Usage in the trainer (the cross-entropy stays in the trainer):

    acl = ACLLoss(num_classes, model.topology_dim, ACLConfig.for_run(total_epochs, **options)).to(device)
    optimizer = SGD(list(model.parameters()) + list(acl.parameters()), ...)
    for epoch in range(start, total_epochs + 1):            # 1-based
        acl.start_epoch(epoch)                               # the trainer owns the clock
        for x, y in loader:
            out = model(x)
            loss = cross_entropy(out.logits, y) + acl(out.topology, out.logits, y).total
    checkpoint["loss_state"] = acl.state_dict()             # prototypes, bank, superclasses, queue, clock

Fixes of the reference code (details in the module docstrings):
- all loss state (prototypes, confusion bank, superclasses, temperatures, queue, epoch clock) is in the
  state_dict, so a resumed run continues exactly; the reference lost it all on resume;
- the trainer-owned clock replaces the reference's validation-driven counter;
- a class is never in its own superclass (never its own negative);
- DDP-safe: the global batch is gathered (distributed.py) so every rank holds identical state.
Only the train-mode forward changes state; eval mode computes the losses without touching it. The module is
training-only: nothing of it goes into an exported model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from aclnet_core.losses.config import ACLConfig, check_num_classes
from aclnet_core.losses.distributed import gather_batch
from aclnet_core.losses.inter_affinity import InterAffinityLoss
from aclnet_core.losses.intra_margin import IntraMarginLoss


@dataclass
class ACLLossOutput:
    total: Tensor       # weight_inter·inter + weight_intra·intra
    inter: Tensor       # unweighted L_inter (0 when disabled or not yet active)
    intra: Tensor       # unweighted L_intra (0 when disabled or the memory is not full)


class ACLLoss(nn.Module):
    """`forward(topology (N, topo_dim), logits (N, K), labels (N,)) -> ACLLossOutput`; `start_epoch(epoch)`."""

    def __init__(self, num_classes: int, topo_dim: int, config: ACLConfig | None = None) -> None:
        super().__init__()
        check_num_classes(num_classes)
        self.config = config = config or ACLConfig()
        self.num_classes, self.topo_dim = num_classes, topo_dim
        self.inter_loss = InterAffinityLoss(num_classes, topo_dim, config) if config.use_inter else None
        self.intra_loss = IntraMarginLoss(topo_dim, config) if config.use_intra else None
        self.register_buffer("epoch", torch.zeros((), dtype=torch.long))

    def start_epoch(self, epoch: int) -> None:
        """Start training epoch `epoch` (1-based): advances the clock and rebuilds the superclasses when due."""
        self.epoch.fill_(epoch)
        if self.inter_loss is not None:
            self.inter_loss.start_epoch(epoch)

    def release_idle_gradients(self) -> int:
        """Drop the all-zero gradients of terms that are switched off this step (the inter loss before its start
        epoch, the intra loss while its memory fills): they stay connected to the graph with a zero gradient, and
        SGD would still apply weight decay and momentum to their projections. With no gradient the optimiser leaves
        them untouched, as the official code does, where a switched-off term gives its projection no gradient.
        Call between backward and the optimiser step; returns how many parameters were released."""
        released = 0
        for p in self.parameters():
            if p.grad is not None and not bool(p.grad.any()):
                p.grad = None
                released += 1
        return released

    def forward(self, topology: Tensor, logits: Tensor, labels: Tensor) -> ACLLossOutput:
        if topology.dim() != 2 or topology.shape[1] != self.topo_dim:
            raise ValueError(f"topology must be (N, {self.topo_dim}), got {tuple(topology.shape)}")
        if logits.shape != (topology.shape[0], self.num_classes) or labels.shape != (topology.shape[0],):
            raise ValueError(f"logits must be (N, {self.num_classes}) and labels (N,) for N = {topology.shape[0]}")
        predictions = logits.detach().argmax(dim=1)
        with torch.autocast(device_type=topology.device.type, enabled=False):
            batch = gather_batch(topology.float(), labels.long(), predictions)
            zero = batch.topology.sum() * 0.0
            inter = (self.inter_loss(batch.topology, batch.predictions, batch.labels)
                     if self.inter_loss is not None else zero)
            intra = self.intra_loss(batch.topology, batch.labels) if self.intra_loss is not None else zero
        total = self.config.weight_inter * inter + self.config.weight_intra * intra
        return ACLLossOutput(total, inter, intra)
