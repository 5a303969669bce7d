"""Every subcommand meets bad input with one `error: …` line on stderr and exit code 2: no traceback, no hang,
no exit 0, and no file it was given is changed.

Each case runs `main.main(argv)` in-process in a fresh folder of input files (`{name}` in argv is a path in
it); after the call every file that was there before is byte-identical. A few cases run as real processes.
"""

import hashlib
import json
import pickle
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from main import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "assets" / "models"


def _make_inputs(folder: Path) -> None:
    """The input files the cases refer to."""
    rng = np.random.default_rng(0)
    anns = [{"frame_dir": f"s{i}", "label": i % 2, "keypoint": rng.normal(size=(1, 12, 20, 3)).astype(np.float32),
             "total_frames": 12} for i in range(6)]
    (folder / "tiny.pkl").write_bytes(pickle.dumps({"split": {"train": ["s0", "s1", "s2", "s3"],
                                                              "val": ["s4", "s5"]}, "annotations": anns}))
    bad = [dict(a) for a in anns]
    bad[2]["keypoint"] = bad[2]["keypoint"].copy()
    bad[2]["keypoint"][0, 3, 4, 1] = np.nan
    (folder / "nan.pkl").write_bytes(pickle.dumps({"split": {"train": ["s0", "s1", "s2", "s3"],
                                                             "val": ["s4", "s5"]}, "annotations": bad}))
    huge = [dict(a) for a in anns]
    huge[0]["label"] = 10**9
    (folder / "huge_label.pkl").write_bytes(pickle.dumps({"split": {"train": ["s0", "s1"], "val": ["s4"]},
                                                          "annotations": huge}))
    shutil.copy(MODELS / "action.pt", folder / "model.pt")
    (folder / "model.onnx").write_bytes(b"an existing file that a default export must not replace")
    (folder / "clip.mp4").write_bytes(b"not really a video, but an input all the same")
    (folder / "notes.txt").write_text("a file where a folder is expected\n")
    (folder / "empty.sqlite").write_bytes(b"")
    conn = sqlite3.connect(folder / "foreign.db")
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    from app.gallery.store import GalleryStore
    GalleryStore(folder / "gallery.sqlite").close()
    from app.actions.library import ActionLibrary
    ActionLibrary(folder / "actions.sqlite").close()
    np.savez(folder / "nobody.npz", keypoint=np.zeros((1, 60, 33, 3), np.float32), label_name=np.asarray("x"),
             layout=np.asarray("mediapipe33"), fps=np.asarray(30.0))
    nested = "[" * 100_000 + "]" * 100_000
    (folder / "nested.json").write_text(nested)
    (folder / "huge_version.json").write_text('{"format": "aclnet-live-gallery", "version": 1e999, "persons": []}')
    for name, fps in (("fps0", 0.0), ("fpsnan", float("nan"))):
        np.savez(folder / f"{name}.npz", keypoint=np.zeros((1, 20, 33, 3), np.float32), label_name=np.asarray("walk"),
                 layout=np.asarray("mediapipe33"), fps=np.asarray(fps))


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


G = ["gallery", "--gallery", "{gallery.sqlite}"]
A = ["actions"]  # the subcommand; each case adds the action library (ACLNET_ACTIONS, set per test)
TRAIN = ["train", "--data", "{tiny.pkl}", "--layout", "kinect20", "--train-split", "train", "--val-split", "val",
         "--out", "{run}", "--no-progress"]

# (subcommand, argv, words the error must contain)
CASES = [
    ("main", ["bogus"], "invalid choice"),
    ("gui", ["gui", "{missing.mp4}"], "not found"),
    ("gui", ["gui", "synthetic:abc"], "seed"),
    # annotate
    ("annotate", ["annotate", "synthetic:abc"], "seed"),
    ("annotate", ["annotate", "synthetic:-1"], "seed"),
    ("annotate", ["annotate", "--demo", "--threshold", "2"], "--threshold"),
    ("annotate", ["annotate", "--demo", "--threshold", "nan"], "finite"),
    ("annotate", ["annotate", "--demo", "--threshold-label", "1.5"], "--threshold-label"),
    ("annotate", ["annotate", "--demo", "--backend", "bogus"], "unknown backend"),
    ("annotate", ["annotate", "--demo", "--max-frames", "0"], "--max-frames"),
    ("annotate", ["annotate", "{clip.mp4}", "-o", "{clip.mp4}"], "refusing to write"),
    ("annotate", ["annotate", "{clip.mp4}", "-o", "{clip.mp4}/../clip.mp4"], "refusing to write"),
    ("annotate", ["annotate", "{fps0.npz}", "-o", "{out.mp4}"], "fps"),
    ("annotate", ["annotate", "{fpsnan.npz}", "-o", "{out.mp4}"], "fps"),
    ("annotate", ["annotate", "--demo", "-o", "{out.mp4}", "--model", str(MODELS / "gait.onnx"),
                  "--backend", "onnxruntime-cpu"], "gait model"),
    # train
    ("train", ["train", "--lr", "nan"], "--lr"),
    ("train", ["train", "--lr", "-1"], "--lr"),
    ("train", ["train", "--batch-size", "0"], "--batch-size"),
    ("train", ["train", "--batch-size", "-4"], "--batch-size"),
    ("train", ["train", "--window", "100000"], "--window"),
    ("train", ["train", "--epochs", "1e3"], "--epochs"),
    ("train", ["train", "--set", "optim.lr=nan"], "optim.lr"),
    ("train", ["train", "--set", "preprocess.window=100000"], "preprocess.window"),
    ("train", TRAIN[:6] + ["nosuch"] + TRAIN[7:], "nosuch"),
    ("train", ["train", "--data", "{nan.pkl}"] + TRAIN[3:], "'s2' has NaN"),
    ("train", ["train", "--data", "{huge_label.pkl}"] + TRAIN[3:], "label 1000000000"),
    ("train", ["train", "--config", str(ROOT / "configs" / "synthetic_action_lite.yaml"), "--train-split",
               "nosuch", "--out", "{run}"], "nosuch"),
    ("train", ["train", "--resume", "{missing.pt}"], "not found"),
    ("train", ["train", "--epochs", "sometimes"], "--epochs"),
    ("train", ["train", "--epochs", "0"], "--epochs"),
    ("train", ["train", "--set", "optim.epochs=often"], "optim.epochs"),
    ("train", ["train", "--set", "optim.auto_steps=0"], "optim.auto_steps"),
    ("train", TRAIN + ["--set", "optim.ema=auto"], "needs optim.epochs: auto"),
    ("train", TRAIN + ["--epochs", "auto", "--train-split", "nosuch"], "nosuch"),
    ("train", ["train", "--set", "data.dims=4"], "data.dims"),
    ("train", TRAIN + ["--set", "data.dims=1"], "data.dims"),
    ("train", ["train", "--set", "data.train_limit=-1"], "data.train_limit"),
    # eval
    ("eval", ["eval", "{model.pt}", "--weights", "nan"], "--weights"),
    ("eval", ["eval", "{model.pt}", "--weights", "-1"], "--weights"),
    ("eval", ["eval", "{model.pt}", "--weights", "0"], "--weights"),
    ("eval", ["eval", "{model.pt}", "--clips", "0"], "--clips"),
    ("eval", ["eval", "{model.pt}", "--option", "seed=abc"], "seed"),
    ("eval", ["eval", "{model.pt}", "--out", "{notes.txt}"], "not a folder"),
    ("eval", ["eval", "{model.pt}", "--data", "{tiny.pkl}"], "joints"),        # reads tiny.pkl as pyskl
    ("eval", ["eval", "{missing.pt}"], "not found"),
    ("eval", ["eval", "{model.pt}", "--task", "bogus"], "--task"),
    ("eval", ["eval", "{model.pt}", "--templates", "person"], "needs --task identification"),
    ("eval", ["eval", "{model.pt}", "--gallery-split", "train"], "needs --task identification"),
    ("eval", ["eval", "{model.pt}", "--task", "identification", "--templates", "sample"], "--templates"),
    ("eval", ["eval", "{model.pt}", "--task", "identification", "--probe-split", "a,,b"], "--probe-split"),
    ("eval", ["eval", "{model.pt}", "--task", "identification", "--probe-split", "a,a"], "repeated"),
    ("eval", ["eval", "{model.pt}", "--task", "identification", "--condition-key", "("], "regular expression"),
    ("eval", ["eval", "{model.pt}", "--task", "identification", "--far", "0"], "--far"),
    ("eval", ["eval", "{model.pt}", "--task", "identification", "--far", "nan"], "--far"),
    ("eval", ["eval", "{model.pt}", "--task", "identification", "--gallery-split", "val"], "both gallery and probe"),
    ("eval", ["eval", "{model.pt}", "{model.pt}", "--task", "identification"], "one checkpoint"),
    ("eval", ["eval", "{model.pt}", "--task", "identification", "--weights", "1"], "--weights"),
    ("eval", ["eval", "{model.pt}", "--task", "identification", "--yaw=0.5"], "--yaw"),
    ("eval", ["eval", "{model.pt}", "--yaw=9"], "--yaw"),
    ("eval", ["eval", "{model.pt}", "--yaw=nan"], "--yaw"),
    ("eval", ["eval", "{model.pt}", "--task", "identification", "--data", "{tiny.pkl}"], "joints"),
    # export
    ("export", ["export", "{model.pt}", "--format", "checkpoint", "-o", "{model.pt}"], "refusing to write"),
    ("export", ["export", "{model.pt}", "-o", "{model.pt}"], "refusing to write"),
    ("export", ["export", "{model.pt}"], "exists"),                   # model.onnx is there: not replaced
    ("export", ["export", "{model.pt}", "--format", "tensorrt"], "model.onnx exists"),   # its ONNX step neither
    ("export", ["export", "{model.pt}", "--opset", "99"], "--opset"),
    ("export", ["export", "{model.pt}", "--max-batch", "0"], "--max-batch"),
    ("export", ["export", "{missing.pt}", "-o", "{x.onnx}"], "not found"),
    # bench
    ("bench", ["bench", "--iters", "0"], "--iters"),
    ("bench", ["bench", "--fps", "inf"], "--fps"),
    ("bench", ["bench", "--seconds", "nan"], "--seconds"),
    ("bench", ["bench", "--source", "synthetic:abc"], "seed"),
    ("bench", ["bench", "--model", "{model.pt}", "--backend", "bogus"], "unknown backend"),
    ("bench", ["bench", "--model", "{model.pt}", "--batches", "0"], "--batches"),
    ("bench", ["bench", "--vs-baseline"], "--preset"),
    ("bench", ["bench", "--vs-baseline", "--preset", "huge"], "invalid choice"),
    ("bench", ["bench", "--vs-baseline", "--preset", "lite", "--backend", "tensorrt"], "torch or onnxruntime-cpu"),
    ("bench", ["bench", "--vs-baseline", "--preset", "lite", "--backend", "torch,onnxruntime-cpu"], "one --backend"),
    ("bench", ["bench", "--vs-baseline", "--preset", "lite", "--window", "0"], "--window"),
    ("bench", ["bench", "--vs-baseline", "--preset", "lite", "--joints", "x"], "--joints"),
    ("bench", ["bench", "--vs-baseline", "--preset", "lite", "--model", "{model.pt}"], "not both"),
    ("bench", ["bench", "--vs-baseline", "--model", "{model.onnx}"], ".pt checkpoint"),
    ("bench", ["bench", "--vs-baseline", "--model", "{missing.pt}"], "not found"),
    ("bench", ["bench", "--vs-baseline", "--model", "{model.pt}", "--joints", "20"], "contradicts"),
    # gallery
    ("gallery enroll", G + ["enroll", "ann", "demo", "--seconds", "inf"], "--seconds"),
    ("gallery enroll", G + ["enroll", "ann", "demo", "--seconds", "nan"], "--seconds"),
    ("gallery enroll", G + ["enroll", "ann", "demo", "--start", "1e9"], "--start"),
    ("gallery enroll", G + ["enroll", "ann", "demo", "--start", "nan"], "--start"),
    ("gallery enroll", G + ["enroll", "ann", "demo", "--per-template", "-3"], "--per-template"),
    ("gallery enroll", G + ["enroll", "ann", "synthetic", "--start", "86400", "--backend", "onnxruntime-cpu"],
     "without an end"),
    ("gallery enroll", G + ["enroll", "ann", "demo", "--start", "86400", "--backend", "onnxruntime-cpu"],
     "past the end"),
    ("gallery enroll", G + ["enroll", "ann", "{fps0.npz}", "--backend", "onnxruntime-cpu"], "fps"),
    ("gallery enroll", G + ["enroll", "ann", "synthetic:abc"], "seed"),
    ("gallery enroll", G + ["enroll", "ann", "demo", "--backend", "bogus"], "unknown backend"),
    ("gallery enroll", G + ["enroll", "ann", "demo", "--gait-model", str(MODELS / "action.onnx"),
                            "--backend", "onnxruntime-cpu"], "action model"),
    ("gallery identify", G + ["identify", "demo", "--seconds", "inf"], "--seconds"),
    ("gallery identify", G + ["identify", "demo", "--threshold", "2"], "--threshold"),
    ("gallery identify", G + ["identify", "demo", "--threshold", "nan"], "--threshold"),
    ("gallery list", ["gallery", "--gallery", "{foreign.db}", "list"], "not a gallery"),
    ("gallery list", ["gallery", "--gallery", "{empty.sqlite}", "list"], "empty file"),
    ("gallery list", ["gallery", "--gallery", "{notes.txt}", "list"], "not a gallery"),
    ("gallery rename", G + ["rename", "nobody", "somebody"], "nobody"),
    ("gallery remove", G + ["remove", "nobody"], "nobody"),
    ("gallery export", G + ["export", "{gallery.sqlite}"], "refusing to write"),
    ("gallery import", G + ["import", "{nested.json}"], "not a gallery export"),
    ("gallery import", G + ["import", "{huge_version.json}"], "version"),
    ("gallery import", ["gallery", "--gallery", "{foreign.db}", "import", "{huge_version.json}"], "not a gallery"),
    # actions (custom actions)
    ("actions add", A + ["add", "x", "demo", "--start", "nan"], "--start"),
    ("actions add", A + ["add", "x", "demo", "--end", "-1"], "--end"),
    ("actions add", A + ["add", "x", "demo", "--start", "5", "--end", "2"], "--end"),
    ("actions add", A + ["add", "x", "demo", "--track", "-1"], "--track"),
    ("actions add", A + ["add", "x", "{missing.mp4}"], "not found"),
    ("actions add", A + ["add", "x", "synthetic:abc"], "seed"),
    ("actions add", A + ["add", "x", "{nobody.npz}", "--backend", "onnxruntime-cpu"], "no person"),
    ("actions add", A + ["add", "", "demo"], "name"),
    ("actions add", A + ["add", "x", "demo", "--append"], "no action named"),
    ("actions add", ["actions", "add", "x", "demo", "--actions", "{gallery.sqlite}"], "not an action library"),
    ("actions add", ["actions", "add", "x", "demo", "--actions", "{foreign.db}"], "not an action library"),
    ("actions list", ["actions", "list", "--actions", "{empty.sqlite}"], "empty file"),
    ("actions rename", A + ["rename", "a", "b"], "no action named"),
    ("actions remove", A + ["remove", "a"], "no action named"),
    ("actions export", A + ["export", "{actions.sqlite}"], "refusing to write"),
    ("actions import", A + ["import", "{nested.json}"], "not an action library export"),
    ("actions import", A + ["import", "{huge_version.json}"], "not an ACLNet Live action library export"),
    ("actions eval", A + ["eval"], "empty"),
    ("annotate", ["annotate", "demo", "--actions", "{actions.sqlite}", "--actions-threshold", "inf"],
     "--actions-threshold"),
    ("annotate", ["annotate", "demo", "--actions-threshold", "0.9"], "needs --actions"),
    # record
    ("record", ["record", "synthetic:abc", "--label", "a", "-o", "{rec}"], "seed"),
    ("record", ["record", "demo", "--label", "a", "-o", "{rec}", "--fps", "0"], "--fps"),
    ("record", ["record", "demo", "--label", "a", "-o", "{rec}", "--seconds", "inf"], "--seconds"),
    ("record", ["record", "demo", "--label", "a", "-o", "{rec}", "--min-frames", "0"], "--min-frames"),
    # synth
    ("synth", ["synth", "--preview", "{p.mp4}", "--count", "0"], "--count"),
    ("synth", ["synth", "--preview", "{p.mp4}", "--size", "0x0"], "--size"),
    ("synth", ["synth", "--preview", "{p.mp4}", "--seed", "-1"], "--seed"),
]


def _fill(argv: list[str], folder: Path) -> list[str]:
    out = []
    for arg in argv:
        if arg.startswith("{") and "}" in arg:
            name, rest = arg[1:].split("}", 1)
            arg = str(folder / name) + rest
        out.append(arg)
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    _make_inputs(folder)
    return folder


@pytest.fixture
def workdir(inputs, tmp_path) -> Path:
    folder = tmp_path / "w"
    shutil.copytree(inputs, folder)
    return folder


@pytest.mark.parametrize(("command", "argv", "words"), CASES, ids=[f"{c[0]}:{' '.join(c[1][-3:])}" for c in CASES])
def test_bad_input_is_one_line_error(workdir, capsys, monkeypatch, command, argv, words):
    monkeypatch.setenv("ACLNET_GALLERY", str(workdir / "default_gallery.sqlite"))
    monkeypatch.setenv("ACLNET_ACTIONS", str(workdir / "actions.sqlite"))
    before = _snapshot(workdir)
    code = main(_fill(argv, workdir))
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error:") and err.count("\n") == 1, err
    assert "Traceback" not in err and words in err, err
    after = _snapshot(workdir)
    assert {k: v for k, v in after.items() if k in before} == before      # no input changed
    assert not [k for k in after if k.endswith(".part") or ".part." in k]  # no temp file left


def test_every_subcommand_has_cases():
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices
    covered = {c[0] for c in CASES}
    assert set(sub) <= covered | {"gallery", "actions"}
    gallery_actions = sub["gallery"]._subparsers._group_actions[0].choices
    assert {f"gallery {a}" for a in gallery_actions if a != "enrol"} <= covered
    custom_actions = sub["actions"]._subparsers._group_actions[0].choices
    assert {f"actions {a}" for a in custom_actions} <= covered


@pytest.mark.parametrize("argv", [
    ["gallery", "--gallery", "{gallery.sqlite}", "enroll", "ann", "demo", "--seconds", "inf"],
    ["annotate", "{clip.mp4}", "-o", "{clip.mp4}"],
    ["train", "--lr", "nan"],
])
def test_bad_input_as_a_process(workdir, argv):
    """The real entry point: exit status 2, one stderr line, nothing on stdout, within seconds (no hang)."""
    before = _snapshot(workdir)
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), *_fill(argv, workdir)], capture_output=True,
                         text=True, timeout=120, check=False)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith("error:") and res.stderr.count("\n") == 1, res.stderr
    assert _snapshot(workdir) == before


def test_gallery_import_of_huge_version_is_json_parsable():
    """The file of the 1e999 case is valid JSON whose version parses to infinity (OverflowError before)."""
    assert json.loads('{"version": 1e999}')["version"] == float("inf")


def test_enrol_from_a_missing_source_creates_no_gallery(workdir, capsys):
    gallery = workdir / "new.sqlite"
    argv = ["gallery", "--gallery", str(gallery), "enroll", "ann", str(workdir / "missing.mp4"),
            "--backend", "onnxruntime-cpu"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1 and "missing.mp4" in err, err
    assert not gallery.exists()
