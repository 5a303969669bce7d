"""The bench-only baseline encoder computes the product's function; `bench --vs-baseline` times both."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aclnet_core.bench.baseline_encoder import baseline_from
from aclnet_core.bench.vs_baseline import VsResult, run_vs_baseline
from aclnet_core.errors import UserError
from aclnet_core.model.encoder import ACLNet
from main import main


def trained_like(model: ACLNet, seed: int = 1) -> ACLNet:
    """Perturb every weight and BN statistic (α, β non-zero) so that no term of the encoder is trivially zero."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.05)
        for mod in model.modules():
            if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                mod.running_mean.normal_(0, 0.1, generator=g)
                mod.running_var.uniform_(0.5, 1.5, generator=g)
                mod.weight.uniform_(0.5, 1.5, generator=g)
    return model.eval()


def close(got, expected, tol: float = 1e-5) -> float:
    """max |got - expected| relative to the output's scale when above 1; asserts <= tol."""
    diff = max(float((a - b).abs().max()) / max(1.0, float(b.abs().max())) for a, b in zip(got, expected))
    assert diff <= tol, diff
    return diff


@pytest.mark.parametrize("preset,v,t", [("lite", 33, 32), ("lite", 20, 20), ("base", 20, 16)])
def test_baseline_equals_the_product_encoder(preset, v, t):
    torch.manual_seed(0)
    model = trained_like(ACLNet(7, v, 3, preset))
    baseline = baseline_from(model)
    assert baseline.blocks[1].gcn.alpha.shape == (8,)            # the reference's K-vectors, element 0 used
    x = torch.randn(2, 1, t, v, 3)
    with torch.inference_mode():
        close(baseline(x), model.inference_forward(x))


def test_vs_baseline_torch_reports_interleaved_ratio():
    result = run_vs_baseline(preset="lite", backend="torch", window=8, joints=6, iters=4, warmup=1)
    assert isinstance(result, VsResult) and result.shape == (1, 1, 8, 6, 3)
    assert len(result.baseline_ms) == len(result.product_ms) == 4 and result.max_diff <= 1e-5
    last = result.report().splitlines()[-1]
    assert last.startswith("ratio ") and float(last.split()[1]) == pytest.approx(result.ratio, abs=1e-3)


def test_vs_baseline_onnxruntime_exports_both():
    result = run_vs_baseline(preset="lite", backend="onnxruntime-cpu", window=8, joints=6, iters=2, warmup=1)
    assert result.backend == "onnxruntime-cpu" and result.max_diff <= 1e-5 and np.all(result.baseline_ms > 0)


def test_vs_baseline_errors():
    with pytest.raises(UserError, match="not both"):
        run_vs_baseline("x.pt", preset="lite")
    with pytest.raises(UserError, match="backend"):
        run_vs_baseline(preset="lite", backend="tensorrt")


def test_cli_prints_ratio_last(capsys):
    assert main(["bench", "--vs-baseline", "--preset", "lite", "--window", "8", "--joints", "6", "--iters", "3"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("vs-baseline: preset lite") and out[-1].startswith("ratio ")
    from aclnet_core.bench.__main__ import main as bench_main
    assert bench_main(["--vs-baseline", "--preset", "lite", "--window", "8", "--joints", "6", "--iters", "2",
                       "--backend", "torch-cpu"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("ratio ")
