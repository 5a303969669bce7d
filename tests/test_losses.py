"""ACL losses: every formula pinned against plain loops written from the method digest (§1.2(e), §1.3)."""

from __future__ import annotations

import copy
import io
import math

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from aclnet_core.errors import UserError
from aclnet_core.losses import (
    ACLConfig,
    ACLLoss,
    InterAffinityLoss,
    IntraMarginLoss,
    build_superclasses,
    pad_superclasses,
    temperatures,
    topk_neighbours,
)

# A hand-made confusion matrix (rows: true class, columns: confused class) and, worked out by hand with
# topk = 2 and shared_min = 2: N(0)={1,2}, N(1)={0,2}, N(2)={0,1}, N(3)={2,1}, N(4)={0,1} (zero row: lowest
# indices), N(5)={3,4} (tie: lower index first). Shared neighbourhoods: N(0) = N(3), N(2) = N(4).
HAND_Q = torch.tensor([[0, 5, 3, 0, 0, 0],
                       [4, 0, 2, 0, 0, 0],
                       [1, 1, 0, 0, 0, 0],
                       [0, 2, 7, 0, 0, 0],
                       [0, 0, 0, 0, 0, 0],
                       [0, 0, 0, 3, 3, 0]])
HAND_S = [[1, 2, 3], [0, 2], [0, 1, 4], [0, 1, 2], [0, 1, 2], [3, 4]]
HAND_STEPS = ((2, 0.1), (3, 0.5), (math.inf, 1.0))
HAND_TAU = [0.5, 0.1, 0.5, 0.5, 0.5, 0.1]          # sizes 3, 2, 3, 3, 3, 2


# ------------------------------------------------------------------------------ independent loop references
def ref_normalise(x: torch.Tensor) -> torch.Tensor:
    return x / (x.norm() + 1e-12)


def ref_superclasses(q: list[list[int]], topk: int, shared_min: int) -> list[list[int]]:
    """§1.2(c) literally: N(c) by stable descending sort without c, then a(c, d) > 0."""
    k_count = len(q)
    neighbours = []
    for c in range(k_count):
        others = sorted((d for d in range(k_count) if d != c), key=lambda d: (-q[c][d], d))
        neighbours.append(set(others[:topk]))
    result = []
    for c in range(k_count):
        members = []
        for d in range(k_count):
            if d == c:
                continue
            overlap = len(neighbours[c] & neighbours[d])
            affinity = 0.5 * (d in neighbours[c]) + (overlap >= shared_min) * overlap / len(neighbours[c])
            if affinity > 0:
                members.append(d)
        result.append(members)
    return result


def ref_confusion(q: torch.Tensor, labels: list[int], preds: list[int]) -> torch.Tensor:
    """§1.2(b) literally: both directions, per sample and per ordered pair."""
    q = q.clone()
    for i in range(len(labels)):
        if preds[i] != labels[i]:
            q[labels[i], preds[i]] += 1
        for j in range(len(labels)):
            if preds[j] == labels[i] and labels[j] != labels[i]:
                q[labels[i], labels[j]] += 1
    return q


def ref_prototypes(old: torch.Tensor, u: torch.Tensor, labels: list[int], preds: list[int], momentum: float):
    """§1.2(a) literally: EMA with the mean of correctly classified samples; absent classes unchanged."""
    rows = []
    for c in range(old.shape[0]):
        members = [u[i] for i in range(len(labels)) if labels[i] == c and preds[i] == c]
        if members:
            rows.append(momentum * old[c] + (1 - momentum) * sum(members) / len(members))
        else:
            rows.append(old[c])
    return torch.stack(rows)


def ref_inter(u: torch.Tensor, protos: torch.Tensor, labels: list[int], groups, taus) -> torch.Tensor:
    """§1.2(e) literally: −log softmax over {y} ∪ S(y) at temperature τ(y), mean over the batch."""
    total = 0.0
    for i, y in enumerate(labels):
        ui = ref_normalise(u[i])
        scores = [torch.dot(ui, ref_normalise(protos[c])) / taus[y] for c in [y] + groups[y]]
        total = total - torch.log(torch.exp(scores[0]) / sum(torch.exp(s) for s in scores))
    return total / len(labels)


def ref_intra(z: torch.Tensor, y: list[int], start: int, tau: float, eps: float) -> torch.Tensor:
    """§1.3 literally: anchors z[start:], own positive weighted by ω = e^{-ε}, other positives excluded."""
    omega, total, size = math.exp(-eps), 0.0, len(y)
    for a in range(start, size):
        positives = [j for j in range(size) if j != a and y[j] == y[a]]
        negatives = [j for j in range(size) if y[j] != y[a]]
        acc = 0.0
        for p in positives:
            s_ap = torch.dot(z[a], z[p]) / tau
            denominator = omega * torch.exp(s_ap) + sum(torch.exp(torch.dot(z[a], z[n]) / tau) for n in negatives)
            acc = acc - torch.log(torch.exp(s_ap) / denominator)
        total = total + acc / max(len(positives), 1)
    return total / (size - start)


def project(layer: torch.nn.Linear, g: torch.Tensor) -> torch.Tensor:
    return g @ layer.weight.detach().double().T + layer.bias.detach().double()


def small_config(**changes) -> ACLConfig:
    base = {"proj_dim": 4, "confusion_start_epoch": 1, "inter_start_epoch": 2, "topk": 2, "shared_min": 2,
            "temperature_steps": HAND_STEPS, "memory_size": 10}
    base.update(changes)
    return ACLConfig(**base)


# ------------------------------------------------------------------------------------------------ config
def test_config_defaults_are_the_paper_values_and_scale_to_short_runs():
    cfg = ACLConfig()
    assert (cfg.proj_dim, cfg.proto_momentum, cfg.topk, cfg.shared_min, cfg.memory_size) == (256, 0.9, 10, 5, 512)
    assert (cfg.confusion_start_epoch, cfg.inter_start_epoch) == (30, 31)
    assert cfg.temperature_steps == ((10, 0.1), (20, 0.5), (math.inf, 1.0))
    assert (cfg.intra_tau, cfg.intra_margin, cfg.weight_inter, cfg.weight_intra) == (0.1, 0.1, 0.1, 0.1)
    short = cfg.scaled_to(60)
    assert (short.confusion_start_epoch, short.inter_start_epoch) == (12, 13)
    assert (cfg.scaled_to(150).confusion_start_epoch, cfg.scaled_to(1).confusion_start_epoch) == (30, 1)
    assert ACLConfig.for_run(60, topk=3).inter_start_epoch == 13
    assert ACLConfig.for_run(60, inter_start_epoch=40).inter_start_epoch == 40        # explicit wins
    yaml_like = ACLConfig.from_dict({"temperature_steps": [[10, 0.1], [20, 0.5], ["inf", 1.0]]})
    assert yaml_like == cfg and ACLConfig.from_dict(cfg.to_dict()) == cfg
    for bad in ({"inter_start_epoch": 30}, {"temperature_steps": [[10, 0.1]]}, {"intra_tau": 0}, {"nope": 1}):
        with pytest.raises(UserError):
            ACLConfig.from_dict(bad)


# -------------------------------------------------------------------------------------------- superclass
def test_superclasses_and_temperatures_on_a_hand_made_confusion_matrix():
    assert topk_neighbours(HAND_Q, 2).tolist() == [[1, 2], [0, 2], [0, 1], [2, 1], [0, 1], [3, 4]]
    groups = build_superclasses(HAND_Q, topk=2, shared_min=2)
    assert groups == HAND_S == ref_superclasses(HAND_Q.tolist(), 2, 2)
    assert temperatures(groups, HAND_STEPS).tolist() == pytest.approx(HAND_TAU)
    index, mask = pad_superclasses(groups, width=5)
    assert index.shape == mask.shape == (6, 5) and mask.sum(1).tolist() == [3, 2, 3, 3, 3, 2]
    assert index[0, :3].tolist() == [1, 2, 3] and not mask[1, 2:].any()


def test_a_class_is_never_its_own_neighbour_or_superclass_member():
    # Row 0 is all zeros: the reference's sort over the whole row would put class 0 in its own top-10.
    q = torch.zeros(12, 12, dtype=torch.long)
    q[3, 7] = 2
    neighbours = topk_neighbours(q, 10)
    assert neighbours[0].tolist() == list(range(1, 11))
    assert neighbours[3].tolist() == [7, 0, 1, 2, 4, 5, 6, 8, 9, 10]
    groups = build_superclasses(q, topk=10, shared_min=5)
    assert groups == ref_superclasses(q.tolist(), 10, 5)
    assert all(c not in members for c, members in enumerate(groups))
    # K = 5 <= topk: k is clipped to K-1, so every superclass is "all the other classes" (size 4 -> tau 0.1).
    q5 = torch.randint(0, 9, (5, 5), generator=torch.Generator().manual_seed(0))
    groups5 = build_superclasses(q5, topk=10, shared_min=5)
    assert groups5 == [[d for d in range(5) if d != c] for c in range(5)]
    assert topk_neighbours(q5, 10).shape == (5, 4)
    assert temperatures(groups5, ACLConfig().temperature_steps).tolist() == pytest.approx([0.1] * 5)


def test_random_confusion_matrices_match_the_affinity_formula():
    gen = torch.Generator().manual_seed(1)
    for k_count, topk, shared in [(15, 10, 5), (30, 10, 5), (9, 4, 2), (40, 6, 3)]:
        q = torch.randint(0, 4, (k_count, k_count), generator=gen)      # many ties
        assert build_superclasses(q, topk, shared) == ref_superclasses(q.tolist(), topk, shared)


# ------------------------------------------------------------------------------------------------- inter
def test_prototype_ema_uses_correct_samples_only():
    loss = InterAffinityLoss(5, 3, small_config()).train()
    old = loss.prototypes.clone()
    g = torch.randn(6, 3)
    labels, preds = [0, 0, 1, 2, 2, 3], [0, 0, 1, 0, 2, 1]           # class 3 only wrong, class 4 absent
    loss(g, torch.tensor(preds), torch.tensor(labels))
    u = project(loss.projection, g.double()).float()
    expected = ref_prototypes(old, u, labels, preds, 0.9)
    assert torch.allclose(loss.prototypes, expected, atol=1e-6)
    assert torch.equal(loss.prototypes[3], old[3]) and torch.equal(loss.prototypes[4], old[4])
    assert not torch.equal(loss.prototypes[2], old[2])


def test_confusion_bank_counts_both_directions():
    loss = InterAffinityLoss(4, 3, small_config(confusion_start_epoch=2, inter_start_epoch=3)).train()
    labels, preds = torch.tensor([0, 0, 1, 2]), torch.tensor([1, 0, 0, 0])
    loss.start_epoch(1)
    loss(torch.randn(4, 3), preds, labels)
    assert loss.confusion.sum() == 0                                  # not counting before epoch 2
    loss.start_epoch(2)
    loss(torch.randn(4, 3), preds, labels)
    # by hand: (a) 0->1, 1->0, 2->0; (b) i=0,1 (class 0) see j=2 (a 1 predicted 0) and j=3 (a 2 predicted 0),
    # i=2 (class 1) sees j=0 (a 0 predicted 1).
    expected = torch.tensor([[0, 3, 2, 0], [2, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
    assert torch.equal(loss.confusion, expected)
    loss.eval()
    loss(torch.randn(4, 3), preds, labels)
    assert torch.equal(loss.confusion, expected)                      # eval mode changes nothing
    gen = torch.Generator().manual_seed(2)
    loss.train()
    for _ in range(3):
        y, p = torch.randint(0, 4, (9,), generator=gen), torch.randint(0, 4, (9,), generator=gen)
        expected = ref_confusion(expected, y.tolist(), p.tolist())
        loss(torch.randn(9, 3), p, y)
    assert torch.equal(loss.confusion, expected)


def test_inter_loss_value_and_gradient_match_a_loop():
    loss = InterAffinityLoss(6, 5, small_config()).train()
    loss.confusion.copy_(HAND_Q)
    loss.start_epoch(2)
    assert loss.superclasses() == HAND_S and loss.temperature.tolist() == pytest.approx(HAND_TAU)
    old = loss.prototypes.clone().double()
    labels = [0, 1, 2, 3, 4, 5, 0, 2, 5, 3]
    preds = [0, 1, 0, 3, 1, 5, 0, 2, 4, 2]
    g = torch.randn(10, 5, dtype=torch.float64)
    g_module = g.float().requires_grad_()
    value = loss(g_module, torch.tensor(preds), torch.tensor(labels))
    value.backward()
    g_ref = g.clone().requires_grad_()
    u = project(loss.projection, g_ref)
    expected = ref_inter(u, ref_prototypes(old, u, labels, preds, 0.9), labels, HAND_S, HAND_TAU)
    expected.backward()                       # gradient includes the path through the prototype means
    assert value.item() == pytest.approx(expected.item(), abs=1e-5)
    assert torch.allclose(g_module.grad.double(), g_ref.grad, atol=1e-5)
    assert loss.projection.weight.grad.abs().sum() > 0


def test_inter_loss_is_zero_before_its_start_epoch_but_backward_works():
    loss = InterAffinityLoss(6, 5, small_config(confusion_start_epoch=3, inter_start_epoch=4)).train()
    loss.start_epoch(3)
    g = torch.randn(4, 5, requires_grad=True)
    value = loss(g, torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 2]))
    value.backward()
    assert value.item() == 0.0 and str(value.item()) == "0.0" and not loss.active
    assert g.grad is not None and torch.count_nonzero(g.grad) == 0        # inactive: it pulls on nothing


# ------------------------------------------------------------------------------------------------- intra
def test_intra_loss_value_gradient_zero_before_full_and_fifo_match_a_loop():
    cfg = small_config(memory_size=10, intra_tau=0.1, intra_margin=0.1)
    loss = IntraMarginLoss(5, cfg).train()
    gen = torch.Generator().manual_seed(3)
    history: list[tuple[torch.Tensor, int]] = []               # the reference FIFO, oldest first
    batches = [[0, 1, 1, 2], [2, 2, 0, 1], [0, 1, 2, 3], [1, 1, 0, 0], [3, 2, 2, 0]]   # label 3: lone anchor
    values = []
    for labels in batches:
        g = torch.randn(4, 5, generator=gen, dtype=torch.float64)
        g_module = g.float().requires_grad_()
        value = loss(g_module, torch.tensor(labels))
        value.backward()
        g_ref = g.clone().requires_grad_()
        v = torch.stack([ref_normalise(row) for row in project(loss.projection, g_ref)])
        previous = cfg.memory_size - len(labels)                 # the queue length includes this batch
        if len(history) >= previous:
            old = history[len(history) - previous:]
            z = torch.cat([torch.stack([f for f, _ in old]), v]) if old else v
            expected = ref_intra(z, [y for _, y in old] + labels, len(old), 0.1, 0.1)
            expected.backward()
            assert value.item() == pytest.approx(expected.item(), abs=1e-5)
            assert torch.allclose(g_module.grad.double(), g_ref.grad, atol=1e-5)
            assert loss.projection.weight.grad.abs().sum() > 0
        else:
            assert value.item() == 0.0
        values.append(value.item())
        history += [(f.detach(), y) for f, y in zip(v, labels)]
        feats, ys = loss.queued()                                  # FIFO order: oldest first, newest 10 kept
        assert ys.tolist() == [y for _, y in history[-10:]]
        assert torch.allclose(feats.double(), torch.stack([f for f, _ in history[-10:]]), atol=1e-6)
    assert values[:2] == [0.0, 0.0] and all(v != 0.0 for v in values[2:])


def test_intra_loss_anchor_without_negatives_and_batch_larger_than_memory():
    loss = IntraMarginLoss(3, small_config(memory_size=4)).train()
    value = loss(torch.randn(6, 3), torch.tensor([1, 1, 1, 1, 1, 1]))   # B > mem: the batch alone
    assert value.item() == pytest.approx(-0.1, abs=1e-6)               # no negatives: ℓ = log ω = −ε
    assert int(loss.queue_count) == 4


# -------------------------------------------------------------------------------------------- ACLLoss
def _run_steps(acl: ACLLoss, steps, optimiser=None):
    values = []
    for epoch, g, logits, y in steps:
        acl.start_epoch(epoch)
        g = g.clone().requires_grad_()
        out = acl(g, logits, y)
        if optimiser is not None:
            optimiser.zero_grad()
        out.total.backward()
        if optimiser is not None:
            optimiser.step()
        values.append((out.total.item(), out.inter.item(), out.intra.item(), g.grad.clone()))
    return values


def _make_steps(seed: int, epochs=(1, 1, 1, 2, 2, 3), batch=8, classes=5, topo=6):
    gen = torch.Generator().manual_seed(seed)
    steps = []
    for epoch in epochs:
        y = torch.randint(0, classes, (batch,), generator=gen)
        logits = torch.randn(batch, classes, generator=gen)
        logits[torch.arange(batch), y] += 1.0                          # mostly, not always, correct
        steps.append((epoch, torch.randn(batch, topo, generator=gen), logits, y))
    return steps


def test_acl_loss_combines_weights_switches_and_gradients():
    cfg = small_config(memory_size=16, weight_inter=0.3, weight_intra=0.7)
    acl = ACLLoss(5, 6, cfg).train()
    values = _run_steps(acl, _make_steps(0))
    total, inter, intra, grad = values[-1]
    assert inter > 0 and intra > 0 and total == pytest.approx(0.3 * inter + 0.7 * intra, rel=1e-6)
    assert grad.abs().sum() > 0
    assert acl.inter_loss.projection.weight.grad.abs().sum() > 0
    assert acl.intra_loss.projection.weight.grad.abs().sum() > 0
    only_intra = ACLLoss(5, 6, small_config(memory_size=16, use_inter=False)).train()
    assert only_intra.inter_loss is None
    total, inter, intra, _ = _run_steps(only_intra, _make_steps(0))[-1]
    assert inter == 0.0 and total == pytest.approx(0.1 * intra)
    with pytest.raises(ValueError):
        acl(torch.randn(3, 7), torch.randn(3, 5), torch.zeros(3, dtype=torch.long))


def test_state_dict_round_trip_resumes_exactly():
    cfg = small_config(memory_size=16)
    steps = _make_steps(4, epochs=(1, 1, 2, 2, 2, 3, 3))
    acl = ACLLoss(5, 6, cfg).train()
    _run_steps(acl, steps[:4])
    state = acl.state_dict()
    for key in ("inter_loss.prototypes", "inter_loss.confusion", "inter_loss.superclass_index",
                "inter_loss.superclass_mask", "inter_loss.temperature", "inter_loss.epoch", "epoch",
                "intra_loss.queue_features", "intra_loss.queue_labels", "intra_loss.queue_ptr",
                "intra_loss.queue_count"):
        assert key in state
    buffer = io.BytesIO()
    torch.save(copy.deepcopy(state), buffer)
    buffer.seek(0)
    resumed = ACLLoss(5, 6, small_config(memory_size=16, seed=123)).train()   # different init, then loaded
    resumed.load_state_dict(torch.load(buffer))
    assert resumed.inter_loss.superclasses() == acl.inter_loss.superclasses()
    continued, restarted = _run_steps(acl, steps[4:]), _run_steps(resumed, steps[4:])
    for a, b in zip(continued, restarted):
        assert a[:3] == b[:3] and torch.equal(a[3], b[3])
    for key, value in acl.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key
    before = copy.deepcopy(acl.state_dict())
    acl.eval()
    out = acl(steps[-1][1], steps[-1][2], steps[-1][3])                 # eval mode: losses, no state change
    assert out.inter.item() > 0 and out.intra.item() > 0
    assert all(torch.equal(value, acl.state_dict()[key]) for key, value in before.items())


# ---------------------------------------------------------------------------------------------------- DDP
def _ddp_steps():
    steps = _make_steps(7, epochs=(1, 1, 2, 2, 3), batch=9)
    return steps, [5, 4]                                               # uneven split: rank 0 gets 5 rows


def _ddp_worker(rank: int, world: int, init_file: str, out_file: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        steps, split = _ddp_steps()
        lo, hi = sum(split[:rank]), sum(split[: rank + 1])
        local = [(e, g[lo:hi], logits[lo:hi], y[lo:hi]) for e, g, logits, y in steps]
        acl = ACLLoss(5, 6, small_config(memory_size=12)).train()
        optimiser = torch.optim.SGD(acl.parameters(), lr=0.5)          # no gradient all-reduce on purpose
        values = _run_steps(acl, local, optimiser)
        from aclnet_core.losses.distributed import state_in_sync
        torch.save({"values": values, "state": acl.state_dict(), "in_sync": state_in_sync(acl)}, out_file)
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()), reason="gloo is unavailable")
def test_ddp_two_ranks_match_a_single_process_on_the_concatenated_batch(tmp_path):
    world = 2
    outs = [str(tmp_path / f"rank{r}.pt") for r in range(world)]
    mp.spawn(_ddp_launch, args=(world, str(tmp_path / "init"), outs), nprocs=world, join=True)
    ranks = [torch.load(out) for out in outs]
    steps, split = _ddp_steps()
    single = ACLLoss(5, 6, small_config(memory_size=12)).train()
    single_values = _run_steps(single, steps, torch.optim.SGD(single.parameters(), lr=0.5))
    assert ranks[0]["in_sync"] and ranks[1]["in_sync"]
    state0, state1, state_single = ranks[0]["state"], ranks[1]["state"], single.state_dict()
    for key in state_single:
        assert torch.equal(state0[key], state1[key]), key                      # identical on both ranks
        assert torch.allclose(state0[key].double(), state_single[key].double(), atol=1e-5), key
    assert torch.equal(state0["inter_loss.confusion"], state_single["inter_loss.confusion"])
    assert state_single["inter_loss.confusion"].sum() > 0 and single.inter_loss.active
    for step, expected in enumerate(single_values):
        lo = 0
        for rank in range(world):
            got = ranks[rank]["values"][step]
            assert got[0] == pytest.approx(expected[0], abs=1e-5) and got[2] == pytest.approx(expected[2], abs=1e-5)
            # own rows carry world_size × the gradient, so DDP's average over ranks gives the exact gradient
            assert torch.allclose(got[3] / world, expected[3][lo: lo + split[rank]], atol=1e-6)
            lo += split[rank]


def _ddp_launch(rank: int, world: int, init_file: str, outs: list[str]) -> None:
    _ddp_worker(rank, world, init_file, outs[rank])


def test_switched_off_inter_loss_projection_gets_no_weight_decay():
    """Before its start epoch the inter term's projection has a zero gradient; SGD with weight decay must not
    shrink it (the official code gives it no gradient at all)."""
    import torch

    from aclnet_core.losses.acl import ACLLoss
    from aclnet_core.losses.config import ACLConfig

    torch.manual_seed(0)
    acl = ACLLoss(4, 16, ACLConfig(use_intra=False))  # inter starts at epoch 31 by default
    acl.start_epoch(1)
    before = acl.inter_loss.projection.weight.detach().clone()
    opt = torch.optim.SGD(acl.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    topo = torch.randn(8, 16, requires_grad=True)
    out = acl(topo, torch.randn(8, 4), torch.arange(8) % 4)
    (out.total + topo.sum()).backward()
    assert acl.inter_loss.projection.weight.grad is not None  # connected with a zero gradient
    assert acl.release_idle_gradients() >= 1
    opt.step()
    assert torch.equal(acl.inter_loss.projection.weight, before)
