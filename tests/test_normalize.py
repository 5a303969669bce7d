"""normalize_sequence: centring, torso scale, view alignment, missing data."""

import numpy as np
import pytest

from aclnet_core.errors import UserError
from aclnet_core.skeleton.layouts import LAYOUTS
from aclnet_core.skeleton.normalize import normalize_sequence, rotation_y


def _standing(layout: str, t: int = 6, seed: int = 0) -> np.ndarray:
    """A (1, T, V, 3) person facing the camera in the layout's convention, ~0.5 torso, with some noise."""
    lay = LAYOUTS[layout]
    rng = np.random.default_rng(seed)
    up = 1.0 if lay.y_up else -1.0
    right = 1.0 if lay.y_up else -1.0  # y-up: right side at +x; y-down (image): right side at -x
    kp = rng.normal(0, 0.05, size=(1, t, lay.num_joints, 3)) + np.array([0.0, up * 0.25, 3.0])
    for (left_j, right_j), height in ((lay.hips, 0.0), (lay.shoulders, 0.5)):
        kp[0, :, left_j] = [-0.12 * right, up * height, 3.0]
        kp[0, :, right_j] = [0.12 * right, up * height, 3.0]
    if lay.torso is not None:
        kp[0, :, lay.torso[0]] = [0, 0, 3.0]
        kp[0, :, lay.torso[1]] = [0, up * 0.5, 3.0]
    kp[0, :, :, 0] += rng.normal(0, 0.01, size=(t, 1))  # a little sway
    return kp.astype(np.float32)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_centre_and_scale(layout):
    lay = LAYOUTS[layout]
    kp = _standing(layout) * 2.0 + np.array([5.0, -1.0, 2.0], dtype=np.float32)
    out = normalize_sequence(kp, layout)
    assert out.dtype == np.float32 and out.shape == kp.shape
    np.testing.assert_allclose(lay.center_of(out[0]).mean(axis=0), 0, atol=1e-5)
    assert np.median(lay.torso_length(out[0])) == pytest.approx(1.0, rel=1e-5)


def test_invariant_to_translation_and_scale():
    kp = _standing("ntu25", seed=3)
    a = normalize_sequence(kp, "ntu25")
    b = normalize_sequence(kp * 3.5 + np.array([1.0, 2.0, -4.0], dtype=np.float32), "ntu25")
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("layout", ["ntu25", "kinect20", "mediapipe33", "coco17"])
def test_align_puts_hips_on_x_facing_camera(layout):
    lay = LAYOUTS[layout]
    kp = _standing(layout, seed=1)
    centre = lay.center_of(kp[0]).mean(axis=0)
    turned = ((kp - centre) @ rotation_y(1.1).T + centre).astype(np.float32)  # turn the person about y
    out = normalize_sequence(turned, layout, align=True)
    hip = out[0, :, lay.hips[1]] - out[0, :, lay.hips[0]]  # right minus left
    np.testing.assert_allclose(hip[:, 2], 0, atol=0.05)  # on the x axis (per-frame noise only)
    sign = 1 if lay.y_up else -1
    assert np.all(sign * hip[:, 0] > 0)
    np.testing.assert_allclose(out, normalize_sequence(kp, layout, align=True), atol=0.05)  # same as unturned
    up = out[0, :, lay.shoulders[0], 1] - out[0, :, lay.hips[0], 1]
    assert np.all(up * (1 if lay.y_up else -1) > 0)  # rotation about y keeps up up


def test_align_is_a_noop_for_2d_and_keeps_lengths():
    kp = _standing("coco17")[..., :2]
    np.testing.assert_allclose(normalize_sequence(kp, "coco17", align=True), normalize_sequence(kp, "coco17"))
    kp3 = _standing("kinect20", seed=4)
    a = normalize_sequence(kp3, "kinect20", align=True)
    b = normalize_sequence(kp3, "kinect20", align=False)
    np.testing.assert_allclose(np.linalg.norm(a[0, :, 5] - a[0, :, 4], axis=-1),
                               np.linalg.norm(b[0, :, 5] - b[0, :, 4], axis=-1), atol=1e-5)  # fmt: skip


def test_missing_persons_frames_and_joints_stay_zero():
    kp = np.concatenate([_standing("ntu25"), np.zeros((1, 6, 25, 3), np.float32)])
    kp[0, 2] = 0  # a missing frame
    kp[0, 4, 7] = 0  # a missing joint
    out = normalize_sequence(kp, "ntu25", align=True)
    assert not out[1].any() and not out[0, 2].any() and not out[0, 4, 7].any()
    assert np.count_nonzero(np.any(out != 0, axis=-1)) == np.count_nonzero(np.any(kp != 0, axis=-1))


def test_reference_person_is_the_most_present():
    main = _standing("kinect20", seed=5)
    other = _standing("kinect20", seed=6) + np.array([2.0, 0, 0], np.float32)
    other[0, 1:] = 0  # present in one frame only
    out = normalize_sequence(np.concatenate([other, main]), "kinect20")
    np.testing.assert_allclose(LAYOUTS["kinect20"].center_of(out[1]).mean(axis=0), 0, atol=1e-5)


def test_degenerate_inputs_do_not_produce_nan():
    zeros = np.zeros((2, 4, 33, 3), np.float32)
    np.testing.assert_array_equal(normalize_sequence(zeros, "mediapipe33", align=True), zeros)
    point = np.ones((1, 3, 33, 3), np.float32)  # every joint at the same place: torso length 0
    out = normalize_sequence(point, "mediapipe33", align=True)
    assert np.isfinite(out).all()
    nan = _standing("mediapipe33")
    nan[0, 0, 5] = np.nan
    out = normalize_sequence(nan, "mediapipe33")
    assert np.isfinite(out).all() and not out[0, 0, 5].any()


def test_score_excludes_joints_from_statistics():
    kp = _standing("ntu25")
    bad = kp.copy()
    bad[0, 0, 1] = [9.0, 9.0, 9.0]  # an outlier centre joint in frame 0 ...
    score = np.ones(kp.shape[:3], np.float32)
    score[0, 0, 1] = 0  # ... that the tracker marked as unreliable
    ref = normalize_sequence(kp, "ntu25", score=score)
    out = normalize_sequence(bad, "ntu25", score=score)
    np.testing.assert_allclose(out[0, 1:], ref[0, 1:], atol=1e-5)  # the outlier did not move anything else
    assert not np.allclose(normalize_sequence(bad, "ntu25")[0, 1:], ref[0, 1:], atol=1e-3)  # without score it would


def test_bad_shape_is_a_user_error():
    with pytest.raises(UserError, match="ntu25"):
        normalize_sequence(np.zeros((1, 4, 20, 3)), "ntu25")
