"""The real main window, driven offscreen with pytest-qt: demo stream, a generated video (play, pause, seek,
export), enrolment, rename and delete, recording, settings, drag and drop, errors. Screenshots are saved to
tests/artifacts/ (gui_demo.png, gui_file.png, gui_export.png, gui_enrol.png).

Models are tiny random checkpoints written to a temporary folder (the shipped ones are not needed); the
video's pose stage replays the skeletons drawn in it (MediaPipe is not needed either).
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PyQt6.QtGui import QDragEnterEvent, QDropEvent
from test_gui_support import (
    VIDEO_FPS,
    VIDEO_FRAMES,
    image_spread,
    replay_pose_factory,
    save_artifact,
    tiny_models,
    write_person_video,
)

from app.gui.main_window import MainWindow
from app.gui.settings import GuiSettings, load_settings, open_store, save_settings
from app.gui.source_spec import SourceSpec

WAIT_MS = 20000


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> tuple[Path, Path]:
    return tiny_models(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def person_video(tmp_path_factory):
    return write_person_video(tmp_path_factory.mktemp("video") / "walk.mp4")


@pytest.fixture
def settings_file(tmp_path, models) -> Path:
    action, gait = models
    path = tmp_path / "settings.ini"
    save_settings(GuiSettings(action_model=str(action), gait_model=str(gait), gallery=str(tmp_path / "gallery.sqlite"),
                              recordings_dir=str(tmp_path / "recordings"), enrol_countdown=0, enrol_seconds=1.5),
                  open_store(path))
    return path


@pytest.fixture
def make_window(qtbot, settings_file):
    """Open real main windows; at teardown they are closed and no worker thread may be left running."""
    windows: list[MainWindow] = []

    def make(settings: Path | None = None, **kwargs) -> MainWindow:
        kwargs.setdefault("probe_cameras", False)
        if not kwargs["probe_cameras"]:
            kwargs.setdefault("source", SourceSpec.synthetic())  # no MediaPipe needed
        window = MainWindow(open_store(settings or settings_file), **kwargs)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        assert window.session is None and not window._retiring  # every session thread was joined
    leftover = [t.name for t in threading.enumerate() if t.name.startswith("aclnet-") and t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"


def labelled(window: MainWindow) -> bool:
    view = window.last_view
    return view is not None and any(p.label for p in view.result.predictions.values())


def test_demo_stream_shows_skeletons_labels_scores_timeline_and_stats(qtbot, make_window):
    from aclnet_core.data.synthetic import ACTION_NAMES

    window = make_window()
    assert window.session.spec == SourceSpec.synthetic()
    qtbot.waitUntil(lambda: labelled(window), timeout=WAIT_MS)
    prediction = next(p for p in window.last_view.result.predictions.values() if p.label)
    assert prediction.label in ACTION_NAMES and 0.5 <= prediction.score <= 1.0
    qtbot.waitUntil(lambda: any(prediction.label in line for line in window.timeline_panel.lines()), timeout=WAIT_MS)
    window._update_scores()
    bars = window.scores_panel.shown()
    assert bars and bars[0][0] in ACTION_NAMES and len(bars) == 3
    qtbot.waitUntil(lambda: window.stats_panel.text("infer") != "–", timeout=WAIT_MS)
    assert window.stats_panel.text("backend") == "torch-cpu"
    assert window.controls.live_button.isVisible() and not window.controls.play_button.isVisible()
    # clicking on the person selects them
    tracked = window.last_view.result.tracks[0]
    rect = window.video.image_rect()
    scale = rect.width() / window.video.image.width()
    cx, cy = (tracked.box[0] + tracked.box[2]) / 2, (tracked.box[1] + tracked.box[3]) / 2
    qtbot.mouseClick(window.video, Qt.MouseButton.LeftButton,
                     pos=QPoint(int(rect.x() + cx * scale), int(rect.y() + cy * scale)))
    assert window.selected_track == tracked.track_id
    shot = window.grab()
    save_artifact(shot, "gui_demo.png")
    assert image_spread(shot.toImage()) > 10 and image_spread(window.video.grab().toImage()) > 5
    # stop and start the live source
    window.controls.live_button.click()
    assert window.session is None
    window.controls.live_button.click()
    qtbot.waitUntil(lambda: window.session is not None and window.last_view is not None, timeout=WAIT_MS)


def test_video_file_plays_pauses_seeks_and_exports(qtbot, make_window, person_video, tmp_path):
    from app.sources import VideoFileSource

    video, skeletons = person_video
    window = make_window(source=SourceSpec.parse(video), pose_factory=replay_pose_factory(skeletons))
    qtbot.waitUntil(lambda: window.session_info is not None, timeout=WAIT_MS)
    assert window.session_info.duration == pytest.approx(VIDEO_FRAMES / VIDEO_FPS, abs=0.1)
    assert window.controls.play_button.isVisible() and window.controls.slider.isEnabled()
    qtbot.waitUntil(lambda: labelled(window), timeout=WAIT_MS)
    # pause: the position stops moving
    window.controls.play_button.click()
    assert window.session.control.paused and not window.controls.playing
    qtbot.wait(400)
    paused_at = window.last_view.position
    qtbot.wait(400)
    assert window.last_view.position == paused_at
    # seek while paused: the frame at the new position is shown, playback stays paused
    window.seek(2.0)
    qtbot.waitUntil(lambda: window.last_view is not None and window.last_view.position >= 1.95, timeout=WAIT_MS)
    assert window.session.control.paused
    assert window.controls.slider.value() == pytest.approx(20, abs=1)
    # play to the end as fast as possible
    window.set_speed(0.0)
    window.controls.play_button.click()
    qtbot.waitUntil(lambda: not window.session.running, timeout=WAIT_MS)
    assert window.last_view.position == pytest.approx((VIDEO_FRAMES - 1) / VIDEO_FPS, abs=0.05)
    save_artifact(window.grab(), "gui_file.png")
    # export the annotated video
    dialog = window.open_export_dialog()
    output = tmp_path / "walk.annotated.mp4"
    dialog.output.edit.setText(str(output))
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.state in ("done", "failed"), timeout=60000)
    assert dialog.state == "done", dialog.error
    save_artifact(dialog.grab(), "gui_export.png")
    dialog.reject()
    with VideoFileSource(output) as exported:
        frames = list(exported.frames())
    assert len(frames) == VIDEO_FRAMES and frames[0].size == (320, 240)
    timeline = json.loads(output.with_suffix(".json").read_text())
    assert timeline["frames_processed"] == VIDEO_FRAMES and timeline["segments"]


def test_enrol_a_person_then_rename_and_delete(qtbot, make_window, tmp_path):
    from app.gallery.store import GalleryStore

    window = make_window()
    qtbot.waitUntil(lambda: window.session_info is not None and window.last_view is not None, timeout=WAIT_MS)
    assert window.session_info.identity and window.gallery_panel.enrol_button.isEnabled()
    dialog = window.open_enrol_dialog()
    dialog.name.setText("Ada")
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.state in ("done", "failed"), timeout=WAIT_MS)
    assert dialog.state == "done", dialog.error
    assert window.gallery_panel.names() == ["Ada"]
    save_artifact(window.grab(), "gui_enrol.png")
    with GalleryStore(tmp_path / "gallery.sqlite", create=False) as store:
        (person,) = store.persons()
        assert person.name == "Ada" and person.num_templates >= 1
        assert store.model_id == window.session_info.gait_model_id
    # matching starts: the enrolled person now gets identity scores
    qtbot.waitUntil(lambda: any(p.identity_score is not None for p in window.last_view.result.predictions.values()),
                    timeout=WAIT_MS)
    assert window.rename_person("Ada", "Grace") and window.gallery_panel.names() == ["Grace"]
    assert not window.rename_person("Nobody", "X") and "no person named" in window.last_error
    assert window.delete_person("Grace") and window.gallery_panel.names() == []
    with GalleryStore(tmp_path / "gallery.sqlite", create=False) as store:
        assert store.persons() == []


def test_record_saves_training_recordings(qtbot, make_window, tmp_path):
    from aclnet_core.data.recording import load_recording

    window = make_window()
    qtbot.waitUntil(lambda: window.session_info is not None, timeout=WAIT_MS)
    assert window.start_recording("wave", tmp_path / "rec", min_frames=8)
    assert window.controls.record_button.isChecked()
    qtbot.waitUntil(lambda: window.recorder is not None and window.recorder.frames >= 20, timeout=WAIT_MS)
    written = window.stop_recording()
    assert written and all(p.parent == tmp_path / "rec" / "wave" for p in written)
    recording = load_recording(written[0])
    assert recording.label_name == "wave" and recording.fps == pytest.approx(30.0)
    assert recording.sequence.keypoint.shape[0] == 1 and recording.sequence.keypoint.shape[2:] == (33, 3)
    assert recording.sequence.keypoint.shape[1] >= 8
    assert not window.controls.record_button.isChecked()
    # the recording plays back in the window (a seekable skeleton source)
    window.open_path(written[0])
    qtbot.waitUntil(lambda: window.session_info is not None and window.last_view is not None
                    and bool(window.last_view.result.tracks), timeout=WAIT_MS)
    assert window.session.spec.kind == "recording" and window.controls.play_button.isVisible()
    assert window.session_info.duration == pytest.approx(recording.sequence.keypoint.shape[1] / 30.0, abs=0.05)


def test_settings_dialog_persists_and_restarts_the_session(qtbot, make_window, settings_file):
    window = make_window()
    qtbot.waitUntil(lambda: window.session_info is not None, timeout=WAIT_MS)
    first = window.session
    dialog = window.open_settings_dialog()
    dialog.pose_model.setCurrentText("full")
    dialog.num_persons.setValue(2)
    dialog.stride.setValue(4)
    dialog.label_threshold.setValue(0.6)
    dialog.identity_auto.setChecked(False)
    dialog.identity_threshold.setValue(0.8)
    dialog.backend.setCurrentText("torch-cpu")
    dialog.accept()
    saved = load_settings(open_store(settings_file))
    assert (saved.pose_model, saved.num_persons, saved.stride, saved.label_threshold, saved.identity_threshold,
            saved.backend) == ("full", 2, 4, 0.6, 0.8, "torch-cpu")
    assert window.session is not first and window.session.worker.settings == saved
    qtbot.waitUntil(lambda: window.session_info is not None and window.last_view is not None, timeout=WAIT_MS)
    # thresholds alone apply to the running session without a restart
    second = window.session
    window.apply_settings(replace(window.settings, label_threshold=0.7, exit_threshold=0.5))
    assert window.session is second
    assert window.session.worker.recogniser.options.smoothing.enter_threshold == 0.7
    assert load_settings(open_store(settings_file)).label_threshold == 0.7


def test_missing_models_still_open_with_a_clear_message(qtbot, make_window, tmp_path):
    settings = tmp_path / "missing.ini"
    save_settings(GuiSettings(action_model=str(tmp_path / "nope.pt"), gait_model=str(tmp_path / "nope-gait.pt"),
                              gallery=str(tmp_path / "g.sqlite")), open_store(settings))
    window = make_window(settings=settings)
    qtbot.waitUntil(lambda: window.session_info is not None and window.last_view is not None
                    and bool(window.last_view.result.tracks), timeout=WAIT_MS)
    messages = " ".join(window.session_info.messages)
    assert "no action model" in messages and "skeletons only" in messages and "no gait model" in messages
    assert "no action model" in window.statusBar().currentMessage()
    assert not window.last_view.result.predictions  # skeletons and track ids, no labels
    assert not window.gallery_panel.enrol_button.isEnabled()
    assert window.open_enrol_dialog() is None and "enrolment needs" in window.last_error


def test_default_settings_use_the_shipped_models(qtbot, make_window, tmp_path):
    """Default settings open the shipped action model (its labels, a real backend); with no action model the
    window explains itself instead (test_missing_models_run_skeletons_only_and_explain)."""
    from conftest import shipped_model

    _, meta = shipped_model("action")
    settings = tmp_path / "defaults.ini"
    save_settings(GuiSettings(gallery=str(tmp_path / "g.sqlite")), open_store(settings))
    window = make_window(settings=settings)
    qtbot.waitUntil(lambda: window.session_info is not None, timeout=WAIT_MS)
    assert list(window.session_info.labels) == list(meta.labels)
    assert window.session_info.backend in ("onnxruntime-cpu", "onnxruntime-cuda", "tensorrt", "torch-cpu", "torch-cuda")


def test_startup_probes_cameras_and_falls_back_to_the_demo(qtbot, make_window):
    import glob

    window = make_window(probe_cameras=True)
    qtbot.waitUntil(lambda: window.session is not None, timeout=WAIT_MS)
    if not glob.glob("/dev/video*"):
        assert window.session.spec == SourceSpec.demo()
    assert window.session.spec.kind in ("demo", "camera")
    assert window.source_picker.specs()[0] == SourceSpec.demo()


def test_dropping_a_file_opens_it_and_bad_files_are_reported(qtbot, make_window, person_video, tmp_path):
    video, skeletons = person_video
    window = make_window(pose_factory=replay_pose_factory(skeletons))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(video))])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    assert window.session.spec == SourceSpec("file", str(video))
    qtbot.waitUntil(lambda: window.last_view is not None, timeout=WAIT_MS)
    assert window.source_picker.current() == SourceSpec("file", str(video))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video" * 100)
    window.open_path(broken)
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=WAIT_MS)
    assert "broken.mp4" in window.last_error and window.isVisible()
    window.start_source(SourceSpec.synthetic())  # the window keeps working after an error
    qtbot.waitUntil(lambda: window.last_view is not None, timeout=WAIT_MS)


def test_signals_queued_by_a_freed_worker_are_ignored_without_crashing(qtbot, make_window):
    """A stopped session's worker can be freed while its queued signals still wait in the event loop (CI hit a
    segfault when the window asked `sender()` about such a worker); the session id they carry is enough."""
    from PyQt6 import sip

    window = make_window()
    qtbot.waitUntil(lambda: window.session_info is not None, timeout=WAIT_MS)
    old = window.session
    window.stop_source()
    qtbot.waitUntil(lambda: not window._retiring, timeout=WAIT_MS)
    window.start_source(SourceSpec.synthetic())
    stale, stale_id = old.worker, old.worker.session_id
    del old

    def emit_stale() -> None:  # from another thread the signals are queued, not delivered at once
        stale.status.emit(stale_id, "stale status")
        stale.segments_ready.emit(stale_id, [])

    emitter = threading.Thread(target=emit_stale)
    emitter.start()
    emitter.join()
    sip.delete(stale)
    qtbot.wait(50)  # deliver the queued signals
    assert window.statusBar().currentMessage() != "stale status"
    window.statusBar().showMessage("current")
    window.session.worker.status.emit(window.session.worker.session_id, "fresh status")
    assert window.statusBar().currentMessage() == "fresh status"
