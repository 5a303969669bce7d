"""Knowledge distillation (aclnet_core.train.distill) on a tiny generated pyskl pickle."""

import json

import numpy as np
import pytest
import torch

from aclnet_core.errors import UserError
from aclnet_core.model.checkpoint import load_checkpoint
from aclnet_core.model.presets import PRESETS
from aclnet_core.train import distill as distill_module
from aclnet_core.train.config import load_config
from aclnet_core.train.data_setup import load_split
from aclnet_core.train.distill import distill_loss, soft_targets, teacher_probs
from aclnet_core.train.trainer import Trainer
from tests.test_train import make_pyskl, run_cli, tiny_config


@pytest.fixture(scope="module")
def teachers(tmp_path_factory):
    """A joint and a bone teacher, one epoch each, on the same tiny data."""
    root = tmp_path_factory.mktemp("teachers")
    data = make_pyskl(root / "tiny.pkl")
    paths = []
    for modality in ("j", "b"):
        cfg = load_config(None, tiny_config(root / modality, data, **{"preprocess.modality": modality,
                                                                       "optim.epochs": 1}))
        Trainer(cfg, progress=False).fit()
        paths.append(root / modality / "run" / "last.pt")
    return data, paths


def test_soft_targets_are_the_weighted_mean_of_the_teachers_tempered_probabilities(teachers, tmp_path):
    data, (j, b) = teachers
    cfg = load_config(None, tiny_config(tmp_path, data, **{"distill.teachers": json.dumps([str(j), str(b)]),
                                                           "distill.weights": "[3, 1]", "distill.clips": 2}))
    seqs, labels = load_split(cfg.data, "train")
    targets, info = soft_targets(cfg.distill, seqs, labels, "kinect20")
    pj = teacher_probs(j, seqs, labels, "kinect20", 4.0, 2)
    pb = teacher_probs(b, seqs, labels, "kinect20", 4.0, 2)
    assert targets.shape == (len(seqs), 3)
    np.testing.assert_allclose(targets.numpy(), (3 * pj + pb) / 4, atol=1e-6)
    np.testing.assert_allclose(targets.sum(1).numpy(), 1.0, atol=1e-5)
    sharp = teacher_probs(j, seqs, labels, "kinect20", 1.0, 2)
    assert sharp.max(1).mean() > pj.max(1).mean()                        # a higher temperature softens
    ids = [load_checkpoint(p)["meta"].model_id for p in (j, b)]
    assert info["teacher_ids"] == ids and info["weights"] == [3.0, 1.0]
    assert 0.0 <= info["teacher_train_top1"] <= 1.0


def test_distill_loss_is_zero_at_the_target_and_positive_elsewhere():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    t = 4.0
    assert distill_loss(logits, (logits / t).softmax(-1), t).item() == pytest.approx(0.0, abs=1e-6)
    other = torch.tensor([[0.1, 0.8, 0.1], [0.8, 0.1, 0.1]])
    assert distill_loss(logits, other, t).item() > 0.1


def test_the_student_learns_what_the_teacher_says(teachers, tmp_path, monkeypatch):
    """alpha 1: only the soft targets teach. With targets that name a shifted class, the student predicts the
    shifted class on its training sequences, so the targets reach each sequence through the batch index."""
    from tests.test_learning import TINY, _overrides, make_separable_pyskl

    monkeypatch.setitem(PRESETS, "tiny", TINY)
    _, (j, _) = teachers
    data = make_separable_pyskl(tmp_path / "sep.pkl")
    cfg = load_config(None, _overrides(tmp_path, data, **{"distill.teachers": json.dumps([str(j)]),
                                                         "distill.alpha": 1.0, "distill.temperature": 1.0,
                                                         "distill.clips": 1}))
    trainer = Trainer(cfg, progress=False)
    y = torch.as_tensor(trainer.train_set.labels)
    shifted = (y + 1) % 3
    trainer.soft_targets = torch.nn.functional.one_hot(shifted, 3).float() * 0.97 + 0.01
    trainer.fit()
    model = trainer.eval_model.eval()
    from aclnet_core.data.dataset import SkeletonDataset
    clean = SkeletonDataset(trainer.train_set.sequences, trainer.preprocess, train=False)
    with torch.no_grad():
        pred = model(torch.stack([clean[i][0] for i in range(len(clean))])).logits.argmax(1)
    assert (pred == shifted).float().mean() >= 0.85
    assert (pred == y).float().mean() <= 0.1


def test_checkpoint_records_the_teachers_and_a_resume_reuses_the_cached_targets(teachers, tmp_path, monkeypatch):
    data, (j, b) = teachers
    extra = {"distill.teachers": json.dumps([str(j), str(b)]), "distill.clips": 1}
    cfg = load_config(None, tiny_config(tmp_path, data, **extra))
    first = Trainer(cfg, progress=False)
    first.fit()
    meta = load_checkpoint(cfg.run_dir / "last.pt")["meta"]
    assert meta.extra["distilled_from"]["teacher_ids"] == [load_checkpoint(p)["meta"].model_id for p in (j, b)]
    assert (cfg.run_dir / "teacher_targets.npz").is_file()

    def no_scoring(*args, **kwargs):
        raise AssertionError("the teachers were scored again")

    monkeypatch.setattr(distill_module, "teacher_probs", no_scoring)
    resumed = Trainer(cfg, resume=cfg.run_dir / "last.pt", progress=False)
    assert torch.equal(resumed.soft_targets, first.soft_targets)
    monkeypatch.undo()
    cache = cfg.run_dir / "teacher_targets.npz"
    for damage in (b"not an npz", None):                     # damaged, or an older cache without the fingerprint
        if damage is None:
            with np.load(cache) as f:
                np.savez(cache, **{k: f[k] for k in f.files if k != "data_key"})
        else:
            cache.write_bytes(damage)
        again = Trainer(cfg, resume=cfg.run_dir / "last.pt", progress=False)   # scored again, no traceback
        assert torch.allclose(again.soft_targets, first.soft_targets, atol=1e-6)
    monkeypatch.setattr(distill_module, "teacher_probs", no_scoring)
    other = make_pyskl(tmp_path / "other.pkl", seed=1)     # same names, labels and count, other clip lengths
    with pytest.raises(AssertionError, match="scored again"):  # the cache of other training data does not apply
        Trainer(load_config(None, tiny_config(tmp_path, other, **extra)), progress=False)


@pytest.mark.parametrize("key, value, words", [
    ("distill.weights", "[1, 2, 3]", "3 values for 1 teachers"),
    ("distill.alpha", "1.5", "distill.alpha"),
    ("distill.temperature", "0", "distill.temperature"),
    ("distill.clips", "0", "distill.clips"),
])
def test_bad_distill_settings_are_user_errors(teachers, tmp_path, key, value, words):
    data, (j, _) = teachers
    with pytest.raises(UserError, match=words):
        load_config(None, tiny_config(tmp_path, data, **{"distill.teachers": json.dumps([str(j)]), key: value}))


def test_a_teacher_of_other_classes_is_refused(teachers, tmp_path):
    _, (j, _) = teachers
    other = make_pyskl(tmp_path / "four.pkl", classes=4)
    cfg = load_config(None, tiny_config(tmp_path, other, **{"distill.teachers": json.dumps([str(j)])}))
    with pytest.raises(UserError, match="other classes"):
        Trainer(cfg, progress=False)


def test_a_teacher_of_other_input_channels_is_refused(teachers, tmp_path):
    data, (j, _) = teachers
    cfg = load_config(None, tiny_config(tmp_path, data, **{"distill.teachers": json.dumps([str(j)]), "data.dims": 2}))
    with pytest.raises(UserError, match="input channels"):
        Trainer(cfg, progress=False)


def test_cli_distill_flags(teachers, tmp_path):
    data, (j, b) = teachers
    res = run_cli("train", "--data", str(data), "--layout", "kinect20", "--window", "8", "--epochs", "1",
                  "--batch-size", "4", "--out", str(tmp_path / "s"), "--no-progress", "--set", "acl.memory_size=8",
                  "--distill", str(j), str(b), "--distill-weights", "2,1")
    assert res.returncode == 0, res.stderr
    stored = load_checkpoint(tmp_path / "s" / "last.pt", full=True)["config"]["distill"]
    assert stored["teachers"] == [str(j), str(b)] and stored["weights"] == [2.0, 1.0]
    for args in (["--distill", str(tmp_path / "missing.pt")], ["--distill-weights", "2,1"],
                 ["--distill", str(j), "--distill-weights", "2,1"]):
        res = run_cli("train", "--data", str(data), "--layout", "kinect20", "--epochs", "1", *args)
        assert res.returncode == 2, (args, res.stderr)
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("error:"), res.stderr


def test_online_teachers_score_the_same_frames_in_their_own_modality(teachers, tmp_path):
    """A joint and a bone teacher fed from the batch's joints give what each gives on its own clip of those frames."""
    from aclnet_core.data.dataset import SkeletonDataset
    from aclnet_core.train.distill import OnlineTeachers

    data, (j, b) = teachers
    cfg = load_config(None, tiny_config(tmp_path, data, **{"distill.teachers": json.dumps([str(j), str(b)]),
                                                           "distill.weights": "[3, 1]", "distill.online": "true"}))
    seqs, labels = load_split(cfg.data, "train")
    student = load_checkpoint(j)["meta"].preprocess_config()
    online = OnlineTeachers(cfg.distill, labels, student, 3, torch.device("cpu"))
    joints_set = SkeletonDataset(seqs, student, train=False, with_joints=True)
    joints = torch.stack([joints_set[i][2] for i in range(len(seqs))])
    got = online(joints).numpy()
    pj = teacher_probs(j, seqs, labels, "kinect20", 4.0, 1)
    pb = teacher_probs(b, seqs, labels, "kinect20", 4.0, 1)
    np.testing.assert_allclose(got, (3 * pj + pb) / 4, atol=1e-5)
    assert not np.allclose(pj, pb, atol=1e-3)                    # the bone teacher really saw bones


def test_online_distillation_scores_every_training_batch(teachers, tmp_path, monkeypatch):
    data, (j, b) = teachers
    cfg = load_config(None, tiny_config(tmp_path, data, **{"distill.teachers": json.dumps([str(j), str(b)]),
                                                           "distill.online": "true", "optim.epochs": 2}))
    trainer = Trainer(cfg, progress=False)
    calls = []
    real = trainer.online_teachers.__call__
    monkeypatch.setattr(trainer, "online_teachers", lambda joints: calls.append(joints.shape) or real(joints))
    trainer.fit()
    assert len(calls) == 2 * trainer.iters_per_epoch
    assert all(shape[1:] == trainer.train_set[0][0].shape for shape in calls)
    extra = load_checkpoint(cfg.run_dir / "last.pt")["meta"].extra["distilled_from"]
    assert extra["online"] is True and extra["teacher_ids"] == [load_checkpoint(p)["meta"].model_id for p in (j, b)]
    assert not (cfg.run_dir / "teacher_targets.npz").exists()


@pytest.mark.parametrize("key, value, words", [("preprocess.window", "12", "differs in window"),
                                               ("data.dims", "2", "input channels")])
def test_online_teachers_of_other_preprocessing_are_refused(teachers, tmp_path, key, value, words):
    data, (j, _) = teachers
    cfg = load_config(None, tiny_config(tmp_path, data, **{"distill.teachers": json.dumps([str(j)]),
                                                           "distill.online": "true", key: value}))
    with pytest.raises(UserError, match=words):
        Trainer(cfg, progress=False)


def test_online_setting_and_flag(teachers, tmp_path):
    data, (j, _) = teachers
    with pytest.raises(UserError, match="distill.online"):
        load_config(None, tiny_config(tmp_path, data, **{"distill.teachers": json.dumps([str(j)]),
                                                         "distill.online": "3"}))
    res = run_cli("train", "--data", str(data), "--layout", "kinect20", "--window", "8", "--epochs", "1",
                  "--batch-size", "4", "--out", str(tmp_path / "s"), "--no-progress", "--set", "acl.memory_size=8",
                  "--distill", str(j), "--distill-online")
    assert res.returncode == 0, res.stderr
    assert load_checkpoint(tmp_path / "s" / "last.pt", full=True)["config"]["distill"]["online"] is True
    res = run_cli("train", "--data", str(data), "--layout", "kinect20", "--epochs", "1", "--distill-online")
    assert res.returncode == 2 and res.stderr.startswith("error:") and res.stderr.count("\n") == 1, res.stderr


def test_online_refuses_a_missing_teacher_and_one_that_reads_scores(teachers, tmp_path):
    data, _ = teachers
    online = {"distill.online": "true"}
    cfg = load_config(None, tiny_config(tmp_path, data, **online,
                                        **{"distill.teachers": json.dumps([str(tmp_path / "gone.pt")])}))
    with pytest.raises(UserError, match="teacher not found"):
        Trainer(cfg, progress=False)
    scored = {"preprocess.use_score": "true"}
    teacher_cfg = load_config(None, tiny_config(tmp_path / "t", data, **scored, **{"optim.epochs": 1}))
    Trainer(teacher_cfg, progress=False).fit()
    cfg = load_config(None, tiny_config(tmp_path / "s", data, **scored, **online,
                                        **{"distill.teachers": json.dumps([str(teacher_cfg.run_dir / "last.pt")])}))
    with pytest.raises(UserError, match="differs in use_score"):
        Trainer(cfg, progress=False)
