"""Data layer: sequences, modalities, augmentation, sampling, preprocessing, loaders and the Dataset."""

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SHARED, needs_shared

from aclnet_core.data.augment import (
    AugmentConfig,
    augment,
    flip,
    random_rotate,
    random_rotation_matrix,
    rotate_yaw,
    temporal_crop,
)
from aclnet_core.data.dataset import SkeletonDataset
from aclnet_core.data.loaders import DatasetSpec, load_dataset, relabel, split_by
from aclnet_core.data.modalities import MODALITIES, apply_modality
from aclnet_core.data.nw_ucla import NW_UCLA_LABELS, load_nw_ucla, parse_nw_ucla_name
from aclnet_core.data.preprocess import PreprocessConfig, make_clip, prepare_clip, prepare_sequence
from aclnet_core.data.pyskl import load_pyskl
from aclnet_core.data.recording import load_recording, load_recordings, save_recording
from aclnet_core.data.sampling import drop_empty_frames, sample_indices
from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError
from aclnet_core.skeleton.layouts import LAYOUTS

NW_UCLA = SHARED / "data" / "nw_ucla"


def _kp(m=1, t=8, v=20, c=3, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(m, t, v, c)).astype(np.float32)


# --- sequence -------------------------------------------------------------------------------------------------


def test_sequence_validates_shapes():
    seq = SkeletonSequence(_kp(), label=2, layout="kinect20", name="x")
    assert (seq.num_persons, seq.num_frames) == (1, 8)
    with pytest.raises(UserError, match="keypoint must be"):
        SkeletonSequence(np.zeros((8, 20, 3)), 0, "kinect20")
    with pytest.raises(UserError, match="score"):
        SkeletonSequence(_kp(), 0, "kinect20", score=np.ones((1, 8, 19)))


# --- modalities -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODALITIES)
def test_modality_shapes_and_motion_last_frame(name):
    x = _kp(m=2)
    x[1] = 0  # an absent second person
    out = apply_modality(x, name, "kinect20")
    assert out.shape == x.shape and out.dtype == np.float32
    assert not out[1].any()
    if name.endswith("m"):
        assert not out[:, -1].any()
        base = apply_modality(x, name[0], "kinect20")[0]
        np.testing.assert_allclose(out[0, :-1], base[1:] - base[:-1], atol=1e-6)


def test_bone_values_and_missing_joints():
    lay = LAYOUTS["kinect20"]
    x = _kp()
    b = apply_modality(x, "b", lay)
    np.testing.assert_allclose(b[0, :, 5], x[0, :, 5] - x[0, :, 4])  # elbow_left - shoulder_left
    k = apply_modality(x, "k", lay)
    np.testing.assert_allclose(k[0, :, 6], x[0, :, 6] - x[0, :, 4])  # wrist_left - shoulder_left
    x[0, :, 5] = 0  # a missing elbow: its bone and its child's bone are zero, not -parent
    b = apply_modality(x, "b", lay)
    assert not b[0, :, 5].any() and not b[0, :, 6].any() and b[0, :, 7].any()
    with pytest.raises(UserError, match="unknown modality"):
        apply_modality(x, "xyz", lay)


# --- augmentation -------------------------------------------------------------------------------------------------


def test_flip_mirrors_swaps_and_is_an_involution():
    lay = LAYOUTS["ntu25"]
    x = _kp(m=2, v=25)
    x[1, 3:] = 0
    score = np.random.default_rng(1).random(x.shape[:3]).astype(np.float32)
    f, fs = flip(x, lay, score)
    for left, right in lay.flip_pairs:
        np.testing.assert_allclose(f[..., left, 0], -x[..., right, 0])
        np.testing.assert_allclose(f[..., left, 1:], x[..., right, 1:])
        np.testing.assert_allclose(fs[..., left], score[..., right])
    np.testing.assert_allclose(f[..., 1, 0], -x[..., 1, 0])  # centre line joints mirror in place
    assert not f[1, 3:].any()  # missing stays zero
    ff, ffs = flip(f, lay, fs)
    np.testing.assert_allclose(ff, x)
    np.testing.assert_allclose(ffs, score)
    g, _ = flip(x, lay, center_x=0.5)
    np.testing.assert_allclose(flip(g, lay, center_x=0.5)[0], x, atol=1e-6)


def test_rotation_keeps_lengths_and_zeros_and_skips_2d():
    rng = np.random.default_rng(0)
    x = _kp(t=4)
    x[0, 1] = 0
    r = random_rotate(x, rng, 0.3)
    np.testing.assert_allclose(np.linalg.norm(r, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-5)
    assert not r[0, 1].any() and not np.allclose(r, x)
    x2 = x[..., :2]
    assert random_rotate(x2, rng, 0.3) is x2


def _angles(rotation: np.ndarray) -> tuple[float, float, float]:
    """(x, y, z) angles of R = Rz @ Ry @ Rx."""
    return (float(np.arctan2(rotation[2, 1], rotation[2, 2])), float(np.arcsin(-rotation[2, 0])),
            float(np.arctan2(rotation[1, 0], rotation[0, 0])))  # fmt: skip


def test_rotation_yaw_range_widens_only_the_vertical_axis():
    rng = np.random.default_rng(0)
    angles = np.array([_angles(random_rotation_matrix(rng, 0.1, 1.4)) for _ in range(400)])
    assert np.abs(angles[:, [0, 2]]).max() <= 0.1 + 1e-6
    assert 1.2 < np.abs(angles[:, 1]).max() <= 1.4 + 1e-6
    # rotate_y unset draws exactly what the single range always drew (old recipes stay reproducible)
    old_draw = np.random.default_rng(5).uniform(-0.3, 0.3, size=3)  # what the single-range code drew
    np.testing.assert_allclose(_angles(random_rotation_matrix(np.random.default_rng(5), 0.3)), old_draw, atol=1e-9)
    same = random_rotation_matrix(np.random.default_rng(5), 0.3, 0.3)
    np.testing.assert_array_equal(random_rotation_matrix(np.random.default_rng(5), 0.3), same)
    # yaw alone (tilts off) still rotates, about y only: heights are unchanged
    x = _kp(t=4)
    r = random_rotate(x, np.random.default_rng(1), 0.0, 1.0)
    np.testing.assert_allclose(r[..., 1], x[..., 1], atol=1e-6)
    assert not np.allclose(r, x)
    cfg = AugmentConfig.from_dict({"rotate": 0.0, "rotate_y": 1.0, "flip_p": 0.0})
    out, _ = augment(x, "kinect20", cfg, np.random.default_rng(1))
    np.testing.assert_allclose(out, r, atol=1e-6)
    for bad in (-0.1, True, "wide"):
        with pytest.raises(UserError):
            AugmentConfig(rotate_y=bad)


def test_rotation_roll_range_is_separate_and_zero_keeps_the_camera_level():
    rng = np.random.default_rng(0)
    angles = np.array([_angles(random_rotation_matrix(rng, 0.4, 1.0, 0.0)) for _ in range(400)])
    assert np.abs(angles[:, 2]).max() <= 1e-9  # no roll at all
    assert 0.3 < np.abs(angles[:, 0]).max() <= 0.4 + 1e-6  # pitch keeps its range
    assert 0.8 < np.abs(angles[:, 1]).max() <= 1.0 + 1e-6  # yaw keeps its own
    # unset roll reproduces the old draw exactly
    np.testing.assert_array_equal(
        random_rotation_matrix(np.random.default_rng(3), 0.3, 1.0, None),
        random_rotation_matrix(np.random.default_rng(3), 0.3, 1.0),
    )
    # through augment(): roll alone rotates about z only, so depths are unchanged
    x = _kp(t=4)
    cfg = AugmentConfig.from_dict({"rotate": 0.0, "rotate_y": 0.0, "rotate_z": 0.8, "flip_p": 0.0})
    out, _ = augment(x, "kinect20", cfg, np.random.default_rng(2))
    np.testing.assert_allclose(out[..., 2], x[..., 2], atol=1e-6)
    assert not np.allclose(out, x)
    for bad in (-1.0, False, "level"):
        with pytest.raises(UserError):
            AugmentConfig(rotate_z=bad)


def test_temporal_crop_and_augment_pipeline():
    rng = np.random.default_rng(0)
    x = _kp(t=100)
    for _ in range(20):
        c, _ = temporal_crop(x, rng, 0.5)
        assert 50 <= c.shape[1] <= 100
        start = int(np.flatnonzero(np.all(x[0, :, 0] == c[0, 0, 0], axis=-1))[0])
        np.testing.assert_array_equal(c, x[:, start : start + c.shape[1]])  # a contiguous interval
    cfg = AugmentConfig(rotate=0.2, flip_p=1.0, scale=0.1, crop_min=0.5, jitter=0.01)
    out, score = augment(x, "kinect20", cfg, rng, score=np.ones(x.shape[:3], np.float32))
    assert out.shape[1] <= 100 and out.dtype == np.float32 and score.shape == out.shape[:3]
    assert AugmentConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(UserError):
        AugmentConfig(crop_min=0)


# --- sampling -------------------------------------------------------------------------------------------------


def test_sampling_one_frame_and_short_sequences():
    np.testing.assert_array_equal(sample_indices(1, 52, train=False), np.zeros(52, int))
    np.testing.assert_array_equal(sample_indices(1, 52, train=True, rng=np.random.default_rng(0)), np.zeros(52))
    idx = sample_indices(10, 52, train=False)
    assert idx.shape == (52,) and np.all(np.diff(idx) >= 0) and set(idx) == set(range(10))
    np.testing.assert_array_equal(sample_indices(64, 64, train=False), np.arange(64))


def test_sampling_long_sequences_test_mode_is_deterministic_and_segmented():
    t, w = 200, 52
    a, b = sample_indices(t, w, train=False), sample_indices(t, w, train=False)
    np.testing.assert_array_equal(a, b)
    edges = np.arange(w + 1) * t / w
    assert np.all((a >= np.floor(edges[:-1])) & (a < edges[1:]))  # one frame per segment
    clips = [sample_indices(t, w, train=False, clip=k, num_clips=3) for k in range(3)]
    assert len({tuple(c) for c in clips}) == 3
    np.testing.assert_array_equal(clips[1], a)  # the middle of 3 clips is the segment centre
    rng = np.random.default_rng(0)
    tr = sample_indices(t, w, train=True, rng=rng)
    assert np.all((tr >= np.floor(edges[:-1])) & (tr < edges[1:])) and not np.array_equal(tr, a)
    with pytest.raises(UserError):
        sample_indices(0, 52, train=False)


def test_consecutive_sampling_keeps_the_frame_rate():
    t, w = 100, 32
    one = sample_indices(t, w, train=False, mode="consecutive")
    np.testing.assert_array_equal(one, np.arange(34, 66))  # the centred window
    starts = [sample_indices(t, w, train=False, clip=k, num_clips=4, mode="consecutive")[0] for k in range(4)]
    assert starts == [9, 26, 43, 60]  # spread over the free range 0..68
    rng = np.random.default_rng(0)
    for _ in range(20):
        tr = sample_indices(t, w, train=True, rng=rng, mode="consecutive")
        assert np.all(np.diff(tr) == 1) and 0 <= tr[0] and tr[-1] < t
    np.testing.assert_array_equal(sample_indices(w, w, train=False, mode="consecutive"), np.arange(w))
    # shorter than the window: looped, not stretched
    np.testing.assert_array_equal(sample_indices(5, 8, train=False, mode="consecutive"), [0, 1, 2, 3, 4, 0, 1, 2])
    looped = sample_indices(5, 8, train=True, rng=np.random.default_rng(1), mode="consecutive")
    assert sorted(set(looped.tolist())) == [0, 1, 2, 3, 4]
    with pytest.raises(UserError, match="sampling mode"):
        sample_indices(t, w, train=False, mode="stretch")
    with pytest.raises(UserError, match="sampling mode"):
        PreprocessConfig(layout="kinect20", sampling="stretch")


def test_model_sample_fps_matches_the_training_time_scale():
    from aclnet_core.train.config import TrainConfig
    from aclnet_core.train.data_setup import model_sample_fps

    seqs = [SkeletonSequence(np.zeros((1, n, 20, 3), np.float32), 0, "kinect20") for n in (60, 90, 120)]
    cfg = TrainConfig()
    cfg.preprocess.window, cfg.data.fps = 30, 30.0
    assert model_sample_fps(cfg, seqs) == pytest.approx(10.0)  # 30 samples over a median 3 s clip
    cfg.augment = {"crop_min": 0.5}
    assert model_sample_fps(cfg, seqs) == pytest.approx(30 * 30 / 67.5)  # the mean crop keeps 75 %
    cfg.preprocess.sampling = "consecutive"
    assert model_sample_fps(cfg, seqs) == 30.0


def test_drop_empty_frames():
    x = _kp(m=2, t=5)
    x[:, 2] = 0
    out, score = drop_empty_frames(x, np.ones(x.shape[:3]))
    assert out.shape[1] == 4 and score.shape[1] == 4
    x[:] = 0
    assert drop_empty_frames(x)[0].shape[1] == 5  # nothing present: kept as is


# --- preprocessing -------------------------------------------------------------------------------------------------


def test_preprocess_config_roundtrip_and_validation():
    cfg = PreprocessConfig(layout="kinect20", window=52, num_person=2, modality="bm", align=True, use_score=True)
    assert PreprocessConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(UserError, match="unknown preprocess settings: foo"):
        PreprocessConfig.from_dict({**cfg.to_dict(), "foo": 1})
    with pytest.raises(UserError, match="unknown modality"):
        PreprocessConfig(layout="kinect20", modality="q")
    with pytest.raises(UserError, match="unknown skeleton layout"):
        PreprocessConfig(layout="kinect21")


def test_prepare_clip_shapes_persons_and_scores():
    x = _kp(m=3, t=30)
    x[0, 5:] = 0  # person 0 present in 5 frames only: person 1 becomes the main one
    cfg = PreprocessConfig(layout="kinect20", window=16, num_person=2, modality="j", use_score=True)
    clip = prepare_clip(x, cfg)
    assert clip.shape == (2, 16, 20, 4) and clip.dtype == np.float32
    np.testing.assert_array_equal(clip[..., 3], 1.0)  # all present, no score given
    np.testing.assert_array_equal(prepare_clip(x, cfg), clip)  # deterministic
    one = prepare_clip(x[:1, :1], PreprocessConfig(layout="kinect20", window=16, num_person=2))
    assert one.shape == (2, 16, 20, 3) and not one[1].any() and np.all(one[0] == one[0, :1])
    tvc = prepare_clip(x[1], PreprocessConfig(layout="kinect20", window=16))
    assert tvc.shape == (1, 16, 20, 3)
    with pytest.raises(UserError, match="expected keypoints"):
        prepare_clip(_kp(v=25), cfg)


def test_dataset_reuses_prepare_clip_in_test_mode():
    seqs = [SkeletonSequence(_kp(t=t, seed=t), label=t % 3, layout="kinect20", name=str(t)) for t in (1, 20, 90)]
    cfg = PreprocessConfig(layout="kinect20", window=24, modality="b", align=True)
    ds = SkeletonDataset(seqs, cfg, train=False)
    for i, seq in enumerate(seqs):
        x, y = ds[i]
        assert isinstance(x, torch.Tensor) and y == seq.label
        np.testing.assert_array_equal(x.numpy(), prepare_clip(seq.keypoint, cfg))
    ds.precompute()
    assert len(ds._prepared) == 3
    multi = SkeletonDataset(seqs, cfg, train=False, num_clips=4)
    x, _ = multi[2]
    assert x.shape == (4, 1, 24, 20, 3)
    kp, _ = prepare_sequence(seqs[2].keypoint, cfg)
    np.testing.assert_array_equal(x[0].numpy(), make_clip(kp, cfg, sample_indices(90, 24, False, None, 0, 4)))


def test_dataset_test_flip_appends_the_mirrored_clips():
    seqs = [SkeletonSequence(_kp(t=90, seed=3), label=1, layout="kinect20", name="a")]
    cfg = PreprocessConfig(layout="kinect20", window=24, modality="j")
    x, _ = SkeletonDataset(seqs, cfg, train=False, num_clips=3, test_flip=True)[0]
    assert x.shape == (6, 1, 24, 20, 3)
    kp, _ = prepare_sequence(seqs[0].keypoint, cfg)
    for k in range(3):
        idx = sample_indices(90, 24, False, None, k, 3)
        np.testing.assert_array_equal(x[k].numpy(), make_clip(kp, cfg, idx))
        np.testing.assert_array_equal(x[3 + k].numpy(), make_clip(flip(kp, "kinect20")[0], cfg, idx))
    single, _ = SkeletonDataset(seqs, cfg, train=False, test_flip=True)[0]
    assert single.shape == (2, 1, 24, 20, 3)
    with pytest.raises(UserError, match="evaluation"):
        SkeletonDataset(seqs, cfg, train=True, test_flip=True)


def test_dataset_test_yaw_adds_turned_views_in_order():
    seqs = [SkeletonSequence(_kp(t=90, seed=4), label=2, layout="kinect20", name="a")]
    cfg = PreprocessConfig(layout="kinect20", window=24, modality="j")
    x, _ = SkeletonDataset(seqs, cfg, train=False, num_clips=2, test_yaw=(-0.5, 0.5))[0]
    assert x.shape == (6, 1, 24, 20, 3)
    kp, _ = prepare_sequence(seqs[0].keypoint, cfg)
    for v, angle in enumerate((0.0, -0.5, 0.5)):
        for k in range(2):
            idx = sample_indices(90, 24, False, None, k, 2)
            np.testing.assert_allclose(x[2 * v + k].numpy(), make_clip(rotate_yaw(kp, angle), cfg, idx), atol=1e-6)
    # a turn keeps heights and the distance from the vertical axis, and changes x/z
    x = x.numpy()
    np.testing.assert_allclose(x[2, ..., 1], x[0, ..., 1], atol=1e-6)
    np.testing.assert_allclose(np.hypot(x[2, ..., 0], x[2, ..., 2]), np.hypot(x[0, ..., 0], x[0, ..., 2]), atol=1e-5)
    assert not np.allclose(x[2], x[0])
    # with test_flip every view's mirrored clips follow all unturned/turned clips
    both, _ = SkeletonDataset(seqs, cfg, train=False, test_flip=True, test_yaw=(0.5,))[0]
    assert both.shape == (4, 1, 24, 20, 3)
    idx = sample_indices(90, 24, False, None, 0, 1)
    np.testing.assert_allclose(both[3].numpy(), make_clip(flip(rotate_yaw(kp, 0.5), "kinect20")[0], cfg, idx),
                               atol=1e-6)
    with pytest.raises(UserError, match="evaluation"):
        SkeletonDataset(seqs, cfg, train=True, test_yaw=(0.5,))
    with pytest.raises(UserError, match="finite"):
        SkeletonDataset(seqs, cfg, train=False, test_yaw=(float("nan"),))
    # uncentred data turns about its own vertical axis (the present joints' mean x, z), not the camera's
    raw = PreprocessConfig(layout="kinect20", window=24, modality="j", center=False, scale=False)
    xr, _ = SkeletonDataset(seqs, raw, train=False, test_yaw=(0.5,))[0]
    kpr, _ = prepare_sequence(seqs[0].keypoint, raw)
    present = np.any(kpr != 0, axis=-1)
    cx, cz = kpr[..., 0][present].mean(), kpr[..., 2][present].mean()
    np.testing.assert_allclose(xr[1].numpy(), make_clip(rotate_yaw(kpr, 0.5, cx, cz), raw, idx), atol=1e-5)
    flat = [SkeletonSequence(_kp(t=30, seed=1)[..., :2], label=0, layout="kinect20", name="b")]
    with pytest.raises(UserError, match="3D"):
        SkeletonDataset(flat, PreprocessConfig(layout="kinect20", window=8), train=False, test_yaw=(0.5,))


def test_rotate_yaw_turns_about_a_given_centre_and_keeps_missing_joints():
    x = _kp(t=5, seed=2)
    x[0, 1, 3] = 0  # a missing joint
    turned = rotate_yaw(x, 0.7, center_x=1.0, center_z=-2.0)
    assert np.all(turned[0, 1, 3] == 0)
    present = np.any(x != 0, axis=-1)
    np.testing.assert_allclose(turned[..., 1], x[..., 1], atol=1e-6)
    r_before = np.hypot(x[..., 0] - 1.0, x[..., 2] + 2.0)[present]
    r_after = np.hypot(turned[..., 0] - 1.0, turned[..., 2] + 2.0)[present]
    np.testing.assert_allclose(r_after, r_before, atol=1e-5)
    np.testing.assert_allclose(rotate_yaw(turned, -0.7, 1.0, -2.0)[present], x[present], atol=1e-5)
    with pytest.raises(UserError, match="3D"):
        rotate_yaw(x[..., :2], 0.3)


def test_dataset_train_mode_is_seeded_and_random():
    seqs = [SkeletonSequence(_kp(t=40, seed=s), label=s, layout="kinect20") for s in range(4)]
    cfg = PreprocessConfig(layout="kinect20", window=16)
    a = SkeletonDataset(seqs, cfg, train=True, augment=AugmentConfig(), seed=7)
    b = SkeletonDataset(seqs, cfg, train=True, augment=AugmentConfig(), seed=7)
    torch.manual_seed(0)
    xa = a[0][0]
    torch.manual_seed(0)
    xb = b[0][0]
    assert xa.shape == (1, 16, 20, 3)
    torch.testing.assert_close(xa, xb)  # reproducible from the torch RNG state
    assert not torch.equal(a[0][0], xa)  # the next draw differs
    torch.manual_seed(0)
    c = SkeletonDataset(seqs, cfg, train=True, augment=AugmentConfig(), seed=8)
    assert not torch.equal(c[0][0], xa)  # and the seed matters
    with pytest.raises(UserError, match="expects kinect20"):
        SkeletonDataset([SkeletonSequence(_kp(v=25), 0, "ntu25")], cfg, train=False)


def test_dataset_workers_have_their_own_rng():
    seqs = [SkeletonSequence(_kp(t=40, seed=0), label=0, layout="kinect20") for _ in range(4)]
    ds = SkeletonDataset(seqs, PreprocessConfig(layout="kinect20", window=16), train=True, augment=AugmentConfig())
    torch.manual_seed(0)
    loader = torch.utils.data.DataLoader(ds, batch_size=1, num_workers=2)
    first = [x for x, _ in loader]
    assert not torch.equal(first[0], first[1])  # same sequence, two workers: different draws
    torch.manual_seed(0)
    again = [x for x, _ in loader]
    for p, q in zip(first, again):
        torch.testing.assert_close(p, q)  # reproducible under torch.manual_seed


# --- pyskl -------------------------------------------------------------------------------------------------


def _pyskl(tmp_path, **override) -> Path:
    anns = [
        {"frame_dir": f"s{i}", "label": i % 3, "keypoint": _kp(m=2, t=5 + i, v=25, seed=i),
         "keypoint_score": np.ones((2, 5 + i, 25), np.float32), "total_frames": 5 + i}
        for i in range(5)
    ]  # fmt: skip
    data = {"split": {"xsub_train": ["s0", "s1", "s2"], "xsub_val": ["s3", "s4"], "empty": []}, "annotations": anns}
    data.update(override)
    path = tmp_path / "tiny.pkl"
    path.write_bytes(pickle.dumps(data))
    return path


def test_pyskl_loads_a_split(tmp_path):
    path = _pyskl(tmp_path)
    seqs = load_pyskl(path, "xsub_val", "ntu25")
    assert [s.name for s in seqs] == ["s3", "s4"] and [s.label for s in seqs] == [0, 1]
    assert seqs[0].keypoint.shape == (2, 8, 25, 3) and seqs[0].score.shape == (2, 8, 25)
    ds = load_dataset(DatasetSpec(kind="pyskl", path=str(path), split="xsub_train", layout="ntu25"))
    assert len(ds.sequences) == 3 and ds.label_names == ["class_0", "class_1", "class_2"] and ds.layout == "ntu25"
    names = tmp_path / "names.txt"
    names.write_text("a\nb\n\nc\n")
    spec = DatasetSpec(kind="pyskl", path=str(path), split="all", layout="ntu25",
                       options={"label_names_file": str(names)})  # fmt: skip
    seqs, label_names = load_dataset(spec)  # unpacks like a tuple
    assert len(seqs) == 5 and label_names == ["a", "b", "c"]
    assert DatasetSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(UserError, match="unknown pyskl dataset option 'label_by'; known options: label_names_file"):
        DatasetSpec(kind="pyskl", options={"label_by": "subject"})


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: p.parent / "absent.pkl", "not found"),
        (lambda p: (p.write_text("hello, not a pickle"), p)[1], "not a readable pickle"),
        (lambda p: (p.write_bytes(p.read_bytes()[:40]), p)[1], "not a readable pickle"),
        (lambda p: (p.write_bytes(pickle.dumps([1, 2])), p)[1], "expected a dict"),
        (lambda p: (p.write_bytes(pickle.dumps({"annotations": []})), p)[1], "missing key 'split'"),
    ],
)
def test_pyskl_bad_files(tmp_path, make, match):
    path = make(_pyskl(tmp_path))
    with pytest.raises(UserError, match=match):
        load_pyskl(path, "xsub_train", "ntu25")


def test_pyskl_split_keeps_the_names_with_an_annotation(tmp_path, capsys):
    """As PYSKL reads a file: a split's names without an annotation are dropped (counted in a note), not fatal."""
    path = _pyskl(tmp_path, split={"train": ["s0", "gone", "s2", "lost"]})
    seqs = load_pyskl(path, "train", "ntu25")
    assert [s.name for s in seqs] == ["s0", "s2"]
    assert "2 of 4 names of split 'train' have no annotation and are skipped, e.g. 'gone'" in capsys.readouterr().err


def test_pyskl_samples_named_by_filename(tmp_path):
    """PYSKL names a sample by 'filename' when it has no 'frame_dir'."""
    anns = [{"filename": f"v{i}.mp4", "label": i, "keypoint": _kp(m=1, t=6, v=25, seed=i)} for i in range(3)]
    path = _pyskl(tmp_path, split={"train": ["v0.mp4", "v2.mp4"]}, annotations=anns)
    seqs = load_pyskl(path, "train", "ntu25")
    assert [(s.name, s.label) for s in seqs] == [("v0.mp4", 0), ("v2.mp4", 2)]


def test_pyskl_clip_with_nobody_detected(tmp_path, capsys):
    """A clip where pose extraction found nobody (M = 0, as PYSKL writes it) is one all-missing skeleton, with a note."""
    anns = [{"frame_dir": "seen", "label": 0, "keypoint": _kp(m=1, t=6, v=17, seed=0)[..., :2],
             "keypoint_score": np.ones((1, 6, 17), np.float16)},
            {"frame_dir": "nobody", "label": 1, "keypoint": np.zeros((0, 9, 17, 2), np.float16),
             "keypoint_score": np.zeros((0, 9, 17), np.float16)}]  # fmt: skip
    path = _pyskl(tmp_path, split={"train": ["seen", "nobody"]}, annotations=anns)
    seen, nobody = load_pyskl(path, "train", "coco17")
    assert nobody.keypoint.shape == (1, 9, 17, 2) and not nobody.keypoint.any() and not nobody.score.any()
    assert seen.keypoint.any()
    assert "1 of 2 samples of split 'train' hold no detected joint (kept" in capsys.readouterr().err
    empty = _pyskl(tmp_path, annotations=[{"frame_dir": "s0", "label": 0, "keypoint": np.zeros((1, 0, 17, 2))}])
    with pytest.raises(UserError, match="is empty"):
        load_pyskl(empty, "all", "coco17")


def test_pyskl_bad_contents(tmp_path):
    path = _pyskl(tmp_path)
    with pytest.raises(UserError, match="unknown split 'train'; available splits: empty, xsub_train, xsub_val"):
        load_pyskl(path, "train", "ntu25")
    with pytest.raises(UserError, match="has 25 joints but layout kinect20 has 20"):
        load_pyskl(path, "xsub_train", "kinect20")
    with pytest.raises(UserError, match="split 'empty' is empty"):
        load_pyskl(path, "empty", "ntu25")
    with pytest.raises(UserError, match="unknown skeleton layout"):
        load_pyskl(path, "xsub_train", "nope")
    bad = _pyskl(tmp_path, annotations=[{"frame_dir": "s0", "label": 0}])
    with pytest.raises(UserError, match="has no 'keypoint'"):
        load_pyskl(bad, "all", "ntu25")
    bad = _pyskl(tmp_path, annotations=[{"label": 0, "keypoint": _kp(m=1, t=5, v=25, seed=0)}])
    with pytest.raises(UserError, match="has no 'frame_dir' \\(nor 'filename'\\)"):
        load_pyskl(bad, "all", "ntu25")
    bad = _pyskl(tmp_path, split={"a": ["zz", "yy"]})
    with pytest.raises(UserError, match="none of the 2 names of split 'a' has an annotation, e.g. 'zz'"):
        load_pyskl(bad, "a", "ntu25")
    with pytest.raises(UserError, match="needs a layout"):
        load_dataset(DatasetSpec(kind="pyskl", path=str(path)))


# --- NW-UCLA -------------------------------------------------------------------------------------------------


def _ucla_folder(tmp_path) -> Path:
    folder = tmp_path / "nw_ucla" / "all_sqe"
    folder.mkdir(parents=True)
    files = {"a01_s01_e00_v01": 1, "a04_s02_e01_v02": 4, "a12_s03_e00_v03": 10, "a04_s05_e00_v03": 4,
             "a08_s02_e00_v01": 7}  # fmt: skip
    for i, (stem, label) in enumerate(files.items()):
        t = 1 if i == 0 else 3 + i
        record = {"file_name": stem, "skeletons": _kp(t=t, seed=i)[0].tolist(), "label": label}
        (folder / f"{stem}.json").write_text(json.dumps(record))
    return folder.parent


def test_nw_ucla_splits_labels_and_names(tmp_path):
    root = _ucla_folder(tmp_path)
    train = load_nw_ucla(root, "train")
    assert [s.name for s in train] == ["a01_s01_e00_v01", "a04_s02_e01_v02", "a08_s02_e00_v01"]
    assert [s.label for s in train] == [0, 3, 6] and train[0].keypoint.shape == (1, 1, 20, 3)
    val = load_nw_ucla(root / "all_sqe", "val")
    assert [s.label for s in val] == [3, 9] and all(s.layout == "kinect20" for s in val)
    ident = parse_nw_ucla_name(val[1].name)
    assert (ident.action, ident.subject, ident.repetition, ident.view, ident.label) == (12, 3, 0, 3, 9)
    walks = load_nw_ucla(root, "all", actions=[3], label_by="subject")
    assert [s.label for s in walks] == [1, 4]  # subjects 2 and 5
    by_view = split_by(walks, lambda s: parse_nw_ucla_name(s.name).view)
    assert sorted(by_view) == [2, 3]
    relabelled, names = relabel(train, lambda s: f"s{parse_nw_ucla_name(s.name).subject}")
    assert names == ["s1", "s2"] and [s.label for s in relabelled] == [0, 1, 1] and train[2].label == 6
    ds = load_dataset({"kind": "nw_ucla", "path": str(root), "split": "val", "layout": "kinect20"})
    assert ds.label_names == list(NW_UCLA_LABELS) and len(ds.sequences) == 2 and ds.layout == "kinect20"
    opts = {"label_by": "subject", "actions": [3], "views": [3]}
    seqs, names = load_dataset(DatasetSpec(kind="nw_ucla", path=str(root), split="all", options=opts))
    assert [s.label for s in seqs] == [4] and names[4] == "subject_05"
    # one camera per split: a validation protocol that never touches view 3
    views = {v: [s.name for s in load_nw_ucla(root, f"view{v}")] for v in (1, 2, 3)}
    assert views == {1: ["a01_s01_e00_v01", "a08_s02_e00_v01"], 2: ["a04_s02_e01_v02"],
                     3: ["a04_s05_e00_v03", "a12_s03_e00_v03"]}  # fmt: skip


def test_nw_ucla_bad_inputs(tmp_path):
    root = _ucla_folder(tmp_path)
    with pytest.raises(UserError, match="available splits: train, val, all"):
        load_nw_ucla(root, "test")
    with pytest.raises(UserError, match="not found"):
        load_nw_ucla(tmp_path / "nowhere")
    with pytest.raises(UserError, match="is empty"):
        load_nw_ucla(root, "train", actions=[9])
    (root / "all_sqe" / "a02_s01_e00_v01.json").write_text('{"skeletons": [[[0, 0')
    with pytest.raises(UserError, match="not a valid NW-UCLA json"):
        load_nw_ucla(root, "train")
    (root / "all_sqe" / "a02_s01_e00_v01.json").write_text(json.dumps({"skeletons": [[[0, 0, 0]] * 20], "label": 5}))
    with pytest.raises(UserError, match="does not match action a02"):
        load_nw_ucla(root, "train")
    with pytest.raises(UserError, match="kinect20, not ntu25"):
        load_dataset(DatasetSpec(kind="nw_ucla", path=str(root), layout="ntu25"))


@needs_shared("data/nw_ucla/all_sqe", "data/nw_ucla/val_label.pkl")
def test_nw_ucla_real_cross_view_counts():
    train = load_nw_ucla(NW_UCLA, "train")
    val = load_nw_ucla(NW_UCLA, "val")
    assert (len(train), len(val)) == (1020, 464)
    with (NW_UCLA / "val_label.pkl").open("rb") as f:  # trusted: the shared dataset release
        reference = pickle.load(f)
    assert {s.name: s.label for s in val} == {r["file_name"]: r["label"] - 1 for r in reference}
    assert min(s.num_frames for s in train + val) == 1


# --- recordings -------------------------------------------------------------------------------------------------


def test_recordings_roundtrip_and_labels(tmp_path):
    seq = SkeletonSequence(_kp(t=6, v=33), label=-1, layout="mediapipe33", score=np.ones((1, 6, 33), np.float32))
    p1 = save_recording(tmp_path / "rec" / "wave_1", seq, "wave", fps=30)
    save_recording(tmp_path / "rec" / "clap_1.npz", SkeletonSequence(_kp(t=3, v=33), -1, "mediapipe33"), "clap", 25)
    assert p1.name == "wave_1.npz" and sorted(x.name for x in (tmp_path / "rec").iterdir()) == [
        "clap_1.npz",
        "wave_1.npz",
    ]  # no temp files left
    rec = load_recording(p1)
    np.testing.assert_array_equal(rec.sequence.keypoint, seq.keypoint)
    assert (rec.label_name, rec.fps, rec.sequence.layout) == ("wave", 30.0, "mediapipe33")
    seqs, names = load_recordings(tmp_path / "rec")
    assert names == ["clap", "wave"] and [s.label for s in seqs] == [0, 1]
    seqs, names = load_recordings([p1], label_names=["idle", "wave"])
    assert seqs[0].label == 1 and names == ["idle", "wave"]
    with pytest.raises(UserError, match="not in the label list: clap"):
        load_recordings(tmp_path / "rec", label_names=["wave"])
    ds = load_dataset(DatasetSpec(kind="recordings", path=str(tmp_path / "rec"), split="all"))
    assert ds.layout == "mediapipe33" and len(ds.sequences) == 2
    # no split subfolders: split by source video (one video per action here, so nothing is held out)
    assert len(load_dataset(DatasetSpec(kind="recordings", path=str(tmp_path / "rec"))).sequences) == 2
    (tmp_path / "rec" / "val").mkdir()
    with pytest.raises(UserError, match="no 'train' subfolder"):
        load_dataset(DatasetSpec(kind="recordings", path=str(tmp_path / "rec")))


def test_recordings_bad_inputs(tmp_path):
    save_recording(tmp_path / "a.npz", SkeletonSequence(_kp(v=33), -1, "mediapipe33"), "x", 30)
    save_recording(tmp_path / "b.npz", SkeletonSequence(_kp(v=17), -1, "coco17"), "x", 30)
    with pytest.raises(UserError, match="mix layouts"):
        load_recordings(tmp_path)
    with pytest.raises(UserError, match="but ntu25 was requested"):
        load_recordings([tmp_path / "a.npz"], layout="ntu25")
    (tmp_path / "c.npz").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a readable .npz"):
        load_recording(tmp_path / "c.npz")
    np.savez(tmp_path / "d.npz", keypoint=_kp(v=33))
    with pytest.raises(UserError, match="missing label_name, layout, fps"):
        load_recording(tmp_path / "d.npz")
    with pytest.raises(UserError, match="no .npz recordings"):
        load_recordings([])
    with pytest.raises(UserError, match="fps"):
        save_recording(tmp_path / "e.npz", SkeletonSequence(_kp(v=33), -1, "mediapipe33"), "x", 0)


def test_unknown_kind_is_a_user_error():
    with pytest.raises(UserError, match="unknown dataset kind"):
        DatasetSpec(kind="kinetics")


def test_synthetic_kind_loads_what_the_trainer_loads():
    from aclnet_core.data.synthetic import ACTION_NAMES
    from aclnet_core.data.synthetic_dataset import load_synthetic_split
    from aclnet_core.train.config import DataConfig

    options = {"n_eval_per_class": 1, "seed": 4}
    sequences, names = load_dataset(DatasetSpec(kind="synthetic", split="val", layout="kinect20", options=options))
    reference, _ = load_synthetic_split(DataConfig(kind="synthetic", layout="kinect20", options=options), "val")
    assert names == list(ACTION_NAMES) and [s.label for s in sequences] == list(range(len(ACTION_NAMES)))
    assert [s.name for s in sequences] == [s.name for s in reference]
    assert all(s.layout == "kinect20" and np.array_equal(s.keypoint, r.keypoint) for s, r in zip(sequences, reference))
    default, _ = load_dataset(DatasetSpec(kind="synthetic", split="val", options=options))  # no layout: MediaPipe-33
    assert default[0].layout == "mediapipe33" and default[0].keypoint.shape[-2] == 33
    with pytest.raises(UserError, match="unknown synthetic split"):
        load_dataset(DatasetSpec(kind="synthetic", split="nope", options=options))
