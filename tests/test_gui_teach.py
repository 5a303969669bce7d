"""Teaching custom actions in the real main window (pytest-qt, offscreen): spans of an open recording and
start/stop captures become examples, the Actions panel lists them, and the running recogniser shows the new
label within seconds. The recording is generated (synthetic clap / kick / bow clips, MediaPipe-33 skeletons)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from recording_fixtures import write_action_recording
from test_gui_support import save_artifact

from aclnet_core.data.recording import load_recording, save_recording
from aclnet_core.data.sequence import SkeletonSequence
from app.actions.library import ActionLibrary
from app.gui.main_window import MainWindow
from app.gui.settings import GuiSettings, open_store, save_settings

WAIT_MS = 60000
CLIP_S = 3.0
ORDER = ["clap", "kick", "clap", "bow", "clap", "kick", "clap"]  # clip k spans [3k, 3k + 3) s


@pytest.fixture(scope="module")
def sequence_file(tmp_path_factory) -> Path:
    """One recording of the clips of ORDER, back to back (the same synthetic actor)."""
    folder = tmp_path_factory.mktemp("teach")
    parts, scores = [], []
    for k, action in enumerate(ORDER):
        rec = load_recording(write_action_recording(folder / f"part{k}.npz", action, seed=40 + k,
                                                    frames=int(CLIP_S * 30)))
        parts.append(rec.sequence.keypoint)
        scores.append(rec.sequence.score)
    seq = SkeletonSequence(np.concatenate(parts, axis=1), -1, "mediapipe33", score=np.concatenate(scores, axis=1))
    return save_recording(folder / "actions.npz", seq, "mixed", 30.0)


@pytest.fixture
def window_factory(qtbot, tmp_path):
    windows: list[MainWindow] = []
    path = tmp_path / "settings.ini"
    save_settings(GuiSettings(gallery=str(tmp_path / "gallery.sqlite"), enrol_countdown=0), open_store(path))

    def make(source) -> MainWindow:
        window = MainWindow(open_store(path), source=source, probe_cameras=False)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        assert window.session is None
    assert not [t.name for t in threading.enumerate() if t.name.startswith("aclnet-") and t.is_alive()]


def custom_label_shown(window: MainWindow, name: str) -> bool:
    view = window.last_view
    return view is not None and any(p.label == name for p in view.result.predictions.values())


def test_teach_from_spans_of_the_open_recording_then_recognise_live(qtbot, window_factory, sequence_file, tmp_path):
    window = window_factory(str(sequence_file))
    window.set_speed(3.0)
    qtbot.waitUntil(lambda: window.session_info is not None and window.teaching._model_id() is not None,
                    timeout=WAIT_MS)
    dialog = window.teaching.open_teach_dialog()
    assert dialog is not None
    dialog.name.setText("clapping")
    dialog.count.setValue(2)
    for clip in (0, 2):  # two examples: spans of the video (played, or sought to, first)
        dialog.add_span(clip * CLIP_S + 0.2, (clip + 1) * CLIP_S)
        qtbot.waitUntil(lambda: dialog.state in ("idle", "done", "failed"), timeout=WAIT_MS)
        assert dialog.state != "failed", dialog.error
    assert dialog.state == "done", dialog.error
    taught_at = time.monotonic()
    assert "leave-one-out accuracy 100%" in dialog.result_text
    assert window.teaching.panel.names() == ["clapping"] and window.teaching.panel.counts() == {"clapping": 2}
    with ActionLibrary(tmp_path / "actions.sqlite", create=False) as library:
        assert [(a.name, a.num_templates) for a in library.persons()] == [("clapping", 2)]
    # a later clap (never an example) shows the custom label; kick and bow do not
    window.seek(4 * CLIP_S - 2.6)
    qtbot.waitUntil(lambda: custom_label_shown(window, "clapping"), timeout=WAIT_MS)
    seconds = time.monotonic() - taught_at
    save_artifact(window.grab(), "gui_teach.png")
    print(f"custom label shown {seconds:.2f} s after the last example was stored (a seek and a new session included)")
    assert seconds < 10, seconds
    # the panel renames and deletes
    assert window.teaching.rename("clapping", "applause") and window.teaching.panel.names() == ["applause"]
    assert window.teaching.delete("applause") and window.teaching.panel.names() == []


def test_start_stop_capture_adds_examples_and_reports_failures(qtbot, window_factory, sequence_file):
    window = window_factory(str(sequence_file))
    window.set_speed(2.0)
    qtbot.waitUntil(lambda: window.last_view is not None and window.teaching._model_id() is not None,
                    timeout=WAIT_MS)
    dialog = window.teaching.open_teach_dialog()
    dialog.start_example()
    assert dialog.state == "idle" and "name" in (dialog.error or "")  # a name is needed first
    dialog.name.setText("anything")
    dialog.count.setValue(1)
    dialog.seconds.setValue(1.5)
    qtbot.waitUntil(lambda: window._position > 3.0, timeout=WAIT_MS)  # windows are flowing
    dialog.start_example()
    assert dialog.state == "capturing" and dialog.capture_button.text() == "Stop example"
    qtbot.waitUntil(lambda: dialog.state in ("done", "failed", "idle"), timeout=WAIT_MS)
    assert dialog.state == "done", dialog.error
    assert window.teaching.panel.counts() == {"anything": 1}


def test_examples_are_kept_when_the_stream_stops_before_saving(qtbot, window_factory, sequence_file):
    window = window_factory(str(sequence_file))
    qtbot.waitUntil(lambda: window.session_info is not None and window.teaching._model_id() is not None,
                    timeout=WAIT_MS)
    dialog = window.teaching.open_teach_dialog()
    dialog.name.setText("late")
    dialog.examples, dialog.sources = [[np.eye(1, 128, 3, dtype=np.float32)[0]]], ["gui #1"]
    window.stop_source()
    assert window.session is None
    dialog._save()
    assert dialog.state == "done", dialog.error
    assert window.teaching.panel.counts() == {"late": 1}
