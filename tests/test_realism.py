"""Realism statistics of world landmarks (aclnet_core.eval.realism) on hand-made clips."""

from __future__ import annotations

import numpy as np
import pytest

from aclnet_core.errors import UserError
from aclnet_core.eval.realism import clip_stats, format_table, main, recording_stats


def still_body(frames: int = 30) -> np.ndarray:
    rng = np.random.default_rng(0)
    body = rng.uniform(-0.3, 0.3, (33, 3))
    body[0, 1], body[[27, 28], 1] = -0.8, 0.8  # nose above, ankles below: 1.6 m tall
    return np.repeat(body[None], frames, axis=0)


def test_a_still_rigid_body_has_no_jitter_and_constant_bones():
    world = still_body()
    world[5] = 0.0  # one lost frame
    stats = clip_stats(world, np.full((30, 33), 0.9), fps=30.0)
    assert stats["jitter_mm"] == pytest.approx(0.0, abs=1e-9)
    assert stats["bone_cv"] == pytest.approx(0.0, abs=1e-9)
    assert stats["height_m"] == pytest.approx(1.6)
    assert stats["lost"] == pytest.approx(1 / 30)
    assert stats["visibility"] == pytest.approx(0.9)


def test_jitter_is_the_median_second_difference_in_mm_at_30_fps():
    world = still_body(40)
    world[::2, :, 0] += 0.001  # +1 mm on every other frame: second differences of 2 mm in x
    assert clip_stats(world, None, fps=30.0)["jitter_mm"] == pytest.approx(2.0)
    assert clip_stats(world, None, fps=60.0)["jitter_mm"] == pytest.approx(8.0)  # per 30 fps frame: 4x


def test_bad_shapes_and_layouts_are_user_errors(tmp_path):
    from aclnet_core.data.recording import save_recording
    from aclnet_core.data.sequence import SkeletonSequence

    with pytest.raises(UserError):
        clip_stats(np.zeros((10, 25, 3)), None, 30.0)
    path = save_recording(tmp_path / "ntu", SkeletonSequence(np.zeros((1, 10, 25, 3), np.float32), -1, "ntu25"),
                          "x", 30.0)
    with pytest.raises(UserError, match="mediapipe33"):
        recording_stats(path)
    assert main([str(path), "--synthetic", "0"]) == 2


def test_cli_compares_a_recording_with_synthetic_clips(tmp_path, capsys):
    from aclnet_core.data.recording import save_recording
    from aclnet_core.data.sequence import SkeletonSequence

    world = still_body().astype(np.float32)[None]
    path = save_recording(tmp_path / "still", SkeletonSequence(world, -1, "mediapipe33"), "x", 30.0)
    out = tmp_path / "stats.json"
    assert main([str(path), "--synthetic", "18", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| still |" in table and "| synthetic action |" in table and "| synthetic gait |" in table
    import json

    rows = json.loads(out.read_text())
    assert rows["still"]["jitter_mm"] == 0.0 and rows["synthetic gait"]["jitter_mm"] > 0.1
    assert format_table({"a": {"lost": 0.5}}).splitlines()[2].startswith("| a |")
