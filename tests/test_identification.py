"""Identification metrics (CMC / rank-1, mAP, TAR@FAR) and checkpoint evaluation on tiny generated data."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from aclnet_core.errors import UserError
from aclnet_core.eval import identification as ident
from aclnet_core.eval.identification import (
    cmc_curve,
    genuine_impostor_scores,
    identification_metrics,
    max_per_identity,
    mean_average_precision,
    roc_operating_point,
)

# 3 probes x 5 gallery samples, no ties. Gallery identities: [0, 1, 0, 2, 1]
SIM = np.array([
    [0.90, 0.80, 0.10, 0.30, 0.20],   # probe of 0: correct first           -> rank 1
    [0.70, 0.60, 0.20, 0.10, 0.50],   # probe of 1: 0.7 (id 0) before 0.6  -> rank 2
    [0.40, 0.30, 0.20, 0.10, 0.95],   # probe of 2: id 2 is last           -> rank 5
])
GALLERY = np.array([0, 1, 0, 2, 1])
PROBES = np.array([0, 1, 2])


def plain_ap(scores: np.ndarray, relevant: np.ndarray) -> float:
    """Average precision by hand: mean of precision@k over the ranks k of the relevant items."""
    order = np.argsort(-scores)
    hits, precisions = 0, []
    for k, j in enumerate(order, start=1):
        if relevant[j]:
            hits += 1
            precisions.append(hits / k)
    return float(np.mean(precisions))


def test_cmc_and_map_match_a_plain_computation():
    curve, missing = cmc_curve(SIM, GALLERY, PROBES)
    assert missing == 0
    assert curve.tolist() == pytest.approx([1 / 3, 2 / 3, 2 / 3, 2 / 3, 1.0])
    # by hand: probe 0 ranks [0,1,3,4,2] -> relevant at 1 and 5: (1/1 + 2/5) / 2 = 0.7
    #          probe 1 ranks [0,1,4,2,3] -> relevant at 2 and 3: (1/2 + 2/3) / 2
    #          probe 2 ranks [4,0,1,2,3] -> relevant at 5: 1/5
    expected = np.mean([0.7, (1 / 2 + 2 / 3) / 2, 1 / 5])
    assert mean_average_precision(SIM, GALLERY, PROBES) == pytest.approx(expected)
    assert expected == pytest.approx(np.mean([plain_ap(r, GALLERY == p) for r, p in zip(SIM, PROBES)]))


def test_random_cases_agree_with_plain_loops():
    rng = np.random.default_rng(5)
    gallery = rng.integers(0, 6, size=40)
    probes = rng.integers(0, 6, size=25)
    sim = rng.uniform(-1, 1, size=(25, 40))
    curve, _ = cmc_curve(sim, gallery, probes)
    rank1 = np.mean([gallery[np.argmax(row)] == p for row, p in zip(sim, probes) if (gallery == p).any()])
    assert curve[0] == pytest.approx(rank1)
    aps = [plain_ap(row, gallery == p) for row, p in zip(sim, probes) if (gallery == p).any()]
    assert mean_average_precision(sim, gallery, probes) == pytest.approx(np.mean(aps))


def test_probes_without_gallery_identity_are_left_out():
    curve, missing = cmc_curve(SIM, GALLERY, np.array([0, 1, 7]))
    assert missing == 1 and curve[0] == pytest.approx(0.5)
    with pytest.raises(UserError):
        cmc_curve(SIM[:1], GALLERY, np.array([9]))


def test_genuine_and_impostor_scores_use_the_best_sample_per_identity():
    genuine, impostor = genuine_impostor_scores(SIM, GALLERY, PROBES)
    assert genuine.tolist() == [0.90, 0.60, 0.10]                       # own identity, best sample
    assert sorted(impostor.tolist()) == sorted([0.80, 0.30, 0.70, 0.10, 0.40, 0.95])
    per_id = max_per_identity(SIM, GALLERY, 4)
    assert per_id[0].tolist() == [0.90, 0.80, 0.30, -np.inf]


def test_tar_at_far():
    genuine = np.array([0.9, 0.8, 0.7, 0.6])
    impostor = np.linspace(0.0, 0.65, 100)
    point = roc_operating_point(genuine, impostor, 0.01)
    assert point.tar == 0.75 and point.far == pytest.approx(0.01) and point.threshold == pytest.approx(0.65)
    assert roc_operating_point(genuine, impostor, 0.10).tar == 1.0
    assert roc_operating_point(genuine, impostor, 0.0).tar == 0.75


def test_identification_metrics_on_separable_embeddings():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(8, 32))
    g_lab, p_lab = np.repeat(np.arange(8), 3), np.repeat(np.arange(8), 2)
    g = centres[g_lab] + 0.1 * rng.normal(size=(24, 32))
    p = centres[p_lab] + 0.1 * rng.normal(size=(16, 32))
    result = identification_metrics(g, g_lab, p, p_lab, far=0.01)
    assert result.rank1 == 1.0 and result.mAP == 1.0 and result.tar_at_far == 1.0
    assert result.num_identities == 8 and result.num_probe == 16 and len(result.cmc) == 20
    shuffled = identification_metrics(g, rng.permutation(g_lab), p, p_lab, far=0.01)
    assert shuffled.rank1 < 0.6                                           # chance-like when labels are noise
    assert "rank-1 100.00%" in result.summary()


# --------------------------------------------------------------------------------------- with a checkpoint
def _tiny_checkpoint(tmp_path: Path) -> Path:
    from aclnet_core.model.checkpoint import save_checkpoint
    from aclnet_core.model.encoder import ACLNet
    from aclnet_core.model.metadata import ModelMetadata, weights_id

    torch.manual_seed(0)
    model = ACLNet(num_classes=3, num_joints=20, in_channels=3, preset="lite").eval()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    meta = ModelMetadata(task="gait", labels=["s1", "s2", "s3"], preset="lite", num_joints=20, in_channels=3,
                         embed_dim=model.embed_dim, preprocess={"layout": "kinect20", "window": 8},
                         model_id=weights_id(state))
    path = tmp_path / "gait.pt"
    save_checkpoint(path, {"meta": meta.to_dict(), "model": state})
    return path


def _sequences(split: str):
    from aclnet_core.data.sequence import SkeletonSequence

    rng = np.random.default_rng(0 if split == "train" else 1)
    seqs = []
    for subject in range(3):
        for rep in range(2):
            kp = rng.normal(0, 0.05, (1, 12, 20, 3)).astype(np.float32)
            kp[0, :, :, 1] += np.linspace(0, 1.7, 20)[None] * (1 + 0.1 * subject)
            seqs.append(SkeletonSequence(kp, subject, "kinect20", f"s{subject}_{split}_{rep}"))
    return seqs, ["s1", "s2", "s3"]


def test_evaluate_identification_embeds_like_the_app(tmp_path, monkeypatch):
    """The evaluation's embeddings are the runtime's embeddings of prepare_clip windows (train/serve match)."""
    from aclnet_core.data.preprocess import prepare_clip
    from aclnet_core.runtime.torch_runtime import TorchRuntime
    from aclnet_core.train import data_setup
    from aclnet_core.train.config import DataConfig

    monkeypatch.setattr(data_setup, "load_split", lambda data, split: _sequences(split))
    ckpt = _tiny_checkpoint(tmp_path)
    data = DataConfig(kind="synthetic", layout="kinect20")
    emb, labels, meta, _ = ident.embed_sequences(ckpt, data, "train", device="cpu")
    runtime = TorchRuntime.from_checkpoint(ckpt, device="cpu")
    seqs, _ = _sequences("train")
    x = np.stack([prepare_clip(s.keypoint, meta.preprocess_config()) for s in seqs])
    _, expected = runtime.infer(x)
    assert emb.shape == (6, meta.embed_dim) and labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert np.allclose(emb, expected, atol=1e-5)

    result = ident.evaluate_identification(ckpt, data, "train", "val", out_dir=tmp_path / "out", device="cpu")
    assert result.num_gallery == 6 and result.num_probe == 6 and result.num_identities == 3
    assert 0.0 <= result.rank1 <= 1.0 and result.extra["model_id"] == meta.model_id
    saved = json.loads((tmp_path / "out" / "identification.json").read_text())
    assert (tmp_path / "out" / "confusion.png").stat().st_size > 1000      # rank-1 confusion matrix
    assert saved["rank1"] == result.rank1 and saved["extra"]["probe_split"] == "val"

    from aclnet_core.model.checkpoint import load_checkpoint
    from app.gallery.matcher import resolve_threshold

    result.threshold = 0.8125
    ident.write_threshold(ckpt, result)
    written = load_checkpoint(ckpt)["meta"]
    assert written.model_id == meta.model_id                              # weights untouched
    assert resolve_threshold(None, written) == 0.8125                     # the app's default threshold now
    assert written.extra["identity_calibration"]["probe_split"] == "val"


def test_option_overrides_merge_into_the_checkpoints_data_options(tmp_path, monkeypatch, capsys):
    """`--option KEY=VALUE` (eval and identification) changes one data option and keeps the others."""
    from aclnet_core.eval.evaluate import data_config_for
    from aclnet_core.model.checkpoint import load_checkpoint, save_checkpoint
    from aclnet_core.train.config import TrainConfig, apply_overrides

    ckpt = _tiny_checkpoint(tmp_path)
    payload = load_checkpoint(ckpt, full=True)
    config = TrainConfig().to_dict()
    config["data"].update(kind="synthetic", layout="kinect20", options={"task": "gait", "seed": 0,
                                                                       "eval_identities": [192, 256]})
    save_checkpoint(ckpt, {"meta": payload["meta"].to_dict(), "model": payload["model"], "config": config})
    options = apply_overrides({}, ["eval_identities=[256, 320]", "seed=7"])
    data = data_config_for(ckpt, {"kind": None, "options": options})
    assert data.options == {"task": "gait", "seed": 7, "eval_identities": [256, 320]} and data.kind == "synthetic"
    other = data_config_for(ckpt, {"kind": "nw_ucla", "path": "x", "options": {"actions": [3]}})
    assert other.options == {"actions": [3]} and other.kind == "nw_ucla"  # another kind: stored options dropped

    seen = {}

    def fake_evaluate(path, overrides, *args, **kwargs):
        seen.update(overrides)
        raise UserError("stop here")

    monkeypatch.setattr(ident, "evaluate_identification", fake_evaluate)
    assert ident.main([str(ckpt), "--option", "seed=7"]) == 2
    assert seen["options"] == {"seed": 7} and "stop here" in capsys.readouterr().err
