"""The shipped models (assets/models): present, their .pt and .onnx are the same model, and they carry the
metadata the app relies on (window rate, open-set threshold). A missing or half-replaced model fails here."""

from __future__ import annotations

import pytest
from conftest import ROOT, shipped_model

from aclnet_core.model.checkpoint import load_checkpoint
from aclnet_core.model.metadata import weights_id
from aclnet_core.runtime.onnx_runtime import read_onnx_metadata

MODELS = ROOT / "assets" / "models"


@pytest.mark.parametrize("task", ["action", "gait"])
def test_each_task_ships_a_model_whose_pt_and_onnx_agree(task):
    _, meta = shipped_model(task)                        # UserError (a failure) when neither file exists
    assert meta.task == task and len(meta.model_id) == 16 and meta.labels
    pt, onnx = MODELS / f"{task}.pt", MODELS / f"{task}.onnx"
    assert pt.is_file() and onnx.is_file(), "ship both the checkpoint and its ONNX export"
    payload = load_checkpoint(pt)
    assert weights_id(payload["model"]) == payload["meta"].model_id          # the id names these weights
    exported = read_onnx_metadata(onnx)
    assert exported.model_id == payload["meta"].model_id, "the .onnx is not the export of the .pt"
    assert exported.labels == payload["meta"].labels and exported.preprocess == payload["meta"].preprocess


@pytest.mark.parametrize("task", ["action", "gait"])
def test_shipped_models_record_their_window_rate(task):
    _, meta = shipped_model(task)
    assert 5.0 <= float(meta.extra["sample_fps"]) <= 30.0


def test_the_gait_model_carries_a_calibrated_threshold():
    _, meta = shipped_model("gait")
    assert 0.0 < float(meta.extra["identity_threshold"]) < 1.0

