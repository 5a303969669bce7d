"""Inter-class affinity contrastive loss L_inter (method digest §1.2).

Per training iteration, with u = W_a g + b_a and ŷ = the classifier's (detached) argmax:
(a) prototypes: for every class c with n_c >= 1 correctly classified samples (ŷ = y = c),
    P_c <- m·P_c(old, detached) + (1 − m)·mean(u_i); absent classes keep P_c. The updated P is used in this
    iteration's loss with gradient through the (1 − m)·m_c term, and stored detached.
(b) confusion bank Q (K × K counts, never reset), from `confusion_start_epoch` on:
    Q[y_i, ŷ_i] += 1 for every misclassified i, and Q[y_i, y_j] += 1 for every ordered pair (i, j) with
    ŷ_j = y_i and y_j ≠ y_i. Vectorised: with the batch confusion matrix M[a, b] = #{j : y_j = a, ŷ_j = b} and
    the label counts n_a, Q[a, b] += M[a, b] + n_a·M[b, a] for a ≠ b.
(c, d) at `start_epoch(e)` for e >= inter_start_epoch: superclasses S(c) and temperatures τ(c) rebuilt from Q
    (see `superclass.py`).
(e) L_inter = mean_i −log softmax_{c ∈ {y_i} ∪ S(y_i)}(⟨û_i, P̂_c⟩ / τ(y_i))[y_i]; 0 before inter_start_epoch.

Fixes of the reference code:
- State: the reference kept P, Q, the superclass lists and its epoch counter as plain attributes, so they were
  not checkpointed and a resume restarted from random prototypes, an empty bank and epoch 1. Here prototypes,
  confusion bank, padded superclasses + mask, temperatures and the epoch clock are persistent buffers in the
  state_dict, and a resumed run continues exactly.
- Clock: the reference advanced its epoch counter inside validation (`forward_test` → `save_list`), so the loss
  only switched on with per-epoch validation. Here the trainer owns the clock and calls `start_epoch(e)` at the
  start of each training epoch; validation never touches the loss. (The reference rebuilt the superclasses
  lazily at the first iteration of the epoch, after counting that batch; here they are rebuilt at the epoch
  start, before it.)
- A class is never its own negative: N(c) excludes c (the reference could include c, always when K <= 10).
- DDP: the reference kept per-rank state. ACLLoss passes the all-gathered global batch, so every rank makes the
  same prototype and confusion updates and holds identical state, equal to one process on the whole batch.
- Vectorised: no Python loops over samples (the reference looped per sample and per pair).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from aclnet_core.losses import superclass as sc
from aclnet_core.losses.config import ACLConfig, check_num_classes
from aclnet_core.losses.intra_margin import l2_normalise, seeded_linear


class InterAffinityLoss(nn.Module):
    """Projection W_a, prototypes, confusion bank and superclasses; `forward(topology, predictions, labels)`."""

    def __init__(self, num_classes: int, topo_dim: int, config: ACLConfig | None = None) -> None:
        super().__init__()
        check_num_classes(num_classes)
        self.config = config = config or ACLConfig()
        self.num_classes, self.topo_dim = num_classes, topo_dim
        generator = torch.Generator().manual_seed(config.seed)
        self.projection = seeded_linear(topo_dim, config.proj_dim, generator)
        width = num_classes - 1                          # the largest possible superclass: fixed buffer shapes
        self.register_buffer("prototypes", torch.randn(num_classes, config.proj_dim, generator=generator))
        self.register_buffer("confusion", torch.zeros(num_classes, num_classes, dtype=torch.long))
        self.register_buffer("superclass_index", torch.zeros(num_classes, width, dtype=torch.long))
        self.register_buffer("superclass_mask", torch.zeros(num_classes, width, dtype=torch.bool))
        self.register_buffer("temperature", torch.ones(num_classes))
        self.register_buffer("epoch", torch.zeros((), dtype=torch.long))             # 0 = no epoch started
        self.register_buffer("superclass_epoch", torch.zeros((), dtype=torch.long))  # 0 = never built

    # ---------------------------------------------------------------------------------------- epoch clock
    def start_epoch(self, epoch: int) -> None:
        """Called by the trainer at the start of training epoch `epoch` (1-based); rebuilds the superclasses.

        Calling it again with the current epoch (e.g. after a mid-epoch resume) changes nothing.
        """
        if epoch == int(self.epoch):
            return
        self.epoch.fill_(epoch)
        if epoch >= self.config.inter_start_epoch:
            self.rebuild_superclasses()

    @torch.no_grad()
    def rebuild_superclasses(self) -> None:
        """S(c) and τ(c) from the current confusion bank, into the padded buffers."""
        groups = sc.build_superclasses(self.confusion, self.config.topk, self.config.shared_min)
        index, mask = sc.pad_superclasses(groups, width=self.num_classes - 1)
        self.superclass_index.copy_(index)
        self.superclass_mask.copy_(mask)
        self.temperature.copy_(sc.temperatures(groups, self.config.temperature_steps))
        self.superclass_epoch.copy_(self.epoch)

    def superclasses(self) -> list[list[int]]:
        return sc.unpad_superclasses(self.superclass_index, self.superclass_mask)

    @property
    def active(self) -> bool:
        """True when the loss is non-zero this epoch."""
        return int(self.epoch) >= self.config.inter_start_epoch and int(self.superclass_epoch) > 0

    # ------------------------------------------------------------------------------------------- updates
    def updated_prototypes(self, features: Tensor, predictions: Tensor, labels: Tensor) -> Tensor:
        """(K, D) prototypes after this batch's EMA step, with gradient through the batch means."""
        correct = predictions == labels
        sums = features.new_zeros(self.num_classes, features.shape[1]).index_add(0, labels[correct],
                                                                                  features[correct])
        counts = torch.bincount(labels[correct], minlength=self.num_classes)
        means = sums / counts.clamp(min=1).unsqueeze(1).to(features.dtype)
        old = self.prototypes.detach().to(features.dtype)
        momentum = self.config.proto_momentum
        return torch.where((counts > 0).unsqueeze(1), momentum * old + (1.0 - momentum) * means, old)

    @torch.no_grad()
    def count_confusions(self, predictions: Tensor, labels: Tensor) -> None:
        """Add this batch's confusions to Q in both directions (§1.2(b))."""
        k = self.num_classes
        batch_confusion = torch.bincount(labels * k + predictions, minlength=k * k).view(k, k)   # [label, pred]
        label_counts = torch.bincount(labels, minlength=k)
        update = batch_confusion + label_counts.unsqueeze(1) * batch_confusion.T
        update.fill_diagonal_(0)
        self.confusion += update

    # ------------------------------------------------------------------------------------------- forward
    def forward(self, topology: Tensor, predictions: Tensor, labels: Tensor) -> Tensor:
        """L_inter of this batch. Train mode updates the prototypes (and, when counting, the bank)."""
        features = self.projection(topology)
        predictions, labels = predictions.long(), labels.long()
        if self.training:
            prototypes = self.updated_prototypes(features, predictions, labels)
            self.prototypes.copy_(prototypes.detach())
            if int(self.epoch) >= self.config.confusion_start_epoch:
                self.count_confusions(predictions, labels)
        else:
            prototypes = self.prototypes.to(features.dtype)
        if not self.active:
            return features.sum() * 0.0 + 0.0    # +0.0: no '-0.0'; keeps the graph connected (DDP, backward)
        similarity = l2_normalise(features) @ l2_normalise(prototypes).T                  # (B, K)
        candidates = torch.cat([labels.unsqueeze(1), self.superclass_index[labels]], dim=1)   # target first
        valid = torch.cat([torch.ones_like(labels, dtype=torch.bool).unsqueeze(1), self.superclass_mask[labels]], 1)
        logits = similarity.gather(1, candidates) / self.temperature[labels].to(similarity.dtype).unsqueeze(1)
        logits = logits.masked_fill(~valid, -torch.inf)
        return (torch.logsumexp(logits, dim=1) - logits[:, 0]).mean()
