"""`eval --task identification`: person templates as the app enrols, conditions, and the CLI on tiny data."""

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from aclnet_core.errors import UserError
from aclnet_core.eval.id_protocol import EmbeddedSplit, IdProtocol, condition_names, gallery_templates, protocol_metrics
from main import main


def _unit(*rows) -> np.ndarray:
    x = np.asarray(rows, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _split(vectors, labels, names, split="val") -> EmbeddedSplit:
    windows = _unit(*vectors)[:, None, :]  # one window per sequence
    return EmbeddedSplit(windows, np.asarray(labels), list(names), [split] * len(names))


# Person 0 walked twice in different directions; person 1 once. The probe of person 0 resembles one walk only.
GALLERY = _split([(1, 0, 0), (0, 1, 0), (0.8, 0, 0.6)], [0, 0, 1], ["p0_a", "p0_b", "p1_a"], "train")
PROBE = _split([(0.95, 0.05, 0.3)], [0], ["p0_q"])


def test_person_templates_average_all_walks_and_walk_templates_keep_the_best():
    templates, owner = gallery_templates(GALLERY, "person")
    assert owner.tolist() == [0, 1] and np.allclose(templates[0], _unit((1, 1, 0))[0], atol=1e-6)
    walks, walk_owner = gallery_templates(GALLERY, "walk")
    assert walk_owner.tolist() == [0, 0, 1] and len(walks) == 3

    p = _unit((0.95, 0.05, 0.3))[0]
    person = protocol_metrics(GALLERY, PROBE, IdProtocol(templates="person"))
    walk = protocol_metrics(GALLERY, PROBE, IdProtocol(templates="walk"))
    # person mode: cos(p, (1,1,0)/sqrt 2) = 0.709 < cos(p, person 1) = 0.942 -> the probe ranks person 0 second
    assert p @ templates[0] < p @ templates[1]
    assert person.rank1 == 0.0 and person.rank5 == 1.0 and person.mAP == pytest.approx(0.5)
    # walk mode: person 0's best walk (0.952) beats person 1 (0.942)
    assert walk.rank1 == 1.0 and walk.mAP == 1.0
    assert person.num_gallery == 2 and walk.num_gallery == 3 and person.num_identities == 2
    assert person.extra["templates"] == "person" and "conditions" not in person.extra


def test_person_template_rejects_an_outlier_window_like_the_app():
    """Three windows of one walk with one pointing away: the enrolled template ignores it (build_template)."""
    windows = _unit((1, 0, 0), (0.99, 0.1, 0), (-1, 0.05, 0))[None]
    gallery = EmbeddedSplit(np.concatenate([windows, _unit((0, 0, 1), (0, 0.1, 1), (0, 0.05, 1))[None]]),
                            np.array([0, 1]), ["a", "b"], ["train", "train"])
    templates, _ = gallery_templates(gallery, "person")
    assert templates[0][0] > 0.99        # the mean with the outlier would point nowhere near (1, 0, 0)


def test_conditions_come_from_the_split_names_or_a_key():
    names = ["p0_nm_01", "p0_bg_01", "p1_nm_02", "p1_cl"]
    assert condition_names(names, ["a", "a", "b", "b"]) == ["a", "a", "b", "b"]
    assert condition_names(names, ["a"] * 4, r"_(nm|bg)_") == ["nm", "bg", "nm", "other"]
    assert condition_names(names, ["a"] * 4, r"nm|cl") == ["nm", "other", "nm", "cl"]  # no group: the match
    with pytest.raises(UserError, match="regular expression"):
        condition_names(names, ["a"] * 4, "(")


def test_per_condition_metrics_split_the_probes():
    gallery = _split([(1, 0, 0), (0, 1, 0), (0, 0, 1)], [0, 1, 2], ["g0", "g1", "g2"], "train")
    # condition 'easy': probes match their person; 'hard': each probe is closest to the next person
    probe = _split([(1, 0.1, 0), (0.1, 1, 0), (0.1, 0, 1), (0.2, 1, 0), (0, 0.2, 1), (1, 0, 0.2)],
                   [0, 1, 2, 0, 1, 2], ["easy_0", "easy_1", "easy_2", "hard_0", "hard_1", "hard_2"])
    result = protocol_metrics(gallery, probe, IdProtocol(condition_key=r"^(easy|hard)"))
    per = result.extra["conditions"]
    assert per["easy"]["rank1"] == 1.0 and per["hard"]["rank1"] == 0.0
    assert per["easy"]["num_probe"] == per["hard"]["num_probe"] == 3
    assert result.rank1 == pytest.approx(0.5) and per["hard"]["mAP"] == pytest.approx(0.5)


def test_protocol_refuses_inconsistent_settings():
    with pytest.raises(UserError, match="both gallery and probe"):
        IdProtocol(gallery_split="train", probe_splits=("train",))
    with pytest.raises(UserError, match="templates"):
        IdProtocol(templates="sample")


# ------------------------------------------------------------------------------------------ through the CLI
def _identity_pyskl(path: Path, people: int = 4, seed: int = 0) -> Path:
    """People differ by body height and which joints sway; walks in two conditions (nm, bg) per probe split."""
    rng = np.random.default_rng(seed)
    anns, split = [], {"gallery": [], "probe": [], "probe2": []}
    for person in range(people):
        for part, conds in (("gallery", ("nm", "nm")), ("probe", ("nm", "bg")), ("probe2", ("nm",))):
            for k, cond in enumerate(conds):
                t = 16
                kp = rng.normal(0, 0.02, (1, t, 20, 3)).astype(np.float32)
                kp[0, :, :, 1] += np.linspace(0, 1.0 + 0.3 * person, 20)[None]
                kp[0, :, 2 * person:2 * person + 4, 0] += np.sin(np.linspace(0, 6, t))[:, None]
                if cond == "bg":
                    kp[0, :, 8:12, 2] += 0.3          # a bag
                name = f"p{person}_{cond}_{part}{k}"
                anns.append({"frame_dir": name, "label": person, "keypoint": kp, "total_frames": t})
                split[part].append(name)
    path.write_bytes(pickle.dumps({"split": split, "annotations": anns}))
    return path


def _gait_checkpoint(tmp_path: Path) -> Path:
    from aclnet_core.model.checkpoint import save_checkpoint
    from aclnet_core.model.encoder import ACLNet
    from aclnet_core.model.metadata import ModelMetadata, weights_id

    torch.manual_seed(0)
    model = ACLNet(num_classes=4, num_joints=20, in_channels=3, preset="lite").eval()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    meta = ModelMetadata(task="gait", labels=[f"p{i}" for i in range(4)], preset="lite", num_joints=20,
                         in_channels=3, embed_dim=model.embed_dim, preprocess={"layout": "kinect20", "window": 8},
                         model_id=weights_id(state))
    path = tmp_path / "gait.pt"
    save_checkpoint(path, {"meta": meta.to_dict(), "model": state})
    return path


def test_eval_task_identification_reports_conditions_as_json(tmp_path, capsys):
    data = _identity_pyskl(tmp_path / "ids.pkl")
    ckpt = _gait_checkpoint(tmp_path)
    base = ["eval", str(ckpt), "--task", "identification", "--data", str(data), "--layout", "kinect20",
            "--gallery-split", "gallery", "--clips", "2", "--json"]
    assert main(base + ["--probe-split", "probe", "--condition-key", r"_(nm|bg)_", "--out", str(tmp_path / "o")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["num_gallery"] == 4 and out["num_probe"] == 8 and out["num_identities"] == 4
    assert set(out["extra"]["conditions"]) == {"nm", "bg"}
    assert sum(c["num_probe"] for c in out["extra"]["conditions"].values()) == 8
    assert out["extra"]["layout"] == "kinect20" and out["extra"]["templates"] == "person"
    assert 0.0 <= out["rank1"] <= out["rank5"] <= 1.0 and 0.0 <= out["eer"] <= 1.0
    saved = json.loads((tmp_path / "o" / "identification.json").read_text())
    assert saved["rank1"] == out["rank1"]

    assert main(base + ["--probe-split", "probe,probe2", "--templates", "walk"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert set(two["extra"]["conditions"]) == {"probe", "probe2"} and two["num_probe"] == 12
    assert two["extra"]["conditions"]["probe2"]["num_probe"] == 4 and two["num_gallery"] == 8


def test_identification_windows_are_the_evaluation_embeddings(tmp_path):
    """embed_splits (one window) gives the embeddings of embed_sequences, the runtime-checked path."""
    from aclnet_core.eval.id_protocol import embed_splits
    from aclnet_core.eval.identification import embed_sequences
    from aclnet_core.train.config import DataConfig

    data = DataConfig(kind="pyskl", path=str(_identity_pyskl(tmp_path / "ids.pkl")), layout="kinect20")
    ckpt = _gait_checkpoint(tmp_path)
    split, _ = embed_splits(ckpt, data, ("gallery",), clips=1, device="cpu")
    emb, labels, _, _ = embed_sequences(ckpt, data, "gallery", clips=1, device="cpu")
    assert np.allclose(split.windows[:, 0], emb, atol=1e-5) and split.labels.tolist() == labels.tolist()
    assert split.names[0] == "p0_nm_gallery0" and split.splits == ["gallery"] * 8
