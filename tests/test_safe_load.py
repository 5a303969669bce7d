"""No code runs from a file: malicious checkpoints and pickles are refused before anything in them executes."""

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from aclnet_core.errors import UserError
from aclnet_core.safe_load import load_pickle, load_torch_file, trusting_pickles
from main import main

ROOT = Path(__file__).resolve().parents[1]


class _Payload:
    """Unpickling this calls os.makedirs(marker): the marker's existence proves code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (str(self.marker),))


def evil_pt(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pt_code_ran"
    path = tmp_path / "evil.pt"
    torch.save({"meta": {"task": "action"}, "model": {"w": torch.zeros(1)}, "x": _Payload(marker)}, path)
    return path, marker


def evil_pkl(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pkl_code_ran"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"split": {"train": []}, "annotations": [_Payload(marker)]}))
    return path, marker


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_malicious_checkpoint_is_refused_without_running(tmp_path):
    path, marker = evil_pt(tmp_path)
    with pytest.raises(UserError, match="refusing to load"):
        load_torch_file(path)
    assert not marker.exists()


@pytest.mark.parametrize("argv", [
    ["eval", "{pt}"], ["export", "{pt}", "-o", "{tmp}/out.onnx"], ["export", "{pt}", "--format", "checkpoint",
                                                                    "-o", "{tmp}/out.pt"],
    ["annotate", "--demo", "--model", "{pt}", "-o", "{tmp}/d.mp4", "--no-progress"],
    ["train", "--resume", "{pt}"], ["bench", "--model", "{pt}", "--backend", "torch-cpu", "--iters", "1"],
    ["gallery", "--gallery", "{tmp}/g.sqlite", "enroll", "ann", "demo", "--gait-model", "{pt}"],
])
def test_cli_refuses_malicious_checkpoint(tmp_path, capsys, argv):
    path, marker = evil_pt(tmp_path)
    argv = [a.format(pt=path, tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    assert "refusing to load" in _one_line_error(capsys)
    assert not marker.exists()


@pytest.mark.parametrize("content", [bytes(range(256)) * 8, b"\x00\x00\x00\x20ftypisom" + b"\x00" * 64, b""])
def test_non_checkpoint_bytes_say_not_a_checkpoint(tmp_path, capsys, content):
    """Random bytes, a video header or an empty file: 'not a readable checkpoint', not a refusal of globals."""
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(UserError, match="is not a readable checkpoint"):
        load_torch_file(path)
    assert main(["eval", str(path)]) == 2
    assert "not a readable checkpoint" in _one_line_error(capsys)


def test_malicious_pickle_is_refused_without_running(tmp_path):
    path, marker = evil_pkl(tmp_path)
    with pytest.raises(UserError, match="--trust-pickle"):
        load_pickle(path)
    assert not marker.exists()


@pytest.mark.parametrize("cmd", ["train", "eval"])
def test_cli_refuses_malicious_pickle(tmp_path, capsys, cmd):
    path, marker = evil_pkl(tmp_path)
    if cmd == "train":
        argv = ["train", "--data", str(path), "--layout", "kinect20", "--train-split", "train",
                "--val-split", "train", "--out", str(tmp_path / "run"), "--no-progress"]
    else:
        argv = ["eval", str(ROOT / "assets" / "models" / "action.pt"), "--data", str(path), "--kind", "pyskl",
                "--layout", "mediapipe33", "--split", "train"]
    assert main(argv) == 2
    assert "--trust-pickle" in _one_line_error(capsys)
    assert not marker.exists()


def test_trusted_pickle_is_loaded_in_full(tmp_path):
    path, marker = evil_pkl(tmp_path)
    with trusting_pickles():
        load_pickle(path)
    assert marker.exists()                        # the flag does what it says


def test_numpy_pickles_load_safely(tmp_path):
    data = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.float64(1.5), "c": np.int64(3),
            "d": [np.zeros((1, 2), np.uint8)], "e": ("x", 1, None, {1, 2}), "f": np.dtype("f4")}
    path = tmp_path / "ok.pkl"
    path.write_bytes(pickle.dumps(data))
    out = load_pickle(path)
    assert out["a"].tolist() == data["a"].tolist() and out["b"] == 1.5 and out["f"] == np.dtype("f4")


def test_shipped_models_load_weights_only():
    for path in (ROOT / "assets" / "models").glob("*.pt"):
        payload = torch.load(path, map_location="cpu", weights_only=True)
        assert {"meta", "model"} <= set(payload)


def test_no_unsafe_loads_in_the_code():
    """Every checkpoint goes through load_torch_file, every dataset pickle through load_pickle."""
    offenders = []
    for folder in ("aclnet_core", "app"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if "weights_only=False" in text or ("pickle.load(" in text and path.name != "safe_load.py"):
                offenders.append(str(path.relative_to(ROOT)))
    assert "weights_only=False" not in (ROOT / "main.py").read_text()
    assert not offenders


def test_rng_state_round_trips_weights_only(tmp_path):
    """Training checkpoints hold RNG states as tensors and plain types: plain weights_only loading restores them."""
    import random

    from aclnet_core.train.state import restore_rng, rng_state, seed_everything

    seed_everything(5)
    np.random.normal(size=3)                   # leave a cached gaussian in numpy's state
    torch.save({"rng": rng_state()}, tmp_path / "rng.pt")
    expected = (random.random(), np.random.normal(), torch.rand(1).item())
    restore_rng(torch.load(tmp_path / "rng.pt", weights_only=True)["rng"])
    assert (random.random(), np.random.normal(), torch.rand(1).item()) == expected


def test_older_checkpoints_with_numpy_rng_state_still_load(tmp_path):
    """Training checkpoints written before the RNG states were plain types hold numpy's state as an array."""
    from aclnet_core.train.state import restore_rng

    state = {"python": __import__("random").getstate(), "numpy": np.random.get_state(),
             "torch": torch.get_rng_state()}
    torch.save({"rng": state}, tmp_path / "old.pt")
    loaded = load_torch_file(tmp_path / "old.pt")["rng"]
    expected = np.random.normal()
    restore_rng(loaded)
    assert np.random.normal() == expected
