"""Synthetic MediaPipe-33 motion generator: determinism, geometry, labels, splits and the live stream."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from aclnet_core.data.synthetic import (
    ACTION_NAMES,
    FLIP_PAIRS,
    LANDMARK_NAMES,
    NUM_GAIT_IDENTITIES,
    MotionGenerator,
    action_azimuth_bands,
    make_action_split,
    make_gait_split,
)
from aclnet_core.data.synthetic.camera import Camera
from aclnet_core.data.synthetic.gait import gait_identity
from aclnet_core.data.synthetic.landmarks import flip_permutation
from aclnet_core.errors import UserError

BONES = ((11, 13), (13, 15), (12, 14), (14, 16), (23, 25), (25, 27), (24, 26), (26, 28), (11, 12), (23, 24))


def bone_lengths(world: np.ndarray) -> np.ndarray:
    """(T, 33, 3) -> (T, len(BONES))."""
    a, b = np.array(BONES).T
    return np.linalg.norm(world[:, a] - world[:, b], axis=-1)


def scene_relative(sample) -> np.ndarray:
    """World landmarks rotated back from camera axes into the (y-up) scene frame, still hip-centred."""
    rotation = np.array(sample.meta["camera"]["rotation"])
    return sample.world.astype(np.float64) @ rotation


def test_action_vocabulary():
    assert ACTION_NAMES[0] == "no_action" and len(ACTION_NAMES) >= 13
    assert len(set(ACTION_NAMES)) == len(ACTION_NAMES)
    for pair in ("wave_right wave_left", "sit_down stand_up", "squat jump", "clap arms_crossed", "punch reach",
                 "kick step", "walk_in_place run_in_place"):  # fmt: skip
        assert set(pair.split()) <= set(ACTION_NAMES)
    assert len(LANDMARK_NAMES) == 33 and LANDMARK_NAMES[0] == "nose" and LANDMARK_NAMES[32] == "right_foot_index"
    assert NUM_GAIT_IDENTITIES >= 200


def test_matches_the_project_layout():
    from aclnet_core.skeleton import layouts
    layout = layouts.get_layout("mediapipe33")
    assert tuple(layout.joints) == LANDMARK_NAMES
    assert {tuple(sorted(p)) for p in layout.flip_pairs} == {tuple(sorted(p)) for p in FLIP_PAIRS}


def test_deterministic_by_seed():
    a = [MotionGenerator(seed=7).action() for _ in range(1)] + [MotionGenerator(seed=7).gait(3)]
    b = [MotionGenerator(seed=7).action() for _ in range(1)] + [MotionGenerator(seed=7).gait(3)]
    for x, y in zip(a, b):
        for field in ("world", "image", "visibility", "presence", "detected"):
            np.testing.assert_array_equal(getattr(x, field), getattr(y, field))
        assert x.label == y.label and x.meta == y.meta
    gen = MotionGenerator(seed=7)
    first, second = gen.action(), gen.action()
    assert not np.array_equal(first.world, second.world) or first.label != second.label
    assert not np.array_equal(MotionGenerator(seed=8).action().world, a[0].world)


def test_shapes_and_dtypes():
    s = MotionGenerator(seed=1).action(label=3, num_frames=50)
    assert s.world.shape == s.image.shape == (50, 33, 3)
    assert s.visibility.shape == s.presence.shape == (50, 33)
    assert s.detected.shape == (50,) and s.detected.dtype == bool
    for arr in (s.world, s.image, s.visibility, s.presence):
        assert arr.dtype == np.float32
    assert s.label == 3 and s.identity == -1 and s.fps == 30.0 and s.meta["action"] == ACTION_NAMES[3]
    g = MotionGenerator(seed=1).gait(5, num_frames=40)
    assert g.world.shape == (40, 33, 3) and g.label == -1 and g.identity == 5


def test_clip_length_does_not_depend_on_the_class():
    lengths = {MotionGenerator(seed=3).action(label=k, actor_seed=1, view_seed=1).num_frames for k in range(len(ACTION_NAMES))}  # fmt: skip
    assert len(lengths) == 1
    many = [MotionGenerator(seed=s).action().num_frames for s in range(30)]
    assert 60 <= min(many) and max(many) <= 120


def test_world_is_hip_centred_and_in_metres():
    gen = MotionGenerator(seed=2)
    for sample in [gen.action() for _ in range(4)] + [gen.gait(9)]:
        ok = sample.detected
        hip_centre = 0.5 * (sample.world[ok, 23] + sample.world[ok, 24])
        assert np.abs(hip_centre).max() < 1e-5
        torso = np.linalg.norm(0.5 * (sample.world[ok, 11] + sample.world[ok, 12]), axis=-1)
        assert 0.3 < np.median(torso) < 0.75  # mid-hip to mid-shoulder, metres


def test_mediapipe_axes_y_down_and_left_on_image_right():
    s = MotionGenerator(seed=0, noise=False).action(label="no_action", view_seed=1)  # view 1: camera in front
    assert abs(s.meta["view"]["azimuth"]) < 10
    w, im = s.world, s.image
    assert (w[:, 0, 1] < w[:, 23, 1]).all() and (w[:, 27, 1] > w[:, 23, 1]).all()  # nose above, ankles below
    assert (w[:, 11, 0] > w[:, 12, 0]).all() and (im[:, 11, 0] > im[:, 12, 0]).all()  # facing the camera
    assert (im[:, 0, 1] < im[:, 27, 1]).all()
    assert (w[:, 0, 2] < w[:, 7, 2]).all()  # the nose is closer to the camera than the ear


def test_bone_lengths_constant_within_a_sample_and_vary_across_actors():
    gen = MotionGenerator(seed=4, noise=False)
    per_actor = []
    for actor in range(4):
        s = gen.action(actor_seed=actor)
        lengths = bone_lengths(s.world)
        assert np.allclose(lengths, lengths[0], atol=1e-5)
        per_actor.append(lengths[0])
    assert np.ptp(np.array(per_actor), axis=0).min() > 0.005


def test_wave_left_mirrors_wave_right():
    right = MotionGenerator(seed=11, noise=False).action("wave_right", actor_seed=5, view_seed=6)
    left = MotionGenerator(seed=11, noise=False).action("wave_left", actor_seed=5, view_seed=6)
    mirrored = scene_relative(right)[:, flip_permutation()] * np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(mirrored, scene_relative(left), atol=1e-4)
    motion = lambda s, j: np.ptp(scene_relative(s)[:, j], axis=0).max()
    assert motion(right, 16) > 2 * motion(right, 15) and motion(left, 15) > 2 * motion(left, 16)


def test_noise_changes_observation_not_motion():
    clean = MotionGenerator(seed=5, noise=False).action()
    noisy = MotionGenerator(seed=5, noise=True).action()
    assert clean.meta["motion_seed"] == noisy.meta["motion_seed"] and clean.num_frames == noisy.num_frames
    ok = noisy.detected
    diff = np.abs(clean.world[ok] - noisy.world[ok])
    assert 0.0 < np.median(diff) < 0.05
    assert clean.detected.all()


def test_visibility_presence_ranges_and_lost_frames_are_zero():
    gen = MotionGenerator(seed=6)
    samples = [gen.action() for _ in range(12)] + [gen.gait(i) for i in range(3)]
    lost_seen = 0
    for s in samples:
        for arr in (s.visibility, s.presence):
            assert arr.min() >= 0.0 and arr.max() <= 1.0
        lost = ~s.detected
        lost_seen += lost.sum()
        for arr in (s.world, s.image, s.visibility, s.presence):
            assert not arr[lost].any()
        assert np.abs(s.world[s.detected]).sum(axis=(1, 2)).min() > 0
        assert np.median(s.visibility[s.detected][:, [11, 12, 23, 24]]) > 0.55
    assert lost_seen > 0


def test_projection_matches_the_camera():
    target = np.array([0.2, 1.0, -0.3])
    cam = Camera.look_at(target, azimuth=30, elevation=15, distance=3.0, hfov=60, image_size=(640, 480), centre=(0.3, 0.6))  # fmt: skip
    point = cam.to_camera(np.tile(target, (1, 33, 1)))
    np.testing.assert_allclose(point[0, 0], [*(cam.focal ** -1 * np.array([-0.2 * 640, 0.1 * 480])) * point[0, 0, 2], point[0, 0, 2]], atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(cam.project(point)[0, 0, :2], [0.3, 0.6], atol=1e-9)
    assert abs(np.linalg.norm(point[0, 0]) - 3.0) < 1e-9


def test_image_landmarks_are_the_perspective_projection_of_the_world_landmarks():
    s = MotionGenerator(seed=8, noise=False).action()
    focal = s.meta["camera"]["focal_px"]
    width, height = s.meta["camera"]["image_size"]
    for t in (0, s.num_frames // 2, s.num_frames - 1):
        w, im = s.world[t].astype(np.float64), s.image[t].astype(np.float64)
        # Unknown: the hip centre in camera space, h. Pinhole: (u - 0.5) * W / f * (w_z + h_z) = w_x + h_x.
        ax, ay = (im[:, 0] - 0.5) * width / focal, (im[:, 1] - 0.5) * height / focal
        rows = np.concatenate([np.stack([np.ones(33), np.zeros(33), -ax], 1), np.stack([np.zeros(33), np.ones(33), -ay], 1)])  # fmt: skip
        rhs = np.concatenate([ax * w[:, 2] - w[:, 0], ay * w[:, 2] - w[:, 1]])
        hip, *_ = np.linalg.lstsq(rows, rhs, rcond=None)
        assert np.abs(rows @ hip - rhs).max() < 1e-3
        assert 0.5 * s.meta["distance_m"] < hip[2] < 1.5 * s.meta["distance_m"]
        # Image z is hip-relative depth at the scale of x.
        np.testing.assert_allclose(im[:, 2], w[:, 2] * focal / (hip[2] * width), atol=2e-3)


def test_gait_identity_is_stable_and_distinct():
    a, b = gait_identity(17), gait_identity(17)
    assert a == b and a != gait_identity(18)
    s1 = MotionGenerator(seed=1, noise=False).gait(17, direction_deg=90)
    s2 = MotionGenerator(seed=99, noise=False).gait(17, direction_deg=-30)
    assert s1.meta["body"] == s2.meta["body"] and s1.meta["gait_style"] == s2.meta["gait_style"]
    np.testing.assert_allclose(bone_lengths(s1.world)[0], bone_lengths(s2.world)[0], atol=1e-5)
    other = MotionGenerator(seed=1, noise=False).gait(18)
    assert np.abs(bone_lengths(other.world)[0] - bone_lengths(s1.world)[0]).max() > 0.005


def test_gait_walks_in_the_requested_direction():
    gen = MotionGenerator(seed=3, noise=False)
    across = gen.gait(4, num_frames=90, direction_deg=90)  # to the image right
    hips = 0.5 * (across.image[:, 23] + across.image[:, 24])
    assert hips[-1, 0] - hips[0, 0] > 0.15
    toward = gen.gait(4, num_frames=90, direction_deg=0)  # towards the camera: grows in the image
    height = toward.image[:, 27, 1] - toward.image[:, 0, 1]
    assert height[-1] > 1.1 * height[0]
    assert toward.meta["steps_per_s"] > 1.2
    with pytest.raises(UserError):
        gen.gait(1, perturbation="umbrella")
    for perturbation in ("bag", "coat"):
        assert gen.gait(1, num_frames=30, perturbation=perturbation).meta["perturbation"] == perturbation


def test_action_split_is_disjoint():
    splits = {name: make_action_split(1, name, seed=0, noise=False) for name in ("train", "val", "test")}
    for samples in splits.values():
        assert [s.label for s in samples] == list(range(len(ACTION_NAMES)))
    keys = ("actor_seed", "view_seed", "motion_seed")
    for (na, a), (nb, b) in itertools.combinations(splits.items(), 2):
        for key in keys:
            assert not {s.meta[key] for s in a} & {s.meta[key] for s in b}, (na, nb, key)
    for name, samples in splits.items():
        bands = action_azimuth_bands(name)
        for s in samples:
            az = s.meta["view"]["azimuth"]
            assert any(lo <= az < hi for lo, hi in bands)
    edges = {name: set(action_azimuth_bands(name)) for name in splits}
    assert not (edges["train"] & edges["val"]) and not (edges["train"] & edges["test"]) and not (edges["val"] & edges["test"])  # fmt: skip
    again = make_action_split(1, "test", seed=0, noise=False)
    np.testing.assert_array_equal(again[5].world, splits["test"][5].world)
    with pytest.raises(UserError):
        make_action_split(1, "holdout", seed=0)


def test_gait_split_gallery_and_probe_differ():
    gallery = make_gait_split(range(3), 2, "gallery", seed=0, noise=False)
    probe = make_gait_split(range(3), 3, "probe", seed=0, noise=False)
    assert [s.identity for s in gallery] == [0, 0, 1, 1, 2, 2]
    assert all(s.meta["perturbation"] is None for s in gallery)
    assert {s.meta["perturbation"] for s in probe} == {None, "bag", "coat"}
    g_dirs = {round(s.meta["direction_deg"] / 18) % 20 for s in gallery}
    p_dirs = {round(s.meta["direction_deg"] / 18) % 20 for s in probe}
    assert not g_dirs & p_dirs
    assert not {s.meta["motion_seed"] for s in gallery} & {s.meta["motion_seed"] for s in probe}


def test_stream_yields_labelled_frames():
    frames = list(itertools.islice(MotionGenerator(seed=9).stream(fps=30.0), 400))
    assert [f.frame_index for f in frames] == list(range(400))
    np.testing.assert_allclose(np.diff([f.timestamp for f in frames]), 1 / 30, atol=1e-9)
    assert all(0 <= f.label < len(ACTION_NAMES) and ACTION_NAMES[f.label] == f.label_name for f in frames)
    assert len({f.label for f in frames}) >= 2 and any(f.in_action for f in frames)
    f = frames[10]
    assert f.world.shape == (33, 3) and f.image.shape == (33, 3) and f.visibility.shape == (33,)
    assert f.world.dtype == np.float32 and isinstance(f.detected, bool)
    clean = list(itertools.islice(MotionGenerator(seed=9, noise=False).stream(fps=30.0), 400))
    assert [f.label for f in clean] == [f.label for f in frames]
    images = np.array([f.image for f in clean])
    step = np.abs(np.diff(images[:, [0, 11, 12, 23, 24], :2], axis=0)).max()
    assert step < 0.03  # segments join without jumps (normalised image units per frame)


def test_bad_arguments_are_user_errors():
    gen = MotionGenerator()
    for bad in (len(ACTION_NAMES), -1, "moonwalk"):
        with pytest.raises(UserError):
            gen.action(label=bad)
    with pytest.raises(UserError):
        gen.action(num_frames=1)
    with pytest.raises(UserError):
        make_gait_split(range(2), 1, "test", seed=0)


def test_batched_rendering_matches_single_clips():
    split = make_action_split(1, "val", seed=3)
    for sample in split[:4]:
        m = sample.meta
        gen = MotionGenerator(seed=0)
        alone = gen._action(sample.label, None, m["actor_seed"], m["view_seed"], action_azimuth_bands("val"), m["motion_seed"])  # fmt: skip
        for field in ("world", "image", "visibility", "presence", "detected"):
            np.testing.assert_array_equal(getattr(alone, field), getattr(sample, field))


def test_synthetic_splits_in_other_layouts_keep_their_axes():
    from aclnet_core.data.synthetic_dataset import load_synthetic_split
    from aclnet_core.skeleton.layouts import get_layout
    from aclnet_core.train.config import DataConfig

    opts = {"task": "gait", "train_identities": [0, 2], "sequences_per_id": 1}
    (mp, *_), _ = load_synthetic_split(DataConfig(kind="synthetic", layout="mediapipe33", options=opts), "train")
    (kin, *_), names = load_synthetic_split(DataConfig(kind="synthetic", layout="kinect20", options=opts), "train")
    layout = get_layout("kinect20")
    assert kin.layout == "kinect20" and kin.keypoint.shape == (1, mp.keypoint.shape[1], 20, 3)
    assert kin.score.shape == (1, mp.keypoint.shape[1], 20) and len(names) == 2
    head, hip = layout.joints.index("head"), layout.joints.index("hip_center")
    seen = kin.score[0, :, head] > 0
    assert np.all(kin.keypoint[0, seen, head, 1] > kin.keypoint[0, seen, hip, 1])  # y up, as Kinect
    with pytest.raises(UserError, match="cannot be given in the kinect25 layout|unknown"):
        load_synthetic_split(DataConfig(kind="synthetic", layout="kinect25", options=opts), "train")


def test_synthetic_probe_walks_are_named_by_condition():
    """Probe names end in nm / bag / coat, so `eval --task identification --condition-key` can report each."""
    from aclnet_core.data.synthetic_dataset import load_synthetic_split
    from aclnet_core.eval.id_protocol import condition_names
    from aclnet_core.train.config import DataConfig

    opts = {"task": "gait", "eval_identities": [192, 194], "eval_sequences_per_id": 3}
    probe, _ = load_synthetic_split(DataConfig(kind="synthetic", layout="mediapipe33", options=opts), "probe")
    conditions = condition_names([s.name for s in probe], ["probe"] * len(probe), "_(nm|bag|coat)$")
    assert sorted(conditions) == ["bag", "bag", "coat", "coat", "nm", "nm"]      # j % 3 per identity
    gallery, _ = load_synthetic_split(DataConfig(kind="synthetic", layout="mediapipe33", options=opts), "gallery")
    assert all(s.name.endswith("_nm") for s in gallery)                           # galleries walk normally
