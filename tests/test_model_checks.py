"""A model file must be what it says: an ONNX graph that contradicts its metadata, or a model of the wrong task,
is refused with one line."""

import json
import shutil
from pathlib import Path

import onnx
import pytest

from aclnet_core.errors import UserError

MODELS = Path(__file__).resolve().parents[1] / "assets" / "models"
pytestmark = pytest.mark.skipif(not (MODELS / "action.onnx").is_file(), reason="no shipped ONNX model")


def _with_meta(tmp_path: Path, **changes) -> Path:
    model = onnx.load(str(MODELS / "action.onnx"))
    for prop in model.metadata_props:
        if prop.key == "aclnet_meta":
            meta = json.loads(prop.value)
            for key, value in changes.items():
                if key in meta:
                    meta[key] = value
                else:
                    meta["preprocess"][key] = value
            prop.value = json.dumps(meta)
    path = tmp_path / "tampered.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize(("changes", "words"), [({"window": 48}, "input shape"), ({"num_joints": 17}, "input shape"),
                                                ({"labels": ["a", "b"]}, "classes")])
def test_onnx_contradicting_its_metadata_is_refused(tmp_path, changes, words):
    from aclnet_core.runtime.onnx_runtime import OnnxRuntime

    with pytest.raises(UserError, match=words):
        OnnxRuntime(_with_meta(tmp_path, **changes))


def test_shipped_onnx_matches_its_metadata():
    from aclnet_core.runtime.onnx_runtime import OnnxRuntime

    assert OnnxRuntime(MODELS / "action.onnx").meta.task == "action"


@pytest.mark.parametrize(("model", "task"), [("gait.onnx", "action"), ("action.pt", "gait")])
def test_model_of_another_task_is_refused(tmp_path, model, task):
    from app.recogniser import open_runtime

    shutil.copy(MODELS / model, tmp_path / model)
    with pytest.raises(UserError, match=f"needs an? {task} model"):
        open_runtime(tmp_path / model, "onnxruntime-cpu" if model.endswith(".onnx") else "auto", task=task)


def test_onnxruntime_telemetry_is_turned_off(monkeypatch):
    import onnxruntime

    from aclnet_core.runtime import onnx_runtime

    calls = []
    monkeypatch.setattr(onnxruntime, "disable_telemetry_events", lambda: calls.append(1), raising=False)
    onnx_runtime._ort()
    assert calls
