"""--data names the dataset: without --kind its own kind is used, never the config template's or the
checkpoint's, and the template's options of another kind are dropped."""

from pathlib import Path

import numpy as np

from aclnet_core.data.pyskl import pyskl_label_names
from main import build_parser, train_config

ROOT = Path(__file__).resolve().parents[1]


def test_train_data_pkl_with_a_synthetic_template(tmp_path, capsys):
    args = build_parser().parse_args(["train", "--config", str(ROOT / "configs" / "synthetic_action_lite.yaml"),
                                      "--data", str(tmp_path / "d.pkl"), "--layout", "ntu25"])
    cfg = train_config(args)
    assert cfg.data.kind == "pyskl" and cfg.data.options == {} and cfg.data.layout == "ntu25"
    assert "dropped the config's synthetic options" in capsys.readouterr().err


def test_train_explicit_kind_wins(tmp_path):
    args = build_parser().parse_args(["train", "--data", str(tmp_path), "--kind", "nw_ucla"])
    assert train_config(args).data.kind == "nw_ucla"


def test_train_flags_for_threads_and_eval_interval():
    args = build_parser().parse_args(["train", "--threads", "2", "--eval-interval", "5", "--set",
                                      "preprocess.use_score=true"])
    cfg = train_config(args)
    assert cfg.threads == 2 and cfg.eval_interval == 5 and cfg.preprocess.use_score is True


def test_label_names_come_from_the_data_when_it_has_them():
    anns = [{"frame_dir": "a", "label": 1, "label_name": "wave", "keypoint": np.zeros((1, 2, 20, 3))},
            {"frame_dir": "b", "label": 0, "label_name": "sit", "keypoint": np.zeros((1, 2, 20, 3))}]
    assert pyskl_label_names({"split": {}, "annotations": anns}) == ["sit", "wave"]
    assert pyskl_label_names({"split": {}, "annotations": anns, "label_names": ["x", "y"]}) == ["x", "y"]
    plain = [{k: v for k, v in a.items() if k != "label_name"} for a in anns]
    assert pyskl_label_names({"split": {}, "annotations": plain}) == ["class_0", "class_1"]
