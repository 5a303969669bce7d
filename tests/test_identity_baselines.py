"""Hand-crafted identity baselines: bone lengths and mean pose, nearest neighbour."""

from __future__ import annotations

import numpy as np
import pytest

from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError
from aclnet_core.eval import identity_baselines as ib
from aclnet_core.eval.identification import similarity_metrics
from aclnet_core.skeleton.layouts import get_layout

LAYOUT = get_layout("kinect20")


def _person(size: float, rng: np.random.Generator, label: int, frames: int = 12) -> SkeletonSequence:
    """A kinect20 skeleton whose joints sit at size-scaled offsets from their parents, with a little noise."""
    offsets = np.random.default_rng(0).normal(0, 0.2, (20, 3))                 # the same body plan for all
    joints = np.zeros((20, 3))
    for j, p in enumerate(LAYOUT.parents):
        if p != j:
            joints[j] = joints[p] + size * offsets[j]
    kp = joints[None, None] + rng.normal(0, 0.002, (1, frames, 20, 3))
    return SkeletonSequence(kp.astype(np.float32), label, "kinect20")


def test_bone_lengths_tell_people_of_different_sizes_apart():
    rng = np.random.default_rng(1)
    sizes = [0.8, 0.9, 1.0, 1.1]
    gallery = [_person(s, rng, i) for i, s in enumerate(sizes)]
    probe = [_person(s, rng, i) for i, s in enumerate(sizes)]
    g, gl = ib.baseline_features(gallery, "bones")
    p, pl = ib.baseline_features(probe, "bones")
    assert g.shape == (4, 20) and list(gl) == [0, 1, 2, 3]
    g_z, p_z = ib._standardise(g, p)
    assert similarity_metrics(ib.negative_distance(p_z, g_z), gl, pl).rank1 == 1.0
    both, _ = ib.baseline_features(gallery, "both")
    assert both.shape == (4, 20 + 60)
    assert ib._leave_one_out_rank1(np.concatenate([g, p]), np.concatenate([gl, pl])) == 1.0


def test_unknown_feature_and_bad_data_are_one_line_errors(capsys):
    with pytest.raises(UserError, match="unknown baseline feature"):
        ib.baseline_features([], "height")
    assert ib.main(["--kind", "nw_ucla", "--data", "/nonexistent", "--layout", "kinect20"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
