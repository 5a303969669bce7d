"""Skeleton layouts: self-consistency, names, centre/torso helpers and the bone tree."""

import re
from pathlib import Path

import numpy as np
import pytest

from aclnet_core.data.modalities import apply_modality
from aclnet_core.errors import UserError
from aclnet_core.skeleton.layouts import LAYOUTS, get_layout, layout_names

ALL = sorted(LAYOUTS)


def _side(name: str) -> tuple[str, str] | None:
    """('left'|'right', the rest of the name) for a sided joint name, else None."""
    for side in ("left", "right"):
        for token in (f"{side}_", f"_{side}"):
            if token in name:
                return side, name.replace(token, "_")
    return None


def test_known_names_and_sizes():
    assert layout_names() == ["coco17", "kinect20", "mediapipe33", "ntu25"]
    assert {n: LAYOUTS[n].num_joints for n in ALL} == {"coco17": 17, "kinect20": 20, "mediapipe33": 33, "ntu25": 25}


def test_get_layout_unknown_lists_names():
    with pytest.raises(UserError, match="known layouts: coco17, kinect20, mediapipe33, ntu25"):
        get_layout("openpose18")
    assert get_layout("ntu25") is LAYOUTS["ntu25"]
    assert get_layout(LAYOUTS["coco17"]) is LAYOUTS["coco17"]


@pytest.mark.parametrize("name", ALL)
def test_parents_form_one_tree(name):
    lay = LAYOUTS[name]
    v = lay.num_joints
    assert len(lay.joints) == len(lay.parents) == v
    assert all(0 <= p < v for p in lay.parents)
    roots = [i for i, p in enumerate(lay.parents) if p == i]
    assert roots == [lay.root]
    for j in range(v):  # every joint reaches the root without a cycle
        steps = 0
        while lay.parents[j] != j:
            j, steps = lay.parents[j], steps + 1
            assert steps <= v
        assert j == lay.root


@pytest.mark.parametrize("name", ALL)
def test_flip_pairs_symmetric_disjoint_and_named(name):
    lay = LAYOUTS[name]
    flat = [j for pair in lay.flip_pairs for j in pair]
    assert len(flat) == len(set(flat))
    perm = lay.flip_permutation
    np.testing.assert_array_equal(perm[perm], np.arange(lay.num_joints))
    for left, right in lay.flip_pairs:
        sl, sr = _side(lay.joints[left]), _side(lay.joints[right])
        assert sl is not None and sr is not None, (lay.joints[left], lay.joints[right])
        assert sl[0] == "left" and sr[0] == "right" and sl[1] == sr[1]
    unpaired = [lay.joints[j] for j in range(lay.num_joints) if j not in flat]
    assert all(_side(n) is None for n in unpaired), unpaired  # every sided joint has a partner


@pytest.mark.parametrize("name", ALL)
def test_hips_shoulders_named_and_bones_zero_only_at_root(name):
    lay = LAYOUTS[name]
    assert "hip" in lay.joints[lay.hips[0]] and "left" in lay.joints[lay.hips[0]]
    assert "hip" in lay.joints[lay.hips[1]] and "right" in lay.joints[lay.hips[1]]
    assert "shoulder" in lay.joints[lay.shoulders[0]] and "left" in lay.joints[lay.shoulders[0]]
    assert "shoulder" in lay.joints[lay.shoulders[1]] and "right" in lay.joints[lay.shoulders[1]]
    kp = np.random.default_rng(0).normal(size=(1, 2, lay.num_joints, 3)).astype(np.float32)
    for modality in ("b", "k"):
        zero = np.all(apply_modality(kp, modality, lay)[0, 0] == 0, axis=-1)
        assert np.flatnonzero(zero).tolist() == [lay.root], modality


def test_standard_joint_orders():
    mp = LAYOUTS["mediapipe33"]
    assert (mp.joints[0], mp.joints[11], mp.joints[12], mp.joints[23], mp.joints[24], mp.joints[32]) == (
        "nose",
        "left_shoulder",
        "right_shoulder",
        "left_hip",
        "right_hip",
        "right_foot_index",
    )
    assert mp.root == 23 and mp.center is None
    ntu = LAYOUTS["ntu25"]
    assert (ntu.joints[0], ntu.joints[1], ntu.joints[20], ntu.joints[24]) == (
        "spine_base",
        "spine_mid",
        "spine_shoulder",
        "right_thumb",
    )
    kin = LAYOUTS["kinect20"]
    assert (kin.joints[0], kin.joints[3], kin.joints[19]) == ("hip_center", "head", "foot_right")
    assert LAYOUTS["coco17"].joints[16] == "right_ankle"
    assert ntu.y_up and kin.y_up and not mp.y_up and not LAYOUTS["coco17"].y_up


def test_center_and_torso_helpers():
    rng = np.random.default_rng(1)
    mp = LAYOUTS["mediapipe33"]
    kp = rng.normal(size=(4, 33, 3))
    np.testing.assert_allclose(mp.center_of(kp), (kp[:, 23] + kp[:, 24]) / 2)
    mid_s = (kp[:, 11] + kp[:, 12]) / 2
    np.testing.assert_allclose(mp.torso_length(kp), np.linalg.norm(mid_s - mp.center_of(kp), axis=-1))
    ntu = LAYOUTS["ntu25"]
    kp = rng.normal(size=(2, 3, 25, 2))
    np.testing.assert_allclose(ntu.center_of(kp), kp[..., 1, :])
    np.testing.assert_allclose(ntu.torso_length(kp), np.linalg.norm(kp[..., 0, :] - kp[..., 20, :], axis=-1))


def test_docs_tables_match_the_code():
    doc = Path(__file__).resolve().parents[1] / "docs" / "LAYOUTS.md"
    text = doc.read_text(encoding="utf-8")
    for name, lay in LAYOUTS.items():
        section = text.split(f"### `{name}`", 1)[1].split("###", 1)[0]
        rows = re.findall(r"^\| (\d+) \| (\w+) \| (?:(\d+) \w+|— \(root\)) \|", section, flags=re.MULTILINE)
        assert [int(i) for i, _, _ in rows] == list(range(lay.num_joints)), name
        assert tuple(j for _, j, _ in rows) == lay.joints, name
        assert tuple(int(p) if p else int(i) for i, _, p in rows) == lay.parents, name
