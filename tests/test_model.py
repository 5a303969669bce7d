"""The encoder: shapes, any V / persons, and the two exact rewrites (time-average first, matmul aggregation)."""

import pytest
import torch

from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.graph_conv import DGGraphConv
from aclnet_core.model.presets import PRESETS


def reference_gcn(g: DGGraphConv, x: torch.Tensor) -> torch.Tensor:
    """The reference order: conv1/conv2 over every frame, then the time mean; einsum aggregation."""
    n, _, t, v = x.shape
    k, mid = g.num_subsets, g.mid
    x1 = g.conv1(x).reshape(n, k, mid, t, v).mean(dim=-2, keepdim=True)
    x2 = g.conv2(x).reshape(n, k, mid, t, v).mean(dim=-2, keepdim=True)
    a = g.A[None, :, None, None]
    a = torch.tanh(x1.unsqueeze(-1) - x2.unsqueeze(-2)) * g.alpha + a
    ada = torch.softmax(torch.einsum("nkctv,nkctw->nktvw", x1, x2)[:, :, None], dim=-2) * g.beta
    a = (a + ada).squeeze(3)
    pre = g.pre(x).reshape(n, k, mid, t, v)
    out = torch.einsum("nkctv,nkcvw->nkctw", pre, a).reshape(n, k * mid, t, v)
    return g.act(g.bn(g.post(out)) + g.down(x))


def test_graph_conv_matches_reference_order():
    torch.manual_seed(0)
    g = DGGraphConv(6, 16, num_joints=7).eval()
    with torch.no_grad():
        g.alpha.fill_(0.7)
        g.beta.fill_(-0.3)
        x = torch.randn(2, 6, 9, 7)
        ours, topo = g(x)
        ref = reference_gcn(g, x)
    assert torch.allclose(ours, ref, atol=1e-5)
    assert topo.shape == (2, 7, 7)


def test_topology_starts_at_zero_and_grows_with_alpha_beta():
    g = DGGraphConv(3, 8, num_joints=5)
    _, topo = g(torch.randn(2, 3, 4, 5))
    assert torch.count_nonzero(topo) == 0          # α = β = 0 at initialisation, as in the paper
    with torch.no_grad():
        g.alpha.fill_(1.0)
    _, topo = g(torch.randn(2, 3, 4, 5))
    assert topo.abs().sum() > 0


@pytest.mark.parametrize("v,m", [(20, 1), (33, 1), (17, 2), (25, 2)])
def test_encoder_shapes_any_v_and_persons(v, m):
    model = ACLNet(num_classes=7, num_joints=v, in_channels=3, preset="lite").eval()
    out = model(torch.randn(3, m, 16, v, 3))
    assert out.logits.shape == (3, 7)
    assert out.embedding.shape == (3, PRESETS["lite"].embed_dim)
    assert torch.allclose(out.embedding.norm(dim=-1), torch.ones(3), atol=1e-5)
    assert out.topology.shape == (3, v * v)


def test_base_preset_matches_paper_parameter_count():
    # The digest measured 3,705,696 backbone parameters at V=25 with α, β as length-8 vectors; we keep scalars
    # (only element 0 is used there), 14 fewer per block.
    model = ACLNet(num_classes=60, num_joints=25, preset="base")
    backbone = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("fc."))
    assert backbone == 3_705_696 - 10 * 14


def test_persons_are_averaged_not_mixed():
    torch.manual_seed(0)
    model = ACLNet(num_classes=4, num_joints=10, preset="lite").eval()
    x = torch.randn(1, 2, 12, 10, 3)
    with torch.no_grad():
        both = model.features(x)[0]
        a = model.features(x[:, :1])[0]
        b = model.features(x[:, 1:])[0]
    assert torch.allclose(both, (a + b) / 2, atol=1e-5)


def test_gradients_reach_dynamic_terms():
    """α and β start at 0 (no dynamic topology yet), so only a non-zero gradient lets training switch them on."""
    torch.manual_seed(0)
    model = ACLNet(num_classes=3, num_joints=6, preset="lite")
    out = model(torch.randn(4, 1, 8, 6, 3))
    (out.logits.sum() + out.topology.sum()).backward()
    for i, block in enumerate(model.blocks):
        for name in ("alpha", "beta"):
            grad = getattr(block.gcn, name).grad
            assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 1e-3, (i, name, grad)
