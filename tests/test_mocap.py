"""Motion capture -> MediaPipe-33 mapping, rendering through virtual cameras, subject-disjoint splits, BVH."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from aclnet_core.data.mocap.dataset import load_mocap_split
from aclnet_core.data.mocap.render import azimuth_bands, render_segment, resample_time
from aclnet_core.data.mocap.to_mediapipe import mediapipe33_scene, resolve_joints
from aclnet_core.data.mocap.trials import load_trial
from aclnet_core.errors import UserError

# A standing person in the ASF/AMC (CMU, HDM05) skeleton, facing +z, y up, metres; left = +x.
ASF = {
    "root": (0, 0.95, 0), "lhipjoint": (0.09, 0.92, 0), "rhipjoint": (-0.09, 0.92, 0), "lowerback": (0, 1.05, 0),
    "lfemur": (0.09, 0.50, 0.02), "rfemur": (-0.09, 0.50, 0.02), "upperback": (0, 1.20, 0),
    "ltibia": (0.09, 0.08, 0), "rtibia": (-0.09, 0.08, 0), "thorax": (0, 1.40, 0), "lfoot": (0.09, 0.02, 0.13),
    "rfoot": (-0.09, 0.02, 0.13), "lowerneck": (0, 1.45, 0), "lclavicle": (0.18, 1.40, 0),
    "rclavicle": (-0.18, 1.40, 0), "ltoes": (0.09, 0.01, 0.18), "rtoes": (-0.09, 0.01, 0.18),
    "upperneck": (0, 1.52, 0), "lhumerus": (0.20, 1.12, 0), "rhumerus": (-0.20, 1.12, 0), "head": (0, 1.72, 0),
    "lradius": (0.21, 0.86, 0.02), "rradius": (-0.21, 0.86, 0.02), "lwrist": (0.21, 0.84, 0.02),
    "rwrist": (-0.21, 0.84, 0.02), "lhand": (0.21, 0.78, 0.03), "lthumb": (0.21, 0.80, 0.08),
    "rhand": (-0.21, 0.78, 0.03), "rthumb": (-0.21, 0.80, 0.08), "lfingers": (0.21, 0.72, 0.03),
    "rfingers": (-0.21, 0.72, 0.03),
}


def standing(frames: int = 40, step: float = 0.0) -> tuple[np.ndarray, tuple[str, ...]]:
    """(T, 31, 3) ASF joints, moving ``step`` metres along +z per frame."""
    names = tuple(ASF)
    pose = np.array([ASF[n] for n in names], dtype=np.float32)
    joints = np.repeat(pose[None], frames, 0)
    joints[..., 2] += step * np.arange(frames)[:, None]
    return joints, names


def test_asf_maps_body_joints_and_synthesises_face_hands_feet():
    joints, names = standing(2)
    mp = mediapipe33_scene(joints, names)
    assert mp.shape == (2, 33, 3)
    np.testing.assert_allclose(mp[0, 11], ASF["lclavicle"], atol=1e-6)  # left shoulder
    np.testing.assert_allclose(mp[0, 24], ASF["rhipjoint"], atol=1e-6)
    np.testing.assert_allclose(mp[0, 27], ASF["ltibia"], atol=1e-6)  # left ankle
    nose, l_ear, r_ear = mp[0, 0], mp[0, 7], mp[0, 8]
    assert nose[2] > l_ear[2] + 0.05  # the face looks forward (+z)
    assert l_ear[0] > 0.05 > -0.05 > r_ear[0]  # left ear on the person's left (+x)
    assert ASF["upperneck"][1] < nose[1] < ASF["head"][1]
    assert mp[0, 29, 2] < ASF["ltibia"][2] and mp[0, 29, 1] < ASF["ltibia"][1]  # heel behind and below the ankle
    assert mp[0, 31, 2] > ASF["lfoot"][2]  # foot index beyond the ball of the foot
    hand = mp[0, [17, 19, 21]]
    assert np.all(np.linalg.norm(hand - np.array(ASF["lradius"]), axis=1) < 0.12)
    assert mp[0, 21, 2] > mp[0, 17, 2]  # thumb side towards the thumb tip


def test_missing_core_joint_is_a_one_line_error():
    _joints, names = standing(2)
    keep = [i for i, n in enumerate(names) if n != "lfemur"]
    with pytest.raises(UserError, match="l_knee"):
        resolve_joints([names[i] for i in keep])


def test_render_views_keep_left_and_right_and_centre_the_hips():
    joints, names = standing(30)
    scene = mediapipe33_scene(joints, names)
    rng = np.random.default_rng(0)
    front = render_segment(scene, rng, ((-1.0, 1.0),), noise=False)
    back = render_segment(scene, rng, ((179.0, 180.0),), noise=False)
    for seg in (front, back):
        assert seg.world.shape == (30, 33, 3) and seg.visibility.shape == (30, 33)
        np.testing.assert_allclose(seg.world[:, [23, 24]].mean(1), 0.0, atol=1e-5)  # MediaPipe world: hip-centred
        assert seg.world[0, 0, 1] < seg.world[0, 27, 1]  # y down: the nose above the ankles
    # facing the camera, the person's left hand is on the image right (+x); from behind, on the left
    assert front.world[0, 15, 0] > 0.1 and back.world[0, 15, 0] < -0.1
    assert front.world[0, 0, 2] < front.world[0, 7, 2]  # the nose is nearer the camera than the ears


def test_render_noise_is_seeded_and_lost_frames_are_filled():
    joints, names = standing(60)
    scene = mediapipe33_scene(joints, names)
    a = render_segment(scene, np.random.default_rng(3))
    b = render_segment(scene, np.random.default_rng(3))
    np.testing.assert_array_equal(a.world, b.world)
    assert np.all(np.any(a.world != 0, axis=(1, 2)))  # no all-zero (lost) frames: interpolated like the app


def test_resample_time_plays_at_the_rate_and_speed():
    frames = np.arange(31, dtype=np.float64)[:, None, None] * np.ones((1, 2, 3))  # value = frame index at 30 fps
    out = resample_time(frames, 30.0, 10.0, 0.0, 4)
    np.testing.assert_allclose(out[:, 0, 0], [0, 3, 6, 9])
    fast = resample_time(frames, 30.0, 10.0, 0.5, 3, speed=2.0)
    np.testing.assert_allclose(fast[:, 0, 0], [15, 21, 27])


def test_azimuth_bands_are_disjoint_and_cover_the_circle():
    bands = {s: azimuth_bands(s) for s in ("train", "val", "test")}
    total = sum(hi - lo for b in bands.values() for lo, hi in b)
    assert total == pytest.approx(360.0)
    for a in bands["test"]:
        assert all(a != b for b in bands["train"] + bands["val"])


def _write_trial(path: Path, label: str, subject: str, frames: int = 45, step: float = 0.0) -> None:
    joints, names = standing(frames, step)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, joints=joints, joint_names=np.array(names), fps=np.int32(30), subject=np.array(subject),
             label=np.array(label), source=np.array("test"))


@pytest.fixture
def tiny_mocap(tmp_path: Path) -> Path:
    for subject in ("a", "b", "c", "d"):
        _write_trial(tmp_path / f"walk_{subject}.npz", "walk", subject, 60, step=0.04)
        _write_trial(tmp_path / f"idle_{subject}.npz", "stand", subject, 45)
    return tmp_path


def _data(path: Path, **options) -> SimpleNamespace:
    return SimpleNamespace(path=str(path), options=options, fps=10.0, layout="mediapipe33")


def test_user_folder_splits_by_person_and_renders_at_the_rate(tiny_mocap: Path):
    opts = {"splits": {"val": ["test:c"], "test": ["test:d"]}, "n_per_class": 5, "segment_s": 2.0}
    train, names = load_mocap_split(_data(tiny_mocap, **opts), "train")
    test, names_test = load_mocap_split(_data(tiny_mocap, **opts), "test")
    assert names == names_test == ["stand", "walk"]
    assert len(train) == 10 and all(s.keypoint.shape == (1, 20, 33, 3) for s in train)  # 2 s at 10 samples/s
    assert {s.label for s in train} == {0, 1}
    assert all(s.name.endswith(("_a", "_b")) for s in train)  # only the train people
    assert {s.name.split("/")[0] for s in test} == {"test:d"}  # eval names: group/trial/segment/view
    assert all(np.isfinite(s.keypoint).all() for s in train + test)


def test_user_folder_errors_are_one_line(tiny_mocap: Path, tmp_path: Path):
    with pytest.raises(UserError, match="unknown mocap split"):
        load_mocap_split(_data(tiny_mocap), "nosuch")
    with pytest.raises(UserError, match="unknown mocap data option"):
        load_mocap_split(_data(tiny_mocap, bogus=1), "train")
    with pytest.raises(UserError, match="not found"):
        load_mocap_split(_data(tmp_path / "missing"), "train")
    bad = tmp_path / "bad"
    bad.mkdir()
    np.savez(bad / "x.npz", joints=np.full((5, 31, 3), np.nan, np.float32), joint_names=np.array(tuple(ASF)))
    with pytest.raises(UserError, match="NaN"):
        load_trial(bad / "x.npz")


def _write_bvh(path: Path, frames: int = 4) -> None:
    def joint(name, off, children, depth=1):
        pad = "  " * depth
        s = f"{pad}JOINT {name}\n{pad}{{\n{pad}  OFFSET {off[0]} {off[1]} {off[2]}\n"
        s += f"{pad}  CHANNELS 3 Zrotation Xrotation Yrotation\n"
        for c in children:
            s += joint(*c, depth=depth + 1)
        if not children:
            s += f"{pad}  End Site\n{pad}  {{\n{pad}    OFFSET 0 5 0\n{pad}  }}\n"
        return s + f"{pad}}}\n"

    def leg(side, x):
        return (f"{side}UpLeg", (x, 0, 0), [(f"{side}Leg", (0, -45, 0), [(f"{side}Foot", (0, -42, 0),
                [(f"{side}ToeBase", (0, -5, 12), [])])])])

    def arm(side, x):
        return (f"{side}Shoulder", (x * 0.3, 0, 0), [(f"{side}Arm", (x, 0, 0), [(f"{side}ForeArm", (x * 1.8, 0, 0),
                [(f"{side}Hand", (x * 1.6, 0, 0), [])])])])

    tree = [leg("Left", 10), leg("Right", -10), ("Spine", (0, 20, 0), [("Spine1", (0, 25, 0), [
        ("Neck", (0, 10, 0), [("Head", (0, 10, 0), [])]), arm("Left", 6), arm("Right", -6)])])]
    text = "HIERARCHY\nROOT Hips\n{\n  OFFSET 0 95 0\n  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"
    text += "".join(joint(*c) for c in tree) + "}\n"
    channels = 6 + 3 * text.count("JOINT")
    text += f"MOTION\nFrames: {frames}\nFrame Time: 0.04\n"
    for f in range(frames):
        text += " ".join(["0", "95", str(f * 5)] + ["0"] * (channels - 3)) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_bvh_folder_is_read_with_labels_from_folders(tmp_path: Path):
    _write_bvh(tmp_path / "walk" / "p1_take1.bvh")
    trial = load_trial(tmp_path / "walk" / "p1_take1.bvh", label="walk", subject="p1")
    assert trial.fps == pytest.approx(25.0)
    assert trial.joints.shape[:2] == (4, 21)
    np.testing.assert_allclose(trial.joints[:, 0, 2], [0.0, 0.05, 0.10, 0.15], atol=1e-5)  # cm -> m
    mp = mediapipe33_scene(trial.joints, trial.joint_names)
    assert mp[0, 0, 1] > mp[0, 11, 1] > mp[0, 23, 1] > mp[0, 27, 1]  # nose > shoulder > hip > ankle (y up)
    from aclnet_core.data.mocap.trials import find_trials

    (_found, meta), = find_trials(tmp_path)
    assert meta == {"label": "walk", "subject": "p1"}


def test_bad_bvh_is_a_one_line_error(tmp_path: Path):
    bad = tmp_path / "x.bvh"
    bad.write_text("HIERARCHY\nROOT Hips\n{\n")
    with pytest.raises(UserError, match="BVH"):
        load_trial(bad)


def test_shared_mocap_splits_are_subject_disjoint():
    from tests.conftest import skip_without_shared

    root = skip_without_shared("data/mocap/manifest.csv") / "data" / "mocap"
    data = _data(root, n_per_class=2, eval_segments_per_trial=1)
    data.fps = 12.5
    groups = {}
    for split in ("val", "test"):
        seqs, names = load_mocap_split(data, split)
        groups[split] = {s.name.split("/")[0] for s in seqs if not s.name.startswith("synthetic")}
    assert names[0] == "no_action" and {"walk", "run", "squat", "kick", "lie_down", "wave"} <= set(names)
    assert not groups["val"] & groups["test"]
    train, _ = load_mocap_split(data, "train")
    assert {s.label for s in train} == set(range(len(names)))


def test_cli_infers_the_mocap_kind_from_the_folder(tiny_mocap: Path, tmp_path: Path):
    from main import _guess_kind

    assert _guess_kind(str(tiny_mocap)) == "mocap"
    bvh = tmp_path / "bvhs"
    _write_bvh(bvh / "walk" / "a_1.bvh")
    assert _guess_kind(str(bvh)) == "mocap"
    rec = tmp_path / "rec"
    rec.mkdir()
    np.savez(rec / "r.npz", keypoint=np.zeros((1, 4, 33, 3), np.float32))
    assert _guess_kind(str(rec)) == "recordings"


def test_cli_trains_and_evaluates_on_a_mocap_folder(tiny_mocap: Path, tmp_path: Path):
    """The README's command on a folder of trials: train (kind inferred), then eval on its held-out people."""
    import main

    out = tmp_path / "run"
    argv = ["train", "--data", str(tiny_mocap), "--layout", "mediapipe33", "--window", "8", "--epochs", "1",
            "--batch-size", "4", "--threads", "1", "--out", str(out), "--no-progress", "--no-acl",
            "--set", "data.fps=10", "--set", "preprocess.sampling=consecutive", "--set", "data.options.n_per_class=4",
            "--set", 'data.options.splits={"val": ["test:c"], "test": ["test:d"]}']
    assert main.main(argv) == 0
    assert main.main(["eval", str(out / "last.pt"), "--split", "test", "--clips", "1"]) == 0


def test_gait_task_makes_real_walkers_classes(tiny_mocap: Path):
    """data.options.task: gait -> each training person is a class; the others never appear."""
    data = _data(tiny_mocap, task="gait", train_persons=["test:a", "test:b"], segments_per_person=3,
                 segment_s=2.0, synthetic_identities=[0, 0])
    train, names = load_mocap_split(data, "train")
    val, _ = load_mocap_split(data, "val")
    assert names == ["test:a", "test:b"] and len(train) == 6 and len(val) == 48
    assert {s.label for s in train} == {0, 1} and all(s.keypoint.shape == (1, 20, 33, 3) for s in train)
    assert not any("test:c" in s.name or "test:d" in s.name for s in train + val)
    with pytest.raises(UserError, match="train_persons"):
        load_mocap_split(_data(tiny_mocap, task="gait"), "train")
    with pytest.raises(UserError, match="no walking"):
        load_mocap_split(_data(tiny_mocap, task="gait", train_persons=["test:zz"]), "train")


def test_gait_any_motion_persons_are_identities_from_every_trial(tiny_mocap: Path):
    """any_motion_persons: further identities from whatever they do (here standing as well as walking)."""
    data = _data(tiny_mocap, task="gait", train_persons=["test:a"], any_motion_persons=["test:c"],
                 segments_per_person=12, segment_s=2.0, synthetic_identities=[0, 0])
    train, names = load_mocap_split(data, "train")
    assert names == ["test:a", "test:c"] and {s.label for s in train} == {0, 1}
    of_c = [s.name for s in train if s.label == 1]
    assert any("idle_c" in n for n in of_c) and any("walk_c" in n for n in of_c)  # not only the gait trials
    assert not any("idle_a" in s.name for s in train)                           # train_persons: gait trials only
    with pytest.raises(UserError, match="both"):
        load_mocap_split(_data(tiny_mocap, task="gait", train_persons=["test:a"], any_motion_persons=["test:a"]),
                         "train")
    with pytest.raises(UserError, match="no trials for test:zz"):
        load_mocap_split(_data(tiny_mocap, task="gait", train_persons=["test:a"], any_motion_persons=["test:zz"]),
                         "train")


@pytest.mark.parametrize(("layout", "joints"), [("kinect20", 20), ("ntu25", 25), ("coco17", 17)])
def test_mocap_renders_in_other_layouts_for_pretraining(tiny_mocap: Path, layout: str, joints: int):
    from aclnet_core.train.config import DataConfig
    from aclnet_core.train.data_setup import load_split

    data = DataConfig(kind="mocap", path=str(tiny_mocap), layout=layout, fps=10.0,
                      options={"n_per_class": 2, "segment_s": 2.0, "splits": {"val": ["test:c"], "test": ["test:d"]}})
    seqs, names = load_split(data, "train")
    assert names == ["stand", "walk"]
    assert all(s.layout == layout and s.keypoint.shape == (1, 20, joints, 3) for s in seqs)
    head, foot = (3, 15) if layout != "coco17" else (0, 15)  # y up for the Kinect layouts, down for COCO
    dy = seqs[0].keypoint[0, 0, head, 1] - seqs[0].keypoint[0, 0, foot, 1]
    assert (dy > 0.5) if layout != "coco17" else (dy < -0.5)


def _walking_scene(frames: int = 60) -> np.ndarray:
    """A MediaPipe-33 scene whose legs and arms swing (a stride of 0.6 m) while the hips move along +z."""
    joints, names = standing(frames, step=0.03)
    scene = mediapipe33_scene(joints, names)
    phase = np.sin(np.linspace(0, 4 * np.pi, frames))
    for side, sign in (((25, 27, 29, 31), 1.0), ((26, 28, 30, 32), -1.0), ((15, 17, 19, 21), -0.5), ((16, 18, 20, 22), 0.5)):
        for depth, j in enumerate(side):
            scene[:, j, 2] += sign * 0.3 * phase * (0.5 if depth == 0 else 1.0)
    return scene


def test_shorten_stride_scales_the_swing_and_keeps_bone_lengths():
    from aclnet_core.data.mocap.stride import shorten_stride

    scene = _walking_scene()
    short = shorten_stride(scene, 0.5)
    def swing(s):
        return np.ptp((s[:, 27] - s[:, 28])[:, 2])

    assert swing(short) == pytest.approx(0.5 * swing(scene), rel=0.15)
    for a, b in ((23, 25), (25, 27), (11, 13), (13, 15)):
        np.testing.assert_allclose(np.linalg.norm(short[:, a] - short[:, b], axis=-1),
                                   np.linalg.norm(scene[:, a] - scene[:, b], axis=-1), rtol=1e-6)
    hip_z = [0.5 * (s[:, 23, 2] + s[:, 24, 2]) for s in (short, scene)]
    assert np.ptp(hip_z[0]) == pytest.approx(0.5 * np.ptp(hip_z[1]), rel=1e-6)
    np.testing.assert_allclose(shorten_stride(scene, 1.0), scene)
    with pytest.raises(ValueError):
        shorten_stride(scene, 0.0)


def test_short_stride_option_is_checked_and_applies_to_its_class(tiny_mocap: Path, monkeypatch):
    import aclnet_core.data.mocap.dataset as mocap_dataset

    calls = []
    real = mocap_dataset.shorten_stride
    monkeypatch.setattr(mocap_dataset, "shorten_stride", lambda scene, f: calls.append(f) or real(scene, f))
    opts = {"splits": {"val": ["test:c"], "test": ["test:d"]}, "n_per_class": 3, "segment_s": 2.0, "noise": False}
    load_mocap_split(_data(tiny_mocap, **opts), "train")
    assert calls == []
    load_mocap_split(_data(tiny_mocap, **opts, short_stride={"walk": [0.5, 0.5]}), "train")
    assert calls == [0.5, 0.5, 0.5]                                     # the 3 walk segments, not the 3 stand ones
    load_mocap_split(_data(tiny_mocap, **opts, short_stride={"walk": [0.5, 0.5]}), "val")
    assert len(calls) == 3                                              # evaluation splits stay as recorded
    for bad in ({"walk": [0.0, 1.0]}, {"walk": [0.9, 0.5]}, {"walk": "x"}, [0.5, 1.0]):
        with pytest.raises(UserError, match="short_stride"):
            load_mocap_split(_data(tiny_mocap, **opts, short_stride=bad), "train")

def test_start_from_standstill_holds_the_first_pose_then_moves():
    from aclnet_core.data.mocap.dataset import start_from_standstill

    scene = _walking_scene()
    held = start_from_standstill(scene, 10)
    assert held.shape == scene.shape
    np.testing.assert_array_equal(held[:10], np.repeat(scene[:1], 10, 0))   # standing in the first pose
    np.testing.assert_array_equal(held[10:], scene[: len(scene) - 10])      # then the motion from its start
    np.testing.assert_array_equal(start_from_standstill(scene, 0), scene)


def test_onset_option_is_checked_and_applies_to_its_class(tiny_mocap: Path, monkeypatch):
    import aclnet_core.data.mocap.dataset as mocap_dataset

    calls = []
    real = mocap_dataset.start_from_standstill
    monkeypatch.setattr(mocap_dataset, "start_from_standstill", lambda scene, h: calls.append(h) or real(scene, h))
    opts = {"splits": {"val": ["test:c"], "test": ["test:d"]}, "n_per_class": 3, "segment_s": 2.0, "noise": False}
    plain = load_mocap_split(_data(tiny_mocap, **opts), "train")[0]
    onset = load_mocap_split(_data(tiny_mocap, **opts, onset={"walk": {"share": 1.0, "hold": [0.25, 0.25]}}), "train")[0]
    segment = plain[0].keypoint.shape[1]
    assert calls == [round(0.25 * segment)] * 3                         # the 3 walk segments, not the 3 stand ones
    assert [s.keypoint.shape for s in onset] == [s.keypoint.shape for s in plain]
    load_mocap_split(_data(tiny_mocap, **opts, onset={"walk": {"share": 0.0, "hold": [0.2, 0.4]}}), "train")
    load_mocap_split(_data(tiny_mocap, **opts, onset={"walk": {"share": 1.0, "hold": [0.2, 0.4]}}), "val")
    assert len(calls) == 3                                              # share 0 and evaluation splits: none
    for bad in ({"walk": {"share": 2, "hold": [0.2, 0.4]}}, {"walk": {"share": 0.5, "hold": [0.5, 1.0]}},
                {"walk": {"share": 0.5}}, {"walk": [0.5, 0.2]}, [0.5]):
        with pytest.raises(UserError, match="onset"):
            load_mocap_split(_data(tiny_mocap, **opts, onset=bad), "train")


def test_mocap_pretrains_a_2d_coco17_encoder(tiny_mocap: Path, tmp_path: Path):
    """data.dims: 2 keeps the rendered camera's x and y: the run trains a 2-channel model for 2D keypoint data."""
    from aclnet_core.model.checkpoint import load_checkpoint
    from aclnet_core.train.config import load_config
    from aclnet_core.train.data_setup import load_split
    from aclnet_core.train.trainer import Trainer

    overrides = [f"data.path={tiny_mocap}", "data.kind=mocap", "data.layout=coco17", "data.dims=2", "data.fps=10",
                 "data.options={n_per_class: 4, segment_s: 2.0, splits: {val: ['test:c'], test: ['test:d']}}",
                 "preprocess.window=8", "optim.epochs=1", "optim.batch_size=4", "acl.memory_size=8",
                 f"out_dir={tmp_path / 'run'}"]
    cfg = load_config(None, overrides)
    seqs, _ = load_split(cfg.data, "train")
    three, _ = load_split(load_config(None, overrides[:3] + overrides[4:]).data, "train")
    assert all(s.keypoint.shape == (1, 20, 17, 2) for s in seqs)
    assert np.array_equal(seqs[0].keypoint, three[0].keypoint[..., :2])   # the same render, z dropped
    Trainer(cfg, progress=False).fit()
    meta = load_checkpoint(tmp_path / "run" / "last.pt")["meta"]
    assert meta.in_channels == 2 and meta.layout == "coco17"


@pytest.mark.parametrize(("layout", "dims"), [("kinect20", 0), ("ntu25", 0), ("coco17", 2)])
def test_pretraining_configs_exist_per_layout(layout: str, dims: int):
    from aclnet_core.train.config import load_config

    root = Path(__file__).resolve().parents[1]
    cfg = load_config(root / "configs" / f"pretrain_mocap_{layout}.yaml")
    assert cfg.data.kind == "mocap" and cfg.data.layout == layout and cfg.data.dims == dims
    assert len(cfg.data.options["label_map"]) + len(cfg.data.options["synthetic_classes"]) >= 20
    assert cfg.optim.label_smoothing > 0 and not cfg.init_from
