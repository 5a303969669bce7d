"""MediaPipe-33 -> COCO-17 / Kinect-20 / NTU-25 conversion."""

import numpy as np
import pytest

from aclnet_core.errors import UserError
from aclnet_core.skeleton.convert import (
    NECK_FRACTION_NTU,
    SPINE_FRACTION_KINECT,
    conversion_matrix,
    convert,
    convert_score,
    mediapipe33_to_coco17,
    mediapipe33_to_kinect20,
    mediapipe33_to_ntu25,
    supported_conversions,
)
from aclnet_core.skeleton.layouts import LAYOUTS

MP = LAYOUTS["mediapipe33"]


def _pose() -> np.ndarray:
    """A MediaPipe pose (33, 3) with distinct, non-zero joints."""
    return np.random.default_rng(0).uniform(0.5, 2.0, size=(33, 3)).astype(np.float32)


def _flip_xy(p: np.ndarray) -> np.ndarray:
    return p * np.array([-1, -1, 1], dtype=p.dtype)


def test_coco17_is_a_name_mapping():
    pose = _pose()
    coco = mediapipe33_to_coco17(pose)
    assert coco.shape == (17, 3)
    for i, name in enumerate(LAYOUTS["coco17"].joints):
        np.testing.assert_array_equal(coco[i], pose[MP.index(name)], err_msg=name)


def test_kinect20_named_and_synthesised_joints():
    pose = _pose()
    kin = mediapipe33_to_kinect20(pose)
    lay = LAYOUTS["kinect20"]
    assert kin.shape == (20, 3)
    back = _flip_xy(kin)  # undo the 180° rotation into the y-up convention
    mid_hip, mid_sh = (pose[23] + pose[24]) / 2, (pose[11] + pose[12]) / 2
    expect = {
        "hip_center": mid_hip, "shoulder_center": mid_sh, "head": (pose[7] + pose[8]) / 2,
        "spine": mid_hip + SPINE_FRACTION_KINECT * (mid_sh - mid_hip),
        "shoulder_left": pose[11], "elbow_right": pose[14], "wrist_left": pose[15],
        "hand_left": (pose[17] + pose[19]) / 2, "hand_right": (pose[18] + pose[20]) / 2,
        "hip_right": pose[24], "knee_left": pose[25], "ankle_right": pose[28], "foot_left": pose[31],
        "foot_right": pose[32],
    }  # fmt: skip
    for name, value in expect.items():
        np.testing.assert_allclose(back[lay.index(name)], value, rtol=1e-6, err_msg=name)


def test_ntu25_named_and_synthesised_joints():
    pose = _pose()
    ntu = _flip_xy(mediapipe33_to_ntu25(pose))
    lay = LAYOUTS["ntu25"]
    assert ntu.shape == (25, 3)
    mid_hip, mid_sh = (pose[23] + pose[24]) / 2, (pose[11] + pose[12]) / 2
    expect = {
        "spine_base": mid_hip, "spine_shoulder": mid_sh, "spine_mid": (mid_hip + mid_sh) / 2,
        "head": (pose[7] + pose[8]) / 2, "left_shoulder": pose[11], "right_wrist": pose[16],
        "left_hand_tip": pose[19], "right_thumb": pose[22], "left_foot": pose[31], "right_knee": pose[26],
    }  # fmt: skip
    for name, value in expect.items():
        np.testing.assert_allclose(ntu[lay.index(name)], value, rtol=1e-6, err_msg=name)
    mid_ear = (pose[7] + pose[8]) / 2
    np.testing.assert_allclose(ntu[lay.index("neck")], mid_sh + NECK_FRACTION_NTU * (mid_ear - mid_sh), rtol=1e-6)


@pytest.mark.parametrize("dst", ["coco17", "kinect20", "ntu25"])
def test_batch_shapes_2d_and_affine(dst):
    kp = np.random.default_rng(1).normal(size=(2, 5, 33, 2)).astype(np.float32)
    out = convert(kp, "mediapipe33", dst)
    assert out.shape == (2, 5, LAYOUTS[dst].num_joints, 2) and out.dtype == np.float32
    np.testing.assert_allclose(conversion_matrix("mediapipe33", dst).sum(axis=1), 1.0)  # weighted means
    shift = np.array([3.0, -2.0], dtype=np.float32)
    sign = -1 if LAYOUTS[dst].y_up else 1
    np.testing.assert_allclose(convert(kp + shift, "mediapipe33", dst), out + sign * shift, atol=1e-5)


def test_chirality_is_kept():
    """A person facing the camera: MediaPipe has the left shoulder at larger x; Kinect (NW-UCLA) at smaller x."""
    pose = _pose()
    pose[11, 0], pose[12, 0] = 1.5, 0.5  # left shoulder on image right
    kin = mediapipe33_to_kinect20(pose)
    lay = LAYOUTS["kinect20"]
    assert kin[lay.index("shoulder_left"), 0] < kin[lay.index("shoulder_right"), 0]
    # and the head is above the hips in the y-up result
    pose[7:9, 1], pose[23:25, 1] = 0.2, 1.5  # image: head near the top (small y)
    kin = mediapipe33_to_kinect20(pose)
    assert kin[lay.index("head"), 1] > kin[lay.index("hip_center"), 1]


def test_missing_sources_give_missing_joints():
    kp = np.stack([_pose(), np.zeros((33, 3), np.float32)])  # second person absent
    kp[0, 23] = 0  # left hip missing
    kin = mediapipe33_to_kinect20(kp)
    lay = LAYOUTS["kinect20"]
    assert not kin[1].any()
    zero = [lay.joints[i] for i in np.flatnonzero(~kin[0].any(axis=-1))]
    assert zero == ["hip_center", "spine", "hip_left"]


def test_convert_dispatch_and_errors():
    kp = _pose()
    np.testing.assert_array_equal(convert(kp, "mediapipe33", "mediapipe33"), kp)
    assert ("mediapipe33", "ntu25") in supported_conversions()
    np.testing.assert_array_equal(convert(kp, "mediapipe33", "ntu25"), mediapipe33_to_ntu25(kp))
    with pytest.raises(UserError, match="cannot convert skeletons from ntu25 to coco17; supported"):
        convert(np.zeros((25, 3)), "ntu25", "coco17")
    with pytest.raises(UserError, match="unknown skeleton layout"):
        convert(kp, "mediapipe33", "smpl24")
    with pytest.raises(UserError, match=r"\(\.\.\., 33, C\)"):
        convert(np.zeros((17, 3)), "mediapipe33", "coco17")


def test_convert_score_takes_min_of_sources():
    score = np.linspace(0.1, 0.9, 33).astype(np.float32)
    out = convert_score(score, "mediapipe33", "kinect20")
    lay = LAYOUTS["kinect20"]
    assert out.shape == (20,)
    assert out[lay.index("hip_center")] == pytest.approx(min(score[23], score[24]))
    assert out[lay.index("wrist_left")] == pytest.approx(score[15])
