"""Issue #17, driven through the real main window over time (pytest-qt, offscreen): the shipped demo clip,
playback (seek while paused, play after a seek, seek-bar clicks, duration, status), the pose of the shown frame,
real-time playback with counted drops, one decision shown the same way, and what a failed source leaves.

Models are the tiny random checkpoints of test_gui_support; the pose stage is a stub unless a test needs
MediaPipe itself. Label names come from the model's metadata, never hard-coded.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QPoint, Qt
from test_gui import make_window, models, person_video, settings_file  # noqa: F401 - fixtures
from test_gui_support import VIDEO_FPS, VIDEO_FRAMES, ReplayPose, replay_pose_factory, save_artifact

from app.gui.main_window import MainWindow
from app.gui.source_spec import SourceSpec

WAIT_MS = 20000


def shown_position(window: MainWindow) -> float | None:
    return None if window.last_view is None else window.last_view.position


# ------------------------------------------------------------------------------------------------ demo clip
def test_shipped_demo_clip_is_real_licensed_and_packaged():
    from app.demo import DEMO_CLIP, demo_clip_path

    path = demo_clip_path()
    assert path.name == DEMO_CLIP and path.stat().st_size > 3_000_000
    attribution = (path.parent / "ATTRIBUTION").read_text()
    assert "CC BY 4.0" in attribution and "Intel" in attribution
    root = Path(__file__).resolve().parents[1]
    assert '"**/*.mp4"' in (root / "pyproject.toml").read_text()


def test_window_without_camera_plays_the_demo_clip_and_loops(qtbot, make_window):
    """No camera: the real clip plays (seekable, a real video frame); at its end it starts again."""
    window = make_window(source=None, pose_factory=replay_pose_factory([None]))
    assert window.session.spec == SourceSpec.demo() and window.session.spec.seekable
    qtbot.waitUntil(lambda: window.last_view is not None, timeout=WAIT_MS)
    assert window.last_view.result.frame.size == (768, 432)
    assert window.source_picker.current() == SourceSpec.demo()
    assert SourceSpec.synthetic() in window.source_picker.specs()
    window.set_speed(0.0)
    window.seek(138.0)
    qtbot.waitUntil(lambda: (shown_position(window) or 0) > 138.5, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: shown_position(window) is not None and shown_position(window) < 5.0, timeout=WAIT_MS)
    assert window.session.spec == SourceSpec.demo() and window.session.running


def test_annotate_demo_uses_the_shipped_clip_and_synthetic_keeps_its_truth(tmp_path, monkeypatch):
    import json

    import main

    monkeypatch.chdir(tmp_path)
    args = main.build_parser().parse_args(["annotate", "--demo", "--max-frames", "3", "--pose-only", "--json",
                                           "--no-progress"])
    assert args.func(args) == 0
    timeline = json.loads((tmp_path / "demo.json").read_text())
    assert timeline["frames_processed"] == 3 and timeline["fps"] == 10.0
    from app.sources import VideoFileSource

    with VideoFileSource(tmp_path / "demo.mp4") as video:
        assert video.size == (768, 432)
    args = main.build_parser().parse_args(["annotate", "synthetic", "--max-frames", "120", "--json", "-o",
                                           "synthetic.mp4", "--no-progress"])
    assert args.func(args) == 0
    assert "truth" in json.loads((tmp_path / "synthetic.json").read_text())
