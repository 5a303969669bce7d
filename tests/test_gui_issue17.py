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


# ------------------------------------------------------------------------------------------------ playback
class SlowPose(ReplayPose):
    """The replayed pose, `delay` seconds per frame (a pose model slower than the video)."""

    def __init__(self, skeletons, delay: float) -> None:
        super().__init__(skeletons)
        self.delay = delay

    def detect(self, frame):
        time.sleep(self.delay)
        return super().detect(frame)


def open_paused_video(qtbot, make_window, person_video, pose_factory=None) -> MainWindow:
    video, skeletons = person_video
    window = make_window(source=SourceSpec.parse(video), pose_factory=pose_factory or replay_pose_factory(skeletons))
    qtbot.waitUntil(lambda: window.session_info is not None and window.last_view is not None, timeout=WAIT_MS)
    window.controls.play_button.click()  # pause
    assert not window.controls.playing
    return window


def test_seek_while_paused_stays_there_shows_the_person_and_play_continues_from_it(qtbot, make_window, person_video):
    window = open_paused_video(qtbot, make_window, person_video)
    duration = window.session_info.duration
    window.seek(1.6)
    assert "--:--" not in window.controls.time_label.text()  # the duration stays while the file reopens
    qtbot.waitUntil(lambda: (shown_position(window) or 0) >= 1.55, timeout=WAIT_MS)
    qtbot.wait(800)  # long after any queued seek of the slider
    assert shown_position(window) == pytest.approx(1.6, abs=0.05)
    assert window.session.control.paused and not window.controls.playing
    assert window.controls.slider.value() == 16
    assert window.controls.time_label.text().endswith(f"/ 00:0{duration:.1f}")
    assert "paused" in window.statusBar().currentMessage() and "playing" not in window.statusBar().currentMessage()
    # the paused frame shows its person (skeleton, id), and the scores panel names them
    assert window.last_view.result.tracks, "the shown frame has no skeleton"
    assert "No person in view" not in window.scores_panel.title.text()
    # play: it goes on from 1.6 s, not from the start
    window.set_speed(0.25)
    window.controls.play_button.click()
    assert "playing" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: shown_position(window) > 1.62, timeout=WAIT_MS)
    assert 1.6 < shown_position(window) < 2.0


def test_clicking_the_seek_bar_jumps_to_the_click(qtbot, make_window, person_video):
    window = open_paused_video(qtbot, make_window, person_video)
    slider = window.controls.slider
    qtbot.waitUntil(lambda: slider.isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(int(slider.width() * 0.8), slider.height() // 2))
    target = slider.value() / 10
    assert target > 1.6  # near 80 % of 2.56 s, not one page step (1 s) from the start
    qtbot.waitUntil(lambda: shown_position(window) is not None and abs(shown_position(window) - target) < 0.06,
                    timeout=WAIT_MS)


def test_one_x_keeps_to_the_clock_by_dropping_frames_and_counts_them(qtbot, make_window, person_video):
    """A pose stage at ~10 fps on a 25 fps video: 1× still advances one second per second; the drops are shown."""
    video, skeletons = person_video
    window = make_window(source=SourceSpec.parse(video), pose_factory=lambda options: SlowPose(skeletons, 0.1))
    qtbot.waitUntil(lambda: (shown_position(window) or 0) > 0.1, timeout=WAIT_MS)
    t0, p0 = time.perf_counter(), shown_position(window)
    qtbot.wait(1200)
    advanced, elapsed = shown_position(window) - p0, time.perf_counter() - t0
    assert advanced > 0.75 * elapsed, f"{advanced:.2f} s of video in {elapsed:.2f} s at 1x"
    qtbot.waitUntil(lambda: not window.session.running, timeout=WAIT_MS)
    dropped = int(window.stats_panel.text("dropped"))
    assert dropped > 0
    assert window.session.worker is not None


def test_max_speed_plays_every_frame(qtbot, make_window, person_video):
    video, skeletons = person_video
    pose = SlowPose(skeletons, 0.01)
    window = make_window(source=SourceSpec.parse(video), pose_factory=lambda options: pose)
    window.set_speed(0.0)
    qtbot.waitUntil(lambda: window.session_info is not None and not window.session.running, timeout=WAIT_MS)
    assert pose.calls == VIDEO_FRAMES and window.stats_panel.text("dropped") == "0"


def test_first_frame_shows_within_2_s_while_the_models_load(qtbot, make_window, person_video):
    video, skeletons = person_video
    window = make_window(pose_factory=replay_pose_factory(skeletons))
    qtbot.waitUntil(lambda: window.session_info is not None, timeout=WAIT_MS)
    load = window.models.load

    def slow_load(settings):
        time.sleep(4.0)
        return load(settings)

    window.models.load = slow_load
    started = time.perf_counter()
    window.start_source(SourceSpec.parse(video))
    qtbot.waitUntil(lambda: window.last_view is not None, timeout=WAIT_MS)
    assert time.perf_counter() - started < 2.0 and window.session_info is None  # still loading
    assert window.last_view.result.frame.size == (320, 240) and window.video.image is not None
    assert "Loading" in window.scores_panel.title.text()
    qtbot.waitUntil(lambda: window.last_view is not None and bool(window.last_view.result.tracks), timeout=WAIT_MS)
    assert window.last_view.position < 0.1  # the first frame itself, with its person


# ------------------------------------------------------------------------------------------------ one decision
def test_video_caption_and_scores_panel_show_one_decision(qtbot, make_window):
    """Frame after frame, the Scores panel says what the video caption says (same words, same score), and its
    bars are what that decision is based on: nothing at or above the threshold when it shows no_action."""
    from app.overlay import NO_ACTION
    from app.records import NO_ACTION as MODEL_NO_ACTION

    assert NO_ACTION == MODEL_NO_ACTION  # one spelling
    window = make_window()
    threshold = window.settings.label_threshold
    checked = 0
    deadline = time.monotonic() + 15
    while checked < 25 and time.monotonic() < deadline:
        qtbot.wait(60)
        view = window.last_view
        track = window.shown_track()
        prediction = view.result.predictions.get(track) if view is not None and track is not None else None
        if prediction is None:
            continue
        window._update_scores()
        title, bars = window.scores_panel.title.text(), window.scores_panel.shown()
        shown_label = prediction.label or NO_ACTION
        assert f"#{track} {shown_label}" in title, (title, prediction)
        if prediction.label is None:
            assert all(score < threshold for _, score in bars), (title, bars)
        else:
            assert f"{prediction.score:.2f}" in title
            assert dict(bars).get(prediction.label) == pytest.approx(prediction.score, abs=1e-3), (title, bars)
        checked += 1
    assert checked >= 10
