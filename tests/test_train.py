"""Trainer and evaluation end to end on a tiny generated pyskl pickle (no dataset needed)."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from aclnet_core.errors import UserError
from aclnet_core.model.checkpoint import load_checkpoint
from aclnet_core.train.config import load_config
from aclnet_core.train.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]


def make_pyskl(path: Path, v: int = 20, per_class: int = 6, classes: int = 3, seed: int = 0) -> Path:
    """Classes differ by which joint group oscillates, so a model can learn them."""
    rng = np.random.default_rng(seed)
    anns, split = [], {"train": [], "val": []}
    for c in range(classes):
        for i in range(per_class):
            t = int(rng.integers(8, 20))
            kp = rng.normal(0, 0.05, (1, t, v, 3)).astype(np.float32)
            kp[0, :, :, 1] += np.linspace(0, 1, v)[None, :]            # a vertical body
            joints = slice(4 + 4 * c, 8 + 4 * c)
            kp[0, :, joints, 0] += np.sin(np.linspace(0, 6, t))[:, None]
            name = f"c{c}_{i}"
            anns.append({"frame_dir": name, "label": c, "keypoint": kp, "total_frames": t})
            split["train" if i < per_class - 2 else "val"].append(name)
    path.write_bytes(pickle.dumps({"split": split, "annotations": anns}))
    return path


def tiny_config(tmp_path: Path, data: Path, **extra) -> list[str]:
    overrides = [f"data.path={data}", "data.kind=pyskl", "data.layout=kinect20", "data.train_split=train",
                 "data.val_split=val", "preprocess.window=8", "optim.epochs=2", "optim.batch_size=4",
                 "optim.lr=0.05", f"out_dir={tmp_path / 'run'}", "seed=3", "val_clips=1",
                 "acl.memory_size=8"]
    overrides += [f"{k}={v}" for k, v in extra.items()]
    return overrides


@pytest.fixture
def data(tmp_path):
    return make_pyskl(tmp_path / "tiny.pkl")


def test_train_writes_complete_checkpoints(tmp_path, data):
    cfg = load_config(None, tiny_config(tmp_path, data))
    result = Trainer(cfg, progress=False).fit()
    assert 0.0 <= result.best_top1 <= 1.0
    payload = load_checkpoint(tmp_path / "run" / "last.pt", full=True)
    meta = payload["meta"]
    assert meta.labels == ["class_0", "class_1", "class_2"]        # a pickle without names: numbered classes
    assert meta.layout == "kinect20" and meta.window == 8 and meta.num_joints == 20
    pkl = pickle.loads(data.read_bytes())
    train = set(pkl["split"]["train"])
    median = np.median([a["total_frames"] for a in pkl["annotations"] if a["frame_dir"] in train])
    assert meta.extra["sample_fps"] == pytest.approx(8 * 30.0 / median, abs=1e-3)  # the app windows at this rate
    assert payload["epoch"] == 2 and payload["loss_state"] is not None
    assert (tmp_path / "run" / "best.pt").exists()
    rows = (tmp_path / "run" / "metrics.csv").read_text().strip().splitlines()
    assert len(rows) == 3                               # header + 2 epochs
    assert not list((tmp_path / "run").glob("*.part*"))  # no temporary files left


def kill_and_resume(cfg, at_epoch: int) -> Path:
    """Train `cfg`, interrupt it at the start of `at_epoch`, resume from last.pt to the end; returns last.pt."""
    trainer = Trainer(cfg, progress=False)
    original = trainer.train_epoch

    def killed(epoch):
        if epoch == at_epoch:
            raise KeyboardInterrupt
        return original(epoch)

    trainer.train_epoch = killed
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    last = cfg.run_dir / "last.pt"
    Trainer(cfg, resume=last, progress=False).fit()
    return last


@pytest.mark.parametrize("extra", [{}, {"optim.ema": 0.9, "optim.label_smoothing": 0.1}], ids=["plain", "ema"])
def test_resume_is_exact(tmp_path, data, extra):
    """Kill a run during epoch 2, resume from last.pt: the result equals an uninterrupted run (with EMA too)."""
    Trainer(load_config(None, tiny_config(tmp_path / "a", data, **extra)), progress=False).fit()
    resumed = kill_and_resume(load_config(None, tiny_config(tmp_path / "b", data, **extra)), at_epoch=2)
    a = load_checkpoint(tmp_path / "a" / "run" / "last.pt", full=True)
    b = load_checkpoint(resumed, full=True)
    for key in a["model"]:
        assert torch.allclose(a["model"][key].float(), b["model"][key].float(), atol=1e-6), key
    for key in a["loss_state"]:
        assert torch.equal(a["loss_state"][key], b["loss_state"][key]), key
    for key in a.get("train_model", {}):
        assert torch.allclose(a["train_model"][key].float(), b["train_model"][key].float(), atol=1e-6), key


def test_ema_ships_the_average_and_keeps_the_trained_weights(tmp_path, data):
    """With optim.ema the checkpoint's model is the moving average (what eval and the app load), not the last step."""
    cfg = load_config(None, tiny_config(tmp_path, data, **{"optim.ema": 0.9, "optim.epochs": 1}))
    trainer = Trainer(cfg, progress=False)
    start = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.fit()
    payload = load_checkpoint(tmp_path / "run" / "last.pt", full=True)
    trained, shipped = payload["train_model"], payload["model"]
    assert payload["ema"]["updates"] == trainer.iters_per_epoch
    key = "fc.weight"
    assert not torch.allclose(trained[key], shipped[key])                    # the average lags the trained weights
    assert not torch.allclose(start[key], shipped[key])                      # but it moved from the start
    from aclnet_core.model.metadata import weights_id
    assert payload["meta"].model_id == weights_id(shipped)                   # the id names the shipped weights


def test_weight_ema_follows_the_warm_up_formula():
    from aclnet_core.train.ema import WeightEMA
    model = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.constant_(model.weight, 0.0)
    ema = WeightEMA(model, decay=0.99)
    torch.nn.init.constant_(model.weight, 1.0)
    ema.update(model)                                   # first decay = min(0.99, 1/10) = 0.1
    assert ema.module.weight.item() == pytest.approx(0.9)
    ema.update(model)                                   # then 2/11
    assert ema.module.weight.item() == pytest.approx(0.9 * 2 / 11 + (1 - 2 / 11))
    with pytest.raises(ValueError):
        WeightEMA(model, decay=1.0)


@pytest.mark.parametrize("key,value", [("optim.label_smoothing", "0.9"), ("optim.ema", "1.0"), ("optim.ema", "-0.1")])
def test_regulariser_settings_out_of_range_are_user_errors(tmp_path, data, key, value):
    with pytest.raises(UserError, match=key):
        load_config(None, tiny_config(tmp_path, data, **{key: value}))


def test_ce_only_has_no_loss_state(tmp_path, data):
    cfg = load_config(None, tiny_config(tmp_path, data, **{"acl.enabled": "false", "optim.epochs": 1}))
    Trainer(cfg, progress=False).fit()
    assert load_checkpoint(tmp_path / "run" / "last.pt", full=True)["loss_state"] is None


def test_empty_split_and_bad_layout_are_user_errors(tmp_path, data):
    with pytest.raises(UserError, match="split"):
        Trainer(load_config(None, tiny_config(tmp_path, data, **{"data.val_split": "nope"})), progress=False)
    with pytest.raises(UserError):
        Trainer(load_config(None, tiny_config(tmp_path, data, **{"data.layout": "ntu25"})), progress=False)
    with pytest.raises(UserError, match="unknown config key"):
        load_config(None, ["optim.lrr=1"])


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], check=False, capture_output=True, text=True, timeout=300)


def test_cli_train_then_eval_and_ensemble(tmp_path, data):
    run = tmp_path / "cli"
    res = run_cli("train", "--data", str(data), "--layout", "kinect20", "--window", "8", "--epochs", "1",
                  "--batch-size", "4", "--out", str(run), "--no-progress", "--set", "acl.memory_size=8")
    assert res.returncode == 0, res.stderr
    res = run_cli("eval", str(run / "last.pt"), str(run / "last.pt"), "--weights", "2,1", "--clips", "2",
                  "--out", str(tmp_path / "ev"), "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["num_samples"] == 6 and len(out["streams"]) == 2
    saved = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert saved["top1"] == out["top1"]
    assert (tmp_path / "ev" / "confusion.png").stat().st_size > 1000 and saved["flip"] is False
    res = run_cli("eval", str(run / "last.pt"), "--clips", "2", "--flip", "--out", str(tmp_path / "ev2"))
    assert res.returncode == 0 and "2 clips + mirrored" in res.stdout, res.stderr
    assert json.loads((tmp_path / "ev2" / "results.json").read_text())["flip"] is True
    res = run_cli("eval", str(run / "last.pt"), "--clips", "2", "--yaw=-0.5,0.5", "--out", str(tmp_path / "ev3"))
    assert res.returncode == 0 and "turned [-0.5, 0.5] rad" in res.stdout, res.stderr
    assert json.loads((tmp_path / "ev3" / "results.json").read_text())["yaw"] == [-0.5, 0.5]
    for bad in ("--yaw=4", "--yaw=a,b"):
        res = run_cli("eval", str(run / "last.pt"), bad)
        assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr


def test_cli_bad_input_is_one_line(tmp_path, data):
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a pickle")
    for args in (["eval", str(tmp_path / "missing.pt"), "--data", str(data)],
                 ["train", "--data", str(bad), "--layout", "kinect20", "--epochs", "1"],
                 ["train", "--data", str(data), "--layout", "nope", "--epochs", "1"]):
        res = run_cli(*args)
        assert res.returncode == 2, (args, res.stderr)
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("error:"), res.stderr
        assert "Traceback" not in res.stderr


def test_eval_rejects_layout_mismatch(tmp_path, data):
    run = tmp_path / "cli"
    assert run_cli("train", "--data", str(data), "--layout", "kinect20", "--window", "8", "--epochs", "1",
                   "--batch-size", "4", "--out", str(run), "--no-progress", "--set", "acl.memory_size=8").returncode == 0
    other = make_pyskl(tmp_path / "coco.pkl", v=17)
    res = run_cli("eval", str(run / "last.pt"), "--data", str(other), "--layout", "coco17", "--clips", "1")
    assert res.returncode == 2 and "layout" in res.stderr


def test_init_from_a_checkpoint_copies_the_encoder_and_renews_a_different_head(tmp_path, data):
    from aclnet_core.train.trainer import init_from_checkpoint

    Trainer(load_config(None, tiny_config(tmp_path / "a", data)), progress=False).fit()
    source = tmp_path / "a" / "run" / "last.pt"
    weights = load_checkpoint(source, full=True)["model"]
    trainer = Trainer(load_config(None, tiny_config(tmp_path / "b", data, **{"init_from": str(source),
                                                                             "optim.epochs": 1})), progress=False)
    state = trainer.model.state_dict()
    assert all(torch.equal(state[k], weights[k]) for k in weights)        # same classes: everything copied
    assert trainer.meta.extra["init_from"] == str(source)
    source_id = load_checkpoint(source)["meta"].model_id
    assert source_id and trainer.meta.extra["init_from_model_id"] == source_id   # provenance of the start
    trainer.fit()
    resumed = Trainer(load_config(None, tiny_config(tmp_path / "b", data)), resume=tmp_path / "b" / "run" / "last.pt",
                      progress=False)
    assert resumed.meta.extra["init_from_model_id"] == source_id                   # kept across a resume

    from aclnet_core.model.encoder import ACLNet
    other = ACLNet(5, 20, 3, "lite")                                       # 5 classes: the head stays new
    fc_before = other.fc.weight.clone()
    copied, _ = init_from_checkpoint(other, source)
    assert copied == len(weights) - 2 and torch.equal(other.fc.weight, fc_before)
    assert torch.equal(other.state_dict()["data_bn.weight"], weights["data_bn.weight"])
    with pytest.raises(UserError, match="cannot initialise"):
        init_from_checkpoint(ACLNet(3, 25, 3, "lite"), source)             # another joint count


def test_root_motion_needs_data_with_image_landmarks(tmp_path, data):
    cfg = load_config(None, tiny_config(tmp_path, data, **{"preprocess.root_motion": "true"}))
    with pytest.raises(UserError, match="root_motion"):
        Trainer(cfg, progress=False)


def test_label_smoothing_reaches_the_loss(tmp_path, data, monkeypatch):
    import aclnet_core.train.trainer as trainer_module

    seen = []
    original = trainer_module.F.cross_entropy

    def spy(*args, **kwargs):
        seen.append(kwargs.get("label_smoothing"))
        return original(*args, **kwargs)

    monkeypatch.setattr(trainer_module.F, "cross_entropy", spy)
    cfg = load_config(None, tiny_config(tmp_path, data, **{"optim.label_smoothing": 0.1, "optim.epochs": 1}))
    Trainer(cfg, progress=False).fit()
    assert seen and set(seen) == {0.1}
