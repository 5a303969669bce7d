"""The CPU inference form (`fuse_for_inference`) computes the training-form encoder's function (1e-5)."""

from __future__ import annotations

import pytest
import torch

from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.fast_inference import fuse_for_inference
from aclnet_core.model.presets import EncoderPreset
from tests.test_baseline_encoder import close, trained_like


@pytest.mark.parametrize("preset", ["lite", "base"])
@pytest.mark.parametrize("v,t", [(20, 20), (33, 17)])
@pytest.mark.parametrize("batch", [1, 3])
def test_fast_form_equals_the_encoder(preset, v, t, batch):
    torch.manual_seed(0)
    model = trained_like(ACLNet(5, v, 3, preset))
    fast = fuse_for_inference(model)
    x = torch.randn(batch, 1, t, v, 3)
    with torch.inference_mode():
        expected = model.inference_forward(x)
        close(fast(x), expected)
        close(fuse_for_inference(model, conv_ops=True)(x), expected)      # the form the ONNX export writes


def test_two_persons_odd_widths_and_model_unchanged():
    torch.manual_seed(0)
    preset = EncoderPreset("odd", (14, 14, 28), (1, 2, 1), num_subsets=2)   # branch widths 4,2,2,2,2,2
    model = trained_like(ACLNet(3, 7, 2, preset))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(2, 2, 9, 7, 2)
    with torch.inference_mode():
        close(fuse_for_inference(model)(x), model.inference_forward(x))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not model.training


def test_torch_runtime_on_cpu_runs_the_fast_form():
    import numpy as np

    from aclnet_core.model.metadata import ModelMetadata
    from aclnet_core.runtime.torch_runtime import TorchRuntime

    torch.manual_seed(0)
    model = trained_like(ACLNet(4, 6, 3, "lite"))
    meta = ModelMetadata("action", list("abcd"), "lite", 6, 3, 128, {"layout": "generic", "window": 10})
    x = np.random.default_rng(0).standard_normal((2, 1, 10, 6, 3)).astype(np.float32)
    with torch.inference_mode():
        expected = [t.numpy() for t in model.inference_forward(torch.from_numpy(x))]
    runtime = TorchRuntime(model, meta, device="cpu")
    assert type(runtime._forward).__name__ == "TracedPerShape"
    assert (1, 1, 10, 6, 3) in runtime._forward._traced                  # the batch-1 window, traced up front
    for batch in (1, 2):                                                 # traced, and eager
        for got, want in zip(runtime.infer(x[:batch]), expected):
            assert np.abs(got - want[:batch]).max() <= 1e-5 * max(1.0, np.abs(want).max())


def test_windows_shorter_than_the_dilations():
    """Deep blocks of a short window have fewer frames than the largest dilation (4): outer taps see only padding."""
    torch.manual_seed(0)
    model = trained_like(ACLNet(3, 5, 3, "lite"))
    for t in (1, 3, 5):
        x = torch.randn(2, 1, t, 5, 3)
        with torch.inference_mode():
            close(fuse_for_inference(model)(x), model.inference_forward(x))
            close(fuse_for_inference(model)(x[:1]), model.inference_forward(x[:1]))


def test_traced_per_shape_is_equal_caps_its_cache_and_falls_back(monkeypatch):
    from aclnet_core.model.fast_inference import traced_for_inference

    torch.manual_seed(0)
    model = trained_like(ACLNet(4, 6, 3, "lite"))
    shapes = [(b, 1, 9, 6, 3) for b in (1, 3, 2)]
    traced = traced_for_inference(model, *shapes, max_shapes=2)
    assert sorted(k[0] for k, v in traced._traced.items() if v is not None) == [1, 3]   # batch 2: not traced
    with torch.inference_mode():
        for batch in (1, 3, 2, 4):                                    # 2 and 4: the batch-1 trace per sample
            x = torch.randn(batch, 1, 9, 6, 3)
            close(traced(x), model.inference_forward(x))
        x = torch.randn(2, 1, 7, 6, 3)                                # another window: eager
        close(traced(x), model.inference_forward(x))
    with torch.no_grad():                                             # outside inference mode as well
        x = torch.randn(1, 1, 9, 6, 3)
        close(traced(x), model.inference_forward(x))

    def broken(*args, **kwargs):
        raise RuntimeError("no tracing here")
    monkeypatch.setattr(torch.jit, "trace", broken)
    fallback = traced_for_inference(model, (2, 1, 9, 6, 3))
    with torch.inference_mode():
        x = torch.randn(2, 1, 9, 6, 3)
        close(fallback(x), model.inference_forward(x))
    assert fallback._traced == {(2, 1, 9, 6, 3): None}
