"""Affinity superclasses and their temperatures from a confusion bank (method digest §1.2(c), (d)); pure functions.

N(c) = the k classes with the highest counts in row Q[c] (stable descending sort: ties, zero counts included, go
to the lower class index), and S(c) = N(c) ∪ {d ≠ c : |N(c) ∩ N(d)| >= shared_min}, sorted by class index.

Fix of a reference flaw: the reference sorts the whole row, the class itself included. Q[c, c] is always 0, so
whenever fewer than 10 classes were ever confused with c and c has a low index (and always when K <= 10), c lands
in its own N(c) and S(c): the positive prototype is then also a negative and the loss can never drop below log 2.
Here c is excluded from the sort, so a class is never in its own superclass. When K - 1 < k, N(c) holds all the
other classes (k is clipped to K - 1) and shared_min is clipped to min(shared_min, K - 1). The clip is moot in
that case: N(c) already contains every other class, so S(c) is every class but c.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def effective_topk(num_classes: int, topk: int) -> int:
    """The neighbourhood size actually used: k clipped to K - 1 (a class is never its own neighbour)."""
    return max(0, min(topk, num_classes - 1))


def effective_shared_min(num_classes: int, topk: int, shared_min: int) -> int:
    """shared_min clipped to the effective k (only matters when k was clipped, where it has no effect)."""
    return max(1, min(shared_min, effective_topk(num_classes, topk)))


def topk_neighbours(confusion: Tensor, k: int) -> Tensor:
    """(K, min(k, K-1)) long: per row, the highest-count OTHER classes, stable descending (ties -> lower index)."""
    num_classes = confusion.shape[0]
    if confusion.dim() != 2 or confusion.shape[1] != num_classes:
        raise ValueError(f"confusion must be (K, K), got {tuple(confusion.shape)}")
    scores = confusion.detach().to(torch.float64).clone()
    scores.fill_diagonal_(-torch.inf)              # the class itself sorts last and is cut off
    order = torch.sort(scores, dim=1, descending=True, stable=True).indices
    return order[:, : effective_topk(num_classes, k)]


def superclass_membership(confusion: Tensor, topk: int, shared_min: int) -> Tensor:
    """(K, K) bool: [c, d] is True when d ∈ S(c). The diagonal is always False."""
    num_classes = confusion.shape[0]
    neighbours = topk_neighbours(confusion, topk)
    in_neighbourhood = torch.zeros(num_classes, num_classes, dtype=torch.bool, device=confusion.device)
    in_neighbourhood.scatter_(1, neighbours, True)
    overlap = in_neighbourhood.to(torch.float64) @ in_neighbourhood.to(torch.float64).T   # |N(c) ∩ N(d)|
    member = in_neighbourhood | (overlap >= effective_shared_min(num_classes, topk, shared_min))
    member.fill_diagonal_(False)
    return member


def build_superclasses(confusion: Tensor, topk: int, shared_min: int) -> list[list[int]]:
    """S(c) for every class c, each sorted by class index and never containing c."""
    member = superclass_membership(confusion, topk, shared_min).cpu()
    return [torch.nonzero(row).flatten().tolist() for row in member]


def temperatures(superclasses: Sequence[Sequence[int]], steps: Sequence[tuple[float, float]]) -> Tensor:
    """(K,) float32: tau(c) = the temperature of the first step whose bound is >= |S(c)|."""
    taus = []
    for members in superclasses:
        size = len(members)
        taus.append(next(tau for bound, tau in steps if size <= bound))
    return torch.tensor(taus, dtype=torch.float32)


def pad_superclasses(superclasses: Sequence[Sequence[int]], width: int | None = None) -> tuple[Tensor, Tensor]:
    """Padded form for vectorised losses: index (K, W) long (padding = 0) and mask (K, W) bool (True = member)."""
    longest = max((len(m) for m in superclasses), default=0)
    width = longest if width is None else width
    if longest > width:
        raise ValueError(f"a superclass has {longest} members, more than the width {width}")
    index = torch.zeros(len(superclasses), width, dtype=torch.long)
    mask = torch.zeros(len(superclasses), width, dtype=torch.bool)
    for c, members in enumerate(superclasses):
        index[c, : len(members)] = torch.as_tensor(list(members), dtype=torch.long)
        mask[c, : len(members)] = True
    return index, mask


def unpad_superclasses(index: Tensor, mask: Tensor) -> list[list[int]]:
    """Inverse of `pad_superclasses`."""
    return [row[keep].tolist() for row, keep in zip(index.cpu(), mask.cpu())]
