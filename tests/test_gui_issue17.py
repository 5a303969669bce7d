# ruff: noqa: F811 - the fixtures imported from test_gui are redefined as test arguments
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
from test_gui_support import VIDEO_FRAMES, ReplayPose, replay_pose_factory

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
    # without drops it advances 0.4 s per s (10 of 25 fps); with them about 1 s per s, less the lag noise
    assert advanced > 0.6 * elapsed, f"{advanced:.2f} s of video in {elapsed:.2f} s at 1x"
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


# ------------------------------------------------------------------------------------------------ several people
def two_people(skeletons: list) -> list:
    """Each frame's person twice: squeezed into the left and the right half of the frame."""

    from app.records import Skeleton

    pairs = []
    for skeleton in skeletons:
        if skeleton is None:
            pairs.append([])
            continue
        people = []
        for offset in (0.0, 0.5):
            image = skeleton.image.copy()
            image[:, 0] = offset + 0.5 * image[:, 0]
            people.append(Skeleton(image=image, world=skeleton.world.copy(), visibility=skeleton.visibility.copy(),
                                   presence=skeleton.presence.copy()))
        pairs.append(people)
    return pairs


class TwoPeoplePose(ReplayPose):
    """Both people of the frame, in a changing order (the tracker, not the list order, must keep the ids)."""

    options = None

    def detect(self, frame):
        from app.records import PoseResult

        self.calls += 1
        index = min(len(self.skeletons) - 1, max(0, round(frame.timestamp * self.fps)))
        people = list(self.skeletons[index])
        if frame.index % 2:
            people.reverse()
        return PoseResult(frame.index, frame.timestamp, people)


def test_two_people_get_two_steady_tracks_with_their_own_colours(qtbot, make_window, person_video):
    from app.gui.settings import GuiSettings
    from app.overlay import track_color
    from app.pose import PoseOptions

    assert GuiSettings().num_persons >= 2 and GuiSettings().pose_options().num_poses >= 2  # several by default
    assert PoseOptions(num_poses=2).mode == "auto"
    video, skeletons = person_video
    pose = TwoPeoplePose(two_people(skeletons))
    seen_options = []

    def factory(options):
        seen_options.append(options)
        return pose

    window = make_window(source=SourceSpec.parse(video), pose_factory=factory)
    window.set_speed(0.5)
    sides: dict[int, set[str]] = {}
    both = frames = 0
    deadline = time.monotonic() + 20
    while (window.session is None or window.session.running) and time.monotonic() < deadline:
        qtbot.wait(40)
        view = window.last_view
        if view is None or view.preview:
            continue
        frames += 1
        both += len(view.result.tracks) == 2
        for tracked in view.result.tracks:
            x = float(tracked.skeleton.image[:, 0].mean())
            sides.setdefault(tracked.track_id, set()).add("left" if x < 0.5 else "right")
    assert seen_options and seen_options[0].num_poses >= 2
    assert len(sides) == 2 and all(len(s) == 1 for s in sides.values()), sides  # no id jumps between people
    assert both >= 0.8 * frames
    # per-person colours: the Scores title wears the colour of the person it shows, as the skeleton does
    window.selected_track = max(sides)
    window._update_scores()
    b, g, r = track_color(max(sides))
    assert f"rgb({r}, {g}, {b})" in window.scores_panel.title.styleSheet()
    items = [window.timeline_panel.list.item(i) for i in range(window.timeline_panel.list.count())]
    coloured = {item.background().color().getRgb()[:3] for item in items if item.text().startswith("0")}
    assert coloured <= {tuple(reversed(track_color(t))) for t in sides} and coloured


def test_timeline_follows_the_newest_row_and_keeps_runs_apart(qtbot, make_window, person_video):
    from app.timeline import Segment

    video, skeletons = person_video
    window = make_window(source=SourceSpec.parse(video), pose_factory=replay_pose_factory(skeletons))
    panel = window.timeline_panel
    panel.resize(300, 150)

    def segment(i: int) -> Segment:
        return Segment(track_id=1 + i % 2, label="x", start_frame=i, end_frame=i + 1, start_time=i * 0.5,
                       end_time=i * 0.5 + 0.4, score=0.9, max_score=0.9, identity=None)

    for n in range(1, 60):
        panel.set_segments([segment(i) for i in range(n)])
        qtbot.wait(1)
    last = panel.list.item(panel.list.count() - 1)
    assert panel.list.visualItemRect(last).intersects(panel.list.viewport().rect())
    # a seek starts a new run: its rows come under their own header, not mixed with the earlier clock
    window.seek(1.0)
    assert panel.lines()[-1].startswith("—") and "00:01.0" in panel.lines()[-1]


# ------------------------------------------------------------------------------------------------ work that takes time
def test_export_runs_in_the_background_with_progress_cancel_and_open_folder(qtbot, make_window, person_video,
                                                                             tmp_path, monkeypatch):
    video, skeletons = person_video
    monkeypatch.setenv("ACLNET_EXPORT_DIR", str(tmp_path / "Videos"))
    window = make_window(source=SourceSpec.parse(video), pose_factory=lambda options: SlowPose(skeletons, 0.04))
    qtbot.waitUntil(lambda: window.session_info is not None, timeout=WAIT_MS)
    window.set_speed(0.25)  # keep the clip playing during the export
    dialog = window.open_export_dialog()
    assert not dialog.isModal()
    output = Path(dialog.output.text())
    assert output.parent == tmp_path / "Videos" and output.parent != Path(video).parent  # never beside the source
    dialog.start_button.click()
    dialog.reject()  # "Hide": the export goes on
    assert dialog.running and not dialog.isVisible()
    qtbot.waitUntil(lambda: window.export_status.isVisible() and window.export_status.bar.value() > 0, timeout=WAIT_MS)
    assert window.export_status.cancel_button.isVisible()
    before = window.video.frames_shown
    qtbot.wait(500)
    assert window.video.frames_shown > before  # the window keeps playing while it exports
    qtbot.waitUntil(lambda: dialog.state in ("done", "failed"), timeout=60000)
    assert dialog.state == "done", dialog.error
    assert output.is_file() and window.export_status.open_button.isVisible()
    opened = []
    monkeypatch.setattr("PyQt6.QtGui.QDesktopServices.openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    window.export_status.open_button.click()
    assert opened == [str(output.parent)]
    # a second export can be cancelled from the status bar; nothing is left behind
    dialog = window.open_export_dialog()
    second = Path(dialog.output.text())
    assert second != output
    dialog.start_button.click()
    qtbot.waitUntil(lambda: window.export_status.cancel_button.isVisible(), timeout=WAIT_MS)
    window.export_status.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.state == "cancelled", timeout=WAIT_MS)
    assert not second.exists() and "cancelled" in window.export_status.label.text()


# ------------------------------------------------------------------------------------------------ failed sources
def test_a_failed_source_leaves_nothing_of_the_previous_clip(qtbot, make_window, person_video, tmp_path):
    video, skeletons = person_video
    window = make_window(source=SourceSpec.parse(video), pose_factory=replay_pose_factory(skeletons))
    qtbot.waitUntil(lambda: window.stats_panel.text("pose") != "–" and bool(window.scores_panel.shown()),
                    timeout=WAIT_MS)
    assert window.controls.export_button.isEnabled()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video" * 100)
    window.open_path(broken)
    qtbot.waitUntil(lambda: window.last_error is not None and "broken.mp4" in window.last_error, timeout=WAIT_MS)
    qtbot.wait(300)  # late signals of the old session change nothing
    assert window.scores_panel.shown() == [] and window.last_view is None
    assert window.stats_panel.text("pose") == "–" and window.stats_panel.text("source") == "–"
    assert not window.controls.export_button.isEnabled()
    assert SourceSpec("file", str(broken)) not in window.source_picker.specs()
    assert window.open_export_dialog() is None


def test_a_stream_that_fails_says_why(qtbot, make_window):
    window = make_window()
    qtbot.waitUntil(lambda: window.session_info is not None, timeout=WAIT_MS)
    url = "http://127.0.0.1:9/live.mp4"  # the discard port: nothing listens
    window.start_source(SourceSpec.parse(url))
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=WAIT_MS)
    assert url in window.last_error and "refused" in window.last_error.lower(), window.last_error
    assert SourceSpec.parse(url) not in window.source_picker.specs()


# ------------------------------------------------------------------------------------------------ settings
def test_backends_show_what_is_installed_and_the_window_length_reaches_the_status_bar(qtbot, make_window):
    from app.gui.backends import backend_choices

    window = make_window()
    qtbot.waitUntil(lambda: window.session_info is not None, timeout=WAIT_MS)
    dialog = window.open_settings_dialog()
    combo = dialog.backend
    choices = {c.name: c for c in backend_choices()}
    for i in range(combo.count()):
        name = combo.itemData(i)
        enabled = combo.model().item(i).isEnabled()
        assert enabled == choices[name].available
        if not enabled:
            assert "not installed" in combo.itemText(i) and "pip install" in combo.itemData(i, Qt.ItemDataRole.ToolTipRole) \
                or "needs" in combo.itemData(i, Qt.ItemDataRole.ToolTipRole)
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        assert not combo.model().item(combo.findData("tensorrt")).isEnabled()
    dialog.window.setValue(24)
    dialog.accept()
    qtbot.waitUntil(lambda: window.session_info is not None and window.session_info.window == 24, timeout=WAIT_MS)
    assert "window 24" in window.model_label.text()


# ------------------------------------------------------------------------------------------------ layout
def test_stats_and_source_names_fit_and_side_panels_grow_with_the_window(qtbot, make_window, tmp_path):
    import shutil

    long_name = tmp_path / ("a_rather_long_recording_name_from_the_lab_session_" + "x" * 20 + ".mp4")
    from test_gui_support import write_person_video

    video, skeletons = write_person_video(tmp_path / "v.mp4")
    shutil.copy(video, long_name)
    window = make_window(source=SourceSpec.parse(long_name), pose_factory=replay_pose_factory(skeletons))
    qtbot.waitUntil(lambda: window.session_info is not None and window.stats_panel.text("pose") != "–",
                    timeout=WAIT_MS)
    widths = []
    for size in ((1000, 700), (1700, 1000)):
        window.resize(*size)
        qtbot.wait(200)
        widths.append(window.docks["Stats"].width())
        for key, label in window.stats_panel.fields.items():
            assert label.isVisible()
            assert label.minimumSizeHint().width() <= label.width(), (size, key, label.text())  # nothing cut
            assert label.heightForWidth(label.width()) <= label.height() + 1, (size, key, label.text())
        combo = window.source_picker.combo
        assert combo.fontMetrics().horizontalAdvance(combo.currentText()) < combo.width(), size
    assert widths[1] > widths[0] + 100  # the side panels grow with the window


# ------------------------------------------------------------------------------------------------ record, enrol
def test_recording_shows_a_rec_marker_and_the_layout_stays_put(qtbot, make_window, tmp_path):
    window = make_window()
    qtbot.waitUntil(lambda: window.session_info is not None and window.last_view is not None, timeout=WAIT_MS)
    controls = window.controls
    before = (controls.record_button.width(), controls.export_button.x(), controls.live_button.x())
    assert window.start_recording("wave", tmp_path / "rec", min_frames=4)
    qtbot.waitUntil(lambda: window.recorder is not None and window.recorder.frames >= 10, timeout=WAIT_MS)
    qtbot.wait(100)
    assert (controls.record_button.width(), controls.export_button.x(), controls.live_button.x()) == before
    assert window.video.recording_text and "REC" in window.video.recording_text
    shot = window.video.grab().toImage()
    red = shot.pixelColor(14, 14)
    assert red.red() > 150 and red.green() < 80 and red.blue() < 80  # the marker, top left
    window.stop_recording()
    assert window.video.recording_text is None


def test_enrolment_says_up_front_when_the_clip_is_too_short(qtbot, make_window, person_video):
    video, skeletons = person_video
    window = make_window(source=SourceSpec.parse(video), pose_factory=replay_pose_factory(skeletons))
    qtbot.waitUntil(lambda: window.session_info is not None, timeout=WAIT_MS)
    window.controls.play_button.click()  # pause near the start: about 2.5 s of clip are left
    window.settings_changed(enrol_seconds=10.0, enrol_countdown=0)
    dialog = window.open_enrol_dialog()
    assert dialog is not None and not dialog.start_button.isEnabled()
    assert "left" in dialog.message.text() and "10 s" in dialog.message.text()
    dialog.seconds.setValue(1.0)
    assert dialog.start_button.isEnabled()
    dialog.reject()


def test_a_still_photo_shows_its_person(qtbot, make_window):
    """A photo is one frame: it is posed on its own (MediaPipe IMAGE mode) and its person shown at once."""
    pytest.importorskip("mediapipe")
    photo = Path(__file__).resolve().parents[1] / "assets" / "test_media" / "coco_000000000785_skier.jpg"
    window = make_window(source=SourceSpec.parse(photo), pose_factory=None)
    qtbot.waitUntil(lambda: window.session is not None and not window.session.running, timeout=WAIT_MS)
    view = window.last_view
    assert view is not None and not view.preview and len(view.result.tracks) == 1
    window._update_scores()
    assert "No person in view" not in window.scores_panel.title.text()


class LeavingPose(ReplayPose):
    """The person walks out of the frame at `leave_s` (their landmarks go past the right edge, still 'visible')."""

    def __init__(self, skeletons, leave_s: float) -> None:
        super().__init__(skeletons)
        self.leave_s = leave_s

    def detect(self, frame):
        from dataclasses import replace as _replace

        result = super().detect(frame)
        if frame.timestamp >= self.leave_s:
            moved = []
            for skeleton in result.skeletons:
                image = skeleton.image.copy()
                image[:, 0] += 1.5 * (frame.timestamp - self.leave_s) + 1.0
                moved.append(_replace(skeleton, image=image))
            result.skeletons = moved
        return result


def test_labels_leave_the_screen_with_the_person(qtbot, make_window, person_video):
    import numpy as np

    from app.overlay import track_color

    video, skeletons = person_video
    window = make_window(source=SourceSpec.parse(video), pose_factory=lambda options: LeavingPose(skeletons, 1.6))
    window.set_speed(0.5)
    qtbot.waitUntil(lambda: window.last_view is not None and bool(window.last_view.result.tracks)
                    and window.last_view.position < 1.5, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.last_view.position > 1.8, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.session.running, timeout=WAIT_MS)
    assert window.last_view.result.tracks  # still tracked, off screen
    track = window.last_view.result.tracks[0].track_id
    image = window.last_view.image.convertToFormat(window.last_view.image.Format.Format_RGB888)
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    rows = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    rgb = rows.reshape(image.height(), image.width(), 3).astype(int)
    b, g, r = track_color(track)
    coloured = (np.abs(rgb - np.array([r, g, b])).sum(axis=2) < 30).sum()
    assert coloured == 0, f"{coloured} pixels of the departed person's colour are still drawn"
    window._update_scores()
    assert window.scores_panel.title.text() == "No person in view"


def test_annotating_a_photo_shows_its_person(tmp_path):
    """`annotate photo.jpg`: one frame, posed on its own, its person drawn and in the timeline."""
    pytest.importorskip("mediapipe")
    import json

    from app.annotate import AnnotateOptions, run_annotate

    photo = Path(__file__).resolve().parents[1] / "assets" / "test_media" / "coco_000000000785_skier.jpg"
    (report,) = run_annotate([str(photo)], str(tmp_path / "skier.mp4"),
                             AnnotateOptions(pose_only=True, write_json=True, progress=False))
    assert report.frames == 1
    assert len(json.loads((tmp_path / "skier.json").read_text())["tracks"]) == 1
