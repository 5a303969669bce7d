"""GUI building blocks without the window: settings, source specs, playback pacing and seeking, frame
conversion (the export's overlay, no copy), recorder, enrolment tap, timeline panel, camera probe."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("PyQt6")

from test_gui_support import VIDEO_FPS, write_person_video

from aclnet_core.errors import UserError
from app.gui.enrolment import EnrolmentTap, TappedIdentity, enrol_person
from app.gui.playback import PlaybackControl, PlaybackSource
from app.gui.settings import GuiSettings, load_settings, open_store, save_settings
from app.gui.source_spec import SourceSpec
from app.records import Frame, FrameResult, Skeleton, TrackedSkeleton
from app.sources import VideoFileSource


# ------------------------------------------------------------------------------------------------ settings
def test_settings_round_trip_through_qsettings(tmp_path):
    settings = GuiSettings(action_model="/m/a.onnx", gait_model="/m/g.pt", gallery="/g.sqlite", backend="torch-cpu",
                           pose_model="full", num_persons=3, window=32, stride=4, label_threshold=0.6,
                           exit_threshold=0.4, identity_threshold=0.55, enrol_seconds=8.0, enrol_countdown=2)
    save_settings(settings, open_store(tmp_path / "s.ini"))
    assert load_settings(open_store(tmp_path / "s.ini")) == settings
    save_settings(replace(settings, identity_threshold=None), open_store(tmp_path / "s.ini"))
    assert load_settings(open_store(tmp_path / "s.ini")).identity_threshold is None


def test_settings_fall_back_on_bad_values_and_are_clamped(tmp_path):
    store = open_store(tmp_path / "s.ini")
    for key, value in (("stride", "lots"), ("backend", "warp-drive"), ("num_persons", "99"),
                       ("label_threshold", "0.3"), ("exit_threshold", "0.9"), ("pose_model", "huge")):
        store.setValue(f"settings/{key}", value)
    store.sync()
    loaded = load_settings(open_store(tmp_path / "s.ini"))
    assert loaded.stride == GuiSettings().stride and loaded.backend == "auto" and loaded.pose_model == "lite"
    assert loaded.num_persons == 8 and loaded.label_threshold == 0.3 and loaded.exit_threshold == 0.3
    assert load_settings(open_store(tmp_path / "empty.ini")) == GuiSettings()


# ------------------------------------------------------------------------------------------------ sources
@pytest.mark.parametrize(("text", "spec"), [
    ("demo", SourceSpec("demo", "")), ("synthetic:7", SourceSpec("synthetic", "7")), ("1", SourceSpec("camera", "1")),
    ("rtsp://cam/live", SourceSpec("stream", "rtsp://cam/live")), ("/d/walk.npz", SourceSpec("recording", "/d/walk.npz")),
    ("/d/walk.MP4", SourceSpec("file", "/d/walk.MP4")), ("file:///d/a%20b.mp4", SourceSpec("file", "/d/a b.mp4")),
])
def test_source_spec_parse(text, spec):
    assert SourceSpec.parse(text) == spec
    assert spec.seekable == (spec.kind in ("file", "recording", "demo"))


def test_playback_control_paces_pauses_and_stops():
    control = PlaybackControl(speed=2.0)
    started = time.perf_counter()
    for i in range(6):
        assert control.wait(i * 0.05)
    assert 0.10 <= time.perf_counter() - started < 0.5  # 0.25 s of stream at 2x
    control.set_paused(True)
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(control.wait(0.3)))
    waiter.start()
    time.sleep(0.2)
    assert waiter.is_alive()  # paused: the next frame waits
    control.stop()
    waiter.join(1.0)
    assert result == [False] and not waiter.is_alive()


def test_seekable_source_starts_at_the_position(tmp_path):
    video, _ = write_person_video(tmp_path / "walk.mp4", frames=50)
    control = PlaybackControl(speed=0.0)
    with PlaybackSource(VideoFileSource(video, start=1.0), control, start=1.0) as source:
        assert source.duration == pytest.approx(50 / VIDEO_FPS, abs=0.05)
        times = [f.timestamp for f in source.frames()]
    assert times[0] == pytest.approx(1.0, abs=0.5 / VIDEO_FPS) and len(times) == 50 - VIDEO_FPS
    with SourceSpec("file", str(video)).open(PlaybackControl(speed=0.0), start=1.6) as source:
        assert next(iter(source.frames())).timestamp == pytest.approx(1.6, abs=0.5 / VIDEO_FPS)


# ------------------------------------------------------------------------------------------------ frames
def _result(image: np.ndarray | None, track_id: int = 1, size=(320, 240)) -> FrameResult:
    from test_gui_support import synthetic_skeletons

    skeleton = next(s for s in synthetic_skeletons(5, size) if s is not None)
    tracked = TrackedSkeleton(track_id, skeleton, box=skeleton.box(size))
    from app.records import Prediction

    prediction = Prediction(track_id, "wave_right", 0.9, top_k=[("wave_right", 0.9)], identity="Ada")
    return FrameResult(Frame(image, 0, 0.0, size=size), [tracked], {track_id: prediction})


def test_render_result_draws_like_the_export_without_copying():
    from app.gui.video_view import frame_to_qimage, render_result
    from app.overlay import draw_frame_result, track_color

    image = np.full((240, 320, 3), 24, np.uint8)
    expected = draw_frame_result(image.copy(), _result(image.copy()))
    qimage = render_result(_result(image))
    assert (image == expected).all()  # drawn in place with app.overlay, exactly as the export draws
    # ... and something was drawn: the skeleton in the track's colour and a caption, not an untouched frame
    colour = np.array(track_color(1), np.uint8)
    assert (image.reshape(-1, 3) == colour).all(axis=1).sum() > 50
    assert (image != 24).any(axis=2).sum() > 500
    assert (qimage.width(), qimage.height()) == (320, 240)
    image[0, 0] = (255, 0, 0)  # BGR blue: the QImage sees the change (shared memory, no copy)
    assert qimage.pixelColor(0, 0).getRgb()[:3] == (0, 0, 255)
    with pytest.raises(ValueError):
        frame_to_qimage(np.zeros((4, 4), np.uint8))
    blank = render_result(_result(None))  # a skeleton-only frame gets a canvas
    assert blank.width() == 320


# ------------------------------------------------------------------------------------------------ recorder
def _frame_result(t: float, track_ids=(1,)) -> FrameResult:
    world = np.random.default_rng(int(t * 1000)).normal(size=(33, 3)).astype(np.float32)
    skeleton = Skeleton(image=np.zeros((33, 3), np.float32), world=world, visibility=np.ones(33, np.float32),
                        presence=np.ones(33, np.float32))
    return FrameResult(Frame(None, int(t * 30), t, size=(64, 64)), [TrackedSkeleton(i, skeleton) for i in track_ids], {})


def test_recorder_writes_one_training_recording_per_track(tmp_path):
    from aclnet_core.data.recording import load_recording
    from app.gui.recorder import SkeletonRecorder

    recorder = SkeletonRecorder("wave hello", tmp_path, fps=30.0, source_name="/v/clip.mp4", min_frames=10)
    for i in range(20):
        recorder.add(_frame_result(i / 30, (1, 2) if i < 5 else (1,)))
    recorder.add(_frame_result(0.1))  # time going backwards (a seek) is ignored
    assert recorder.frames == 20 and recorder.tracks == 2
    (path,) = recorder.save()  # track 2 was too short
    assert path.parent == tmp_path / "wave_hello" and path.name.startswith("clip-") and path.name.endswith("track1.npz")
    recording = load_recording(path)
    assert recording.label_name == "wave hello" and recording.sequence.keypoint.shape == (1, 20, 33, 3)
    with pytest.raises(UserError, match="nothing recorded"):
        SkeletonRecorder("x", tmp_path, 30.0).save()
    with pytest.raises(UserError):
        SkeletonRecorder("  ", tmp_path, 30.0)


# ------------------------------------------------------------------------------------------------ enrolment
def test_enrolment_tap_prefers_the_wanted_track_and_falls_back_to_the_longest():
    tap = EnrolmentTap()
    tap.feed(1, np.ones(4))  # not collecting yet
    tap.start(track_id=2)
    for _ in range(3):
        tap.feed(1, np.ones(4))
    tap.feed(2, np.ones(4))
    assert tap.count() == 1
    result = tap.finish()
    assert result.track_id == 2 and len(result.embeddings) == 1 and result.tracks_seen == 2
    tap.start(track_id=9)
    tap.feed(1, np.ones(4))
    assert tap.finish().track_id == 1
    tap.start()
    tap.feed(1, np.ones(4))
    tap.cancel()
    assert not tap.active and tap.count() == 0


def test_tapped_identity_feeds_the_tap_and_enrol_person_stores_templates(tmp_path):
    from app.gallery.store import GalleryStore

    class Service:
        def __init__(self):
            self.dropped = []

        def embed(self, windows):
            return np.stack([np.eye(4)[i % 4] for i, _ in enumerate(windows)]).astype(np.float32)

        def update_embedding(self, track_id, embedding):
            return f"match-{track_id}"

        def drop(self, track_id):
            self.dropped.append(track_id)

    tap = EnrolmentTap()
    identity = TappedIdentity(Service(), tap)
    tap.start(7)
    assert identity.update_many({7: "w1", 8: "w2"}) == {7: "match-7", 8: "match-8"}
    identity.drop(8)
    assert identity.service.dropped == [8]
    for _ in range(15):
        identity.update_many({7: "w"})
    embeddings = tap.finish().embeddings
    assert len(embeddings) == 16
    with GalleryStore(tmp_path / "g.sqlite") as store:
        person = enrol_person(store, " Ada ", embeddings, "model0000000000a")
        assert person.name == "Ada" and person.num_templates == 2  # 16 windows, 8 per template
        with pytest.raises(UserError, match="no gait windows"):
            enrol_person(store, "Bob", [], "model0000000000a")


# ------------------------------------------------------------------------------------------------ widgets
def test_timeline_panel_keeps_history_and_follows_new_segments(qtbot):
    from app.gui.panels.timeline import TimelinePanel
    from app.timeline import Segment

    panel = TimelinePanel()
    qtbot.addWidget(panel)
    panel.new_session("clip.mp4")
    seg = Segment(1, "wave", 0, 30, 0.0, 1.0, 0.8, 0.9, "Ada")
    panel.set_segments([seg])
    panel.set_segments([seg, Segment(1, "jump", 31, 40, 1.1, 1.4, 0.7, 0.7)])
    assert panel.lines() == ["— clip.mp4 —", "00:00.0–00:01.0  #1 wave 0.80  (Ada)", "00:01.1–00:01.4  #1 jump 0.70"]
    panel.new_session(None)  # a seek: no new header, the segments stay
    panel.set_segments([Segment(2, "kick", 0, 5, 2.0, 2.2, 0.6, 0.6)])
    assert len(panel.lines()) == 4 and panel.lines()[-1].endswith("#2 kick 0.60")


class _FakeTap(EnrolmentTap):
    def __init__(self, windows: int) -> None:
        super().__init__()
        self.windows = windows

    def count(self) -> int:
        return self.windows if self.active else 0

    def finish(self):
        from app.gui.enrolment import TapResult

        self._active = False
        return TapResult(1, [np.ones(4, np.float32)] * self.windows, 1)


def test_enrol_dialog_counts_down_collects_and_commits(qtbot):
    from app.gallery.store import PersonRecord
    from app.gui.dialogs.enrol import EnrolDialog

    committed = []

    def commit(name, embeddings):
        committed.append((name, len(embeddings)))
        return PersonRecord(name.strip(), 1, "now", "now")

    dialog = EnrolDialog(_FakeTap(3), commit, track_id=1, seconds=1.0, countdown=1)
    qtbot.addWidget(dialog)
    dialog.start()  # an empty name is refused
    assert dialog.state == "idle" and "empty" in dialog.error
    dialog.name.setText("Ada")
    dialog.start()
    assert dialog.state == "countdown" and "Get ready" in dialog.message.text()
    qtbot.waitUntil(lambda: dialog.state == "collecting", timeout=3000)
    qtbot.waitUntil(lambda: dialog.state == "done", timeout=5000)
    assert committed == [("Ada", 3)] and dialog.result() == 1  # accepted


def test_enrol_dialog_gives_up_when_no_one_walks(qtbot, monkeypatch):
    from app.gui.dialogs import enrol

    monkeypatch.setattr(enrol, "PATIENCE", 1.0)
    tap = _FakeTap(0)
    dialog = enrol.EnrolDialog(tap, lambda *a: None, seconds=1.0, countdown=0)
    qtbot.addWidget(dialog)
    dialog.name.setText("Bob")
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state == "failed", timeout=5000)
    assert "walked long enough" in dialog.error and not tap.active and dialog.start_button.isEnabled()


def test_camera_probe_answers_without_blocking(qtbot):
    from app.gui.source_picker import CameraProbe

    probe = CameraProbe()
    with qtbot.waitSignal(probe.found, timeout=15000) as blocker:
        started = time.monotonic()
        probe.start()
        assert time.monotonic() - started < 0.5  # start() returns at once
    probe.join()
    assert isinstance(blocker.args[0], list) and all(isinstance(i, int) for i in blocker.args[0])
