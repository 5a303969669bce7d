"""`--epochs auto`: the step-budget rule, its small-set regularisation, and an exact resume of an auto run."""

import pytest
import torch

from aclnet_core.errors import UserError
from aclnet_core.model.checkpoint import load_checkpoint
from aclnet_core.train.budget import StepBudget, plan_schedule, resolve_auto, small_data_regularisation
from aclnet_core.train.config import load_config
from main import main
from tests.test_train import kill_and_resume, make_pyskl, tiny_config


@pytest.mark.parametrize(("clips", "batch", "ranks", "epochs", "per_epoch"), [
    (292, 16, 1, 158, 19),        # the 20-class Kinect set of issue 15: many short epochs
    (1020, 16, 1, 47, 64),        # NW-UCLA's training views
    (40_000, 16, 1, 20, 2500),    # a large set: the floor of 20 epochs
    (40, 16, 1, 300, 3),          # a tiny set: the ceiling of 300 epochs
    (1020, 16, 4, 188, 16),       # four ranks share an epoch
])
def test_plan_fixes_a_step_budget(clips, batch, ranks, epochs, per_epoch):
    plan = plan_schedule(clips, batch, ranks)
    assert (plan.epochs, plan.steps_per_epoch) == (epochs, per_epoch)
    assert plan.total_steps == epochs * per_epoch
    assert plan.warmup_epochs == pytest.approx(0.05 * epochs, abs=0.01)          # 5 % of the steps
    assert 0.99 <= plan.ema <= 0.9995


def test_ema_decay_follows_the_planned_steps():
    assert plan_schedule(1000, 10, budget=StepBudget(steps=3000)).ema == pytest.approx(1 - 1 / 300, abs=1e-5)
    assert plan_schedule(1000, 10, budget=StepBudget(steps=100, min_epochs=1)).ema == 0.99   # clamped
    with pytest.raises(UserError, match="cannot size"):
        plan_schedule(0, 16)


def test_resolve_auto_writes_concrete_values_and_the_plan():
    cfg = load_config(None, ["optim.epochs=auto", "optim.ema=auto", "optim.batch_size=16", "optim.auto_steps=600"])
    resolved, plan = resolve_auto(cfg, 300)
    assert resolved.optim.epochs == plan.epochs == 32 and resolved.optim.warmup_epochs == 1.6
    assert resolved.optim.ema == 0.99 and resolved.optim.auto_plan["num_train"] == 300
    assert resolved.optim.auto_plan["auto_steps"] == 600
    same, none = resolve_auto(load_config(None, ["optim.epochs=10"]), 300)
    assert none is None and same.optim.epochs == 10
    with pytest.raises(UserError, match="needs optim.epochs: auto"):
        resolve_auto(load_config(None, ["optim.ema=auto"]), 300)
    with pytest.raises(UserError, match="optim.epochs"):
        load_config(None, ["optim.epochs=often"])


def test_auto_adds_regularisation_only_where_the_user_said_nothing():
    cfg = load_config(None, ["optim.epochs=auto"])
    assert small_data_regularisation(cfg, set()) == ["optim.label_smoothing=0.1", "optim.ema=auto"]
    assert small_data_regularisation(cfg, {"optim.ema", "optim.label_smoothing"}) == []
    set_before = load_config(None, ["optim.epochs=auto", "optim.label_smoothing=0.2"])
    assert small_data_regularisation(set_before, set()) == ["optim.ema=auto"]


def test_cli_epochs_auto_stores_the_schedule_and_resumes_exactly(tmp_path, capsys):
    """An auto run killed during epoch 3 and resumed ends where the uninterrupted run ends."""
    data = make_pyskl(tmp_path / "tiny.pkl")            # 12 training clips, batch 4: 3 steps an epoch
    args = ["train", "--data", str(data), "--layout", "kinect20", "--train-split", "train", "--val-split", "val",
            "--window", "8", "--batch-size", "4", "--lr", "0.05", "--epochs", "auto", "--set", "optim.auto_steps=30",
            "--set", "acl.memory_size=8", "--set", "eval_interval=100", "--seed", "3", "--no-progress"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    assert "adds optim.label_smoothing=0.1, optim.ema=auto" in capsys.readouterr().err
    a = load_checkpoint(tmp_path / "a" / "last.pt", full=True)
    optim = a["config"]["optim"]
    assert optim["epochs"] == 20 and a["epoch"] == 20                  # 30 steps / 3 -> 10, raised to the floor
    assert optim["warmup_epochs"] == 1.0 and optim["label_smoothing"] == 0.1 and optim["ema"] == 0.99
    assert optim["auto_plan"]["num_train"] == 12 and optim["auto_plan"]["steps_per_epoch"] == 3

    cfg = load_config(None, tiny_config(tmp_path / "b", data, **{"optim.epochs": "auto", "optim.auto_steps": 30,
                      "optim.label_smoothing": 0.1, "optim.ema": "auto", "eval_interval": 100}))
    b = load_checkpoint(kill_and_resume(cfg, at_epoch=3), full=True)
    assert b["config"]["optim"] == optim and b["epoch"] == 20
    for key in a["model"]:
        assert torch.allclose(a["model"][key].float(), b["model"][key].float(), atol=1e-6), key


def test_train_limit_draws_the_same_stratified_clips_for_every_run():
    import numpy as np

    from aclnet_core.data.sequence import SkeletonSequence
    from aclnet_core.train.data_setup import limit_clips

    seqs = [SkeletonSequence(np.zeros((1, 4, 20, 3), np.float32), label, "kinect20", f"s{i}")
            for i, label in enumerate([0] * 60 + [1] * 30 + [2] * 10)]
    kept = limit_clips(seqs, 20)
    assert [s.label for s in kept].count(0) == 12 and [s.label for s in kept].count(1) == 6
    assert [s.label for s in kept].count(2) == 2 and len(kept) == 20
    assert [s.name for s in kept] == [s.name for s in limit_clips(seqs, 20)]            # fixed draw
    assert [s.name for s in kept] == sorted((s.name for s in kept), key=lambda n: int(n[1:]))  # original order
    assert limit_clips(seqs, 0) is seqs and limit_clips(seqs, 500) is seqs
    assert len(limit_clips(seqs, 2)) == 3                                                 # every class kept


def test_auto_notes_come_after_the_data_loaded(tmp_path, capsys):
    """The regularisation note of --epochs auto is printed once the data has loaded: bad input is one line."""
    data = make_pyskl(tmp_path / "tiny.pkl")
    args = ["train", "--data", str(data), "--layout", "kinect20", "--train-split", "train", "--val-split", "val",
            "--window", "8", "--batch-size", "4", "--epochs", "auto", "--set", "optim.auto_steps=6",
            "--set", "acl.memory_size=8", "--set", "eval_interval=100", "--no-progress", "--out", str(tmp_path / "r")]
    assert main(args[:3] + [str(tmp_path / "nosuch.pkl")] + args[4:]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1, err        # (a bad split: tests/test_bad_input.py)
    assert main(args) == 0
    assert "adds optim.label_smoothing=0.1, optim.ema=auto" in capsys.readouterr().err
