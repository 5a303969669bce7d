"""The ONNX Runtime option sweep runs every variant on the same input and keeps the outputs equal."""

from __future__ import annotations

import torch

from aclnet_core.bench.ort_options import VARIANTS, main, measure
from aclnet_core.export.onnx_export import torch_to_onnx
from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.metadata import ModelMetadata
from aclnet_core.model.presets import EncoderPreset


def test_sweep_measures_every_variant(tmp_path, capsys):
    torch.manual_seed(0)
    meta = ModelMetadata("action", ["a", "b"], "lite", 6, 3, 16, {"layout": "generic", "window": 8, "num_person": 1})
    proto, _ = torch_to_onnx(ACLNet(2, 6, 3, EncoderPreset("tiny", (8, 16), (1, 2))).eval(), meta)
    path = tmp_path / "tiny.onnx"
    path.write_bytes(proto.SerializeToString())
    rows = measure(str(path), iters=2, warmup=0)
    assert [r["variant"] for r in rows] == [v.name for v in VARIANTS] and rows[0]["ratio"] == 1.0
    assert all(r["wall_ms"] > 0 for r in rows)
    assert main([str(path), "--iters", "0"]) == 2 and capsys.readouterr().err.startswith("error:")
