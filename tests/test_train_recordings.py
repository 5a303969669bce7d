"""record -> train -> annotate on a folder of recordings: kind inference, split by video, small-data defaults."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from recording_fixtures import write_action_recording

from aclnet_core.data.loaders import DatasetSpec, load_dataset
from aclnet_core.data.recording_split import resample_time, source_of, split_by_source

ROOT = Path(__file__).resolve().parents[1]
MAIN = str(ROOT / "main.py")


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, MAIN, *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, check=False)


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- record-train.*?```bash\n(.*?)```", text, re.DOTALL).group(1)
    return [shlex.split(line.split("#")[0]) for line in block.splitlines() if line.strip()]


def test_source_of_strips_track_and_stamp():
    assert source_of("d/clap/walk-20260101-101010-track3.npz") == "walk"
    assert source_of("camera0-20260101-101010-track1.npz") == "camera0-20260101-101010"
    assert source_of("x.npz") == "x"


def test_split_by_source_keeps_videos_whole_and_is_seeded():
    files = [f"v{v}-20260101-000000-track{t}.npz" for v in range(10) for t in range(3)]
    labels = ["a" if v < 5 else "b" for v in range(10) for _ in range(3)]
    split = split_by_source(files, labels, seed=3)
    assert split.held_out and split.val
    train_videos = {source_of(files[i]) for i in split.train}
    val_videos = {source_of(files[i]) for i in split.val}
    assert not train_videos & val_videos
    assert {labels[i] for i in split.train} == {"a", "b"}
    assert split == split_by_source(list(reversed(files))[::-1], labels, seed=3)
    one_each = split_by_source(["a.npz", "b.npz"], ["a", "b"])
    assert not one_each.held_out and one_each.val == one_each.train == [0, 1]


def test_resample_time_keeps_the_span():
    kp = np.arange(31, dtype=np.float32)[None, :, None, None] * np.ones((1, 31, 2, 3), np.float32)
    out, _ = resample_time(kp, None, 30.0, 15.0)
    assert out.shape == (1, 16, 2, 3) and out[0, -1, 0, 0] == pytest.approx(30.0)


def test_folder_without_splits_is_split_by_video(tmp_path):
    for label in ("clap", "kick"):
        for v in range(3):
            write_action_recording(tmp_path / label / f"{label}{v}-20260101-000000-track1.npz", label, seed=v, frames=40)
    train = load_dataset(DatasetSpec("recordings", str(tmp_path), "train", "mediapipe33", options={"fps": 15.0}))
    val = load_dataset(DatasetSpec("recordings", str(tmp_path), "val", "mediapipe33", options={"fps": 15.0}))
    assert train.label_names == val.label_names == ["clap", "kick"]
    assert len(train.sequences) == 4 and len(val.sequences) == 2
    assert {s.name for s in train.sequences}.isdisjoint({s.name for s in val.sequences})
    assert train.sequences[0].keypoint.shape[1] == 20  # 40 frames at 30 fps -> 20 at 15


def test_train_guesses_recordings_and_refuses_one_action(tmp_path):
    write_action_recording(tmp_path / "recs" / "clap" / "a-20260101-000000-track1.npz", "clap", seed=1, frames=40)
    r = run(["train", "--data", "recs", "--layout", "mediapipe33"], tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "actions add clap" in r.stderr and "NW-UCLA" not in r.stderr


def test_readme_record_train_annotate_verbatim(tmp_path):
    """The README's record -> train -> annotate lines, as written (the clips are generated recordings)."""
    commands = readme_commands()
    assert [c[2] for c in commands] == ["record", "record", "train", "annotate"]
    for name, action, seed in (("clap.mp4", "clap", 1), ("kick.mp4", "kick", 2)):
        write_action_recording(tmp_path / f"{action}.npz", action, seed=seed, frames=120)
    write_action_recording(tmp_path / "test_kick.npz", "kick", seed=7, frames=120)
    renamed = {"clap.mp4": "clap.npz", "kick.mp4": "kick.npz", "test.mp4": "clap.npz"}
    for command in commands:
        args = [renamed.get(a, a) for a in command[2:]]
        r = run(args, tmp_path)
        assert r.returncode == 0, f"{command}: {r.stderr[-2000:]}"
    model = tmp_path / "runs" / "myactions" / "last.pt"
    assert model.is_file()
    from aclnet_core.model.checkpoint import load_checkpoint

    meta, shipped = load_checkpoint(model)["meta"], load_checkpoint(ROOT / "assets" / "models" / "action.pt")["meta"]
    assert meta.preprocess["sampling"] == "consecutive"  # T samples at sample_fps: the live app's windows
    assert meta.extra["sample_fps"] == pytest.approx(shipped.extra["sample_fps"], abs=1e-3)
    assert meta.preprocess["window"] == shipped.preprocess["window"]
    assert meta.extra["init_from_model_id"] == shipped.model_id
    # the trained model recognises its own training clips, windowed as in training
    for clip, label in (("clap.npz", "clap"), ("kick.npz", "kick")):
        r = run(["annotate", clip, "--model", str(model), "-o", f"{label}.mp4", "--json", "--no-progress"], tmp_path)
        assert r.returncode == 0, r.stderr
        timeline = json.loads((tmp_path / f"{label}.json").read_text())
        assert {s["label"] for s in timeline["segments"]} == {label}, timeline["segments"]


def test_small_data_defaults_keep_what_the_user_set(tmp_path):
    from aclnet_core.train.recordings_setup import plan_recordings_training

    for label in ("clap", "kick"):
        for v in range(3):
            write_action_recording(tmp_path / label / f"{label}{v}-20260101-000000-track1.npz", label, seed=v, frames=40)
    shipped = ROOT / "assets" / "models" / "action.pt"
    plan = dict(o.split("=", 1) for o in plan_recordings_training(tmp_path, set(), shipped).overrides)
    assert plan["init_from"] == str(shipped) and plan["preprocess.sampling"] == "consecutive"
    assert plan["optim.batch_size"] == "3" and plan["acl.enabled"] == "false"
    kept = dict(o.split("=", 1) for o in plan_recordings_training(
        tmp_path, {"optim.batch_size", "acl.enabled", "init_from"}, None).overrides)
    assert "optim.batch_size" not in kept and "acl.enabled" not in kept and "init_from" not in kept
    assert kept["preprocess.window"] == "32"  # from scratch: the default window
