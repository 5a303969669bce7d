"""The main window: video view, source picker, transport controls, side panels, dialogs.

One session at a time runs the pipeline (`app.gui.worker.PipelineWorker` in a QThread). Changing the source,
seeking or changing settings retires the running session (it stops in its own thread, so the UI never waits)
and starts a new one, which waits until the old one has released its camera. Closing the window stops and
joins everything. Errors go to the status bar (and a non-modal message box for sessions that fail).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QByteArray, QSettings, Qt, QThread, QTimer
from PyQt6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PyQt6.QtWidgets import (
    QDockWidget,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from aclnet_core.errors import UserError
from app.gui.controls import PlaybackControls, format_time
from app.gui.enrolment import EnrolmentTap, enrol_person
from app.gui.export_status import ExportStatus
from app.gui.models import ModelCache
from app.gui.panels import GalleryPanel, ScoresPanel, StatsPanel, TimelinePanel
from app.gui.playback import PlaybackControl
from app.gui.settings import GuiSettings, load_settings, open_store, save_settings
from app.gui.source_picker import CameraProbe, SourcePicker
from app.gui.source_spec import SourceSpec
from app.gui.video_view import VideoView
from app.gui.worker import FrameView, PipelineWorker, SessionInfo

log = logging.getLogger(__name__)

APP_TITLE = "ACLNet Live"
GALLERY_POLL_MS = 2000
JOIN_TIMEOUT_MS = 10000
DOCK_SHARE = 0.3  # of the window's width for the side panels
DOCK_MIN_WIDTH = 260
_RESTART_FIELDS = ("action_model", "gait_model", "backend", "pose_model", "num_persons", "window", "stride",
                   "identity_threshold", "gallery")


@dataclass
class _Session:
    spec: SourceSpec
    worker: PipelineWorker
    thread: QThread
    control: PlaybackControl
    running: bool = True  # False once its worker said done


def session_summary(info: SessionInfo) -> str:
    """The status bar's permanent line: backend, model, window (samples and seconds), people per frame."""
    window = f"window {info.window} ({info.window_s:.1f} s)" if info.window else "no windows"
    people = f"{info.num_poses} {'person' if info.num_poses == 1 else 'people'}"
    return f"{info.backend} · {info.action_name} · {window} · {people}"


class MainWindow(QMainWindow):
    """`source`: what to show first (default: the first camera found, else the demo clip, looped).

    `pose_factory` replaces the MediaPipe pose stage (tests); `probe_cameras=False` skips the camera probe.
    """

    def __init__(self, settings_store: QSettings | None = None, *, source: SourceSpec | str | None = None,
                 probe_cameras: bool = True, pose_factory: Any | None = None) -> None:
        super().__init__()
        self.store = settings_store if settings_store is not None else open_store()
        self.settings: GuiSettings = load_settings(self.store)
        self.models = ModelCache()
        self.tap = EnrolmentTap()
        self.pose_factory = pose_factory
        self.gallery = None  # app.gallery.store.GalleryStore
        self.session: _Session | None = None
        self.session_info: SessionInfo | None = None
        self.last_view: FrameView | None = None
        self.selected_track: int | None = None
        self.recorder = None
        self.last_error: str | None = None
        self.enrol_dialog = None
        self.export_dialog = None
        self.settings_dialog = None
        self.record_dialog = None
        self._retiring: list[_Session] = []
        self._old_galleries: list = []
        self._position = 0.0
        self._gallery_revision = None
        self._closing = False
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self._build_ui()
        self._restore_geometry()
        self.open_gallery()
        from app.gui.teaching import ActionTeaching

        self.teaching = ActionTeaching(self)  # custom actions: library, Actions dock, Teach dialog
        self._gallery_timer = QTimer(self)
        self._gallery_timer.timeout.connect(self._poll_gallery)
        self._gallery_timer.start(GALLERY_POLL_MS)
        self.camera_probe = CameraProbe()
        self.camera_probe.found.connect(self._on_cameras_found)
        self._startup_source = SourceSpec.parse(source) if isinstance(source, (str, Path)) else source
        if self._startup_source is not None:
            self.start_source(self._startup_source)
        if probe_cameras:
            if self._startup_source is None:
                self.statusBar().showMessage("looking for cameras…")
                self.video.clear("Looking for cameras…")
            self.camera_probe.start()
        elif self._startup_source is None:
            self.start_source(SourceSpec.demo())

    # ================================================================== UI
    def _build_ui(self) -> None:
        self.video = VideoView()
        self.video.clicked.connect(self._on_video_clicked)
        self.controls = PlaybackControls()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.video, 1)
        layout.addWidget(self.controls)
        self.setCentralWidget(central)

        self.source_picker = SourcePicker()
        self.source_picker.last_dir = self.settings.last_dir
        self.source_picker.chosen.connect(self._on_source_chosen)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.clicked.connect(self.open_settings_dialog)
        toolbar = QToolBar("Source")
        toolbar.setObjectName("source_toolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.source_picker)
        toolbar.addSeparator()
        toolbar.addWidget(self.settings_button)
        self.addToolBar(toolbar)

        self.scores_panel = ScoresPanel()
        self.timeline_panel = TimelinePanel()
        self.gallery_panel = GalleryPanel()
        self.stats_panel = StatsPanel()
        self.docks: dict[str, QDockWidget] = {}
        for title, panel in (("Scores", self.scores_panel), ("Timeline", self.timeline_panel),
                             ("Gallery", self.gallery_panel), ("Stats", self.stats_panel)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"{title.lower()}_dock")
            dock.setWidget(panel)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.docks[title] = dock
        self.gallery_panel.enrol_requested.connect(self.open_enrol_dialog)
        self.gallery_panel.rename_requested.connect(self._ask_rename)
        self.gallery_panel.delete_requested.connect(self._ask_delete)

        self.controls.play_toggled.connect(self._on_play_toggled)
        self.controls.seek_requested.connect(self.seek)
        self.controls.speed_changed.connect(self._on_speed_changed)
        self.controls.live_toggled.connect(self._on_live_toggled)
        self.controls.record_toggled.connect(self._on_record_toggled)
        self.controls.export_clicked.connect(self.open_export_dialog)

        self.model_label = QLabel("")
        self.export_status = ExportStatus()
        self.statusBar().addPermanentWidget(self.export_status)
        self.statusBar().addPermanentWidget(self.model_label)
        self._build_menus()
        self.resize(1280, 800)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, slot, shortcut in (("Open video…", self.source_picker.browse_file, QKeySequence.StandardKey.Open),
                                     ("Open recording…", self.source_picker.browse_recording, None),
                                     ("Open stream URL…", self.source_picker.ask_url, None),
                                     ("Demo clip", lambda: self.start_source(SourceSpec.demo()), None),
                                     ("Synthetic stream", lambda: self.start_source(SourceSpec.synthetic()), None),
                                     ("Export annotated video…", self.open_export_dialog, None),
                                     ("Quit", self.close, QKeySequence.StandardKey.Quit)):
            action = QAction(text, self)
            action.triggered.connect(slot)
            if shortcut is not None:
                action.setShortcut(shortcut)
            file_menu.addAction(action)
        tools = self.tools_menu = self.menuBar().addMenu("&Tools")
        for text, slot in (("Settings…", self.open_settings_dialog), ("Enrol a person…", self.open_enrol_dialog)):
            action = QAction(text, self)
            action.triggered.connect(slot)
            tools.addAction(action)
        play = QAction("Play / pause", self)
        play.setShortcut(QKeySequence(Qt.Key.Key_Space))
        play.triggered.connect(lambda: self.controls.play_button.toggle() if self.controls.play_button.isVisible() else None)
        self.addAction(play)

    def resizeEvent(self, event) -> None:
        """The side panels grow and shrink with the window (a share of its width), not only the video."""
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            docks = [d for d in self.docks.values() if not d.isFloating()]
            width = max(DOCK_MIN_WIDTH, int(self.width() * DOCK_SHARE))
            self.resizeDocks(docks, [width] * len(docks), Qt.Orientation.Horizontal)

    def _restore_geometry(self) -> None:
        geometry = self.store.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)

    def show_error(self, message: str, dialog: bool = False) -> None:
        """One line in the status bar; `dialog` also opens a non-modal message box."""
        self.last_error = message
        log.warning("%s", message)
        self.statusBar().showMessage(f"error: {message}", 15000)
        if dialog and not self._closing:
            box = QMessageBox(QMessageBox.Icon.Warning, APP_TITLE, message, QMessageBox.StandardButton.Ok, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    # ================================================================== sessions
    @property
    def worker(self) -> PipelineWorker | None:
        return self.session.worker if self.session is not None else None

    def start_source(self, spec: SourceSpec, start: float = 0.0, paused: bool = False) -> None:
        """Stop what runs and play `spec` (files from `start` seconds, paused if asked)."""
        if self._closing:
            return
        if self.recorder is not None:
            self.stop_recording()
        same_source = self.session is not None and self.session.spec == spec
        known_duration = self.session_info.duration if same_source and self.session_info is not None else None
        self._retire_session()
        control = PlaybackControl(speed=self.controls.current_speed(), paused=paused)
        worker = PipelineWorker(spec, self.settings, self.models, self.gallery, self.tap, control, start,
                                self.pose_factory, wait_for=tuple(s.worker.finished_event for s in self._retiring))
        self.teaching.attach(worker)
        thread = QThread(self)
        thread.setObjectName(f"aclnet-session-{spec.kind}")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # quits even while the UI waits
        worker.session_started.connect(self._on_session_started)
        worker.frame_ready.connect(self._on_frame)
        worker.stats_ready.connect(self._on_stats)
        worker.segments_ready.connect(self._on_segments)
        worker.status.connect(self._on_status)
        worker.failed.connect(self._on_failed)
        worker.done.connect(self._on_done)
        session = _Session(spec, worker, thread, control)
        thread.finished.connect(lambda s=session: self._on_thread_finished(s))
        self.session = session
        self.session_info = None
        self.last_view = None
        self._position = start
        self.source_picker.show_spec(spec)
        self.controls.set_mode(spec.seekable, known_duration)  # a seek keeps the duration it knows
        self.controls.set_position(start)
        self.controls.set_playing(not paused)
        self.controls.set_running(True)
        self.gallery_panel.set_enrol_enabled(False, "waiting for the models…")
        self.timeline_panel.new_session(f"{spec.label} from {format_time(start)}")
        self.statusBar().showMessage(f"starting {spec.label}…")
        thread.start()

    def stop_source(self) -> None:
        """Stop the running session (the last frame stays on screen)."""
        if self.recorder is not None:
            self.stop_recording()
        self._retire_session()
        self.controls.set_running(False)
        self.controls.set_playing(False)
        self.statusBar().showMessage("stopped")

    def _retire_session(self) -> None:
        session, self.session = self.session, None
        if session is None:
            return
        self.tap.cancel()
        session.worker.stop()
        if session.thread.isRunning():
            self._retiring.append(session)
        else:
            self._dispose(session)

    def _on_thread_finished(self, session: _Session) -> None:
        if session in self._retiring:
            self._retiring.remove(session)
        if session is not self.session:
            self._dispose(session)

    @staticmethod
    def _dispose(session: _Session) -> None:
        session.thread.deleteLater()  # the worker has no parent: Python frees it with the session

    def stop_all(self, timeout_ms: int = JOIN_TIMEOUT_MS) -> bool:
        """Stop every session and export and wait for their threads; True when all have ended."""
        if self.export_dialog is not None:
            self.export_dialog.cancel(timeout_ms)
        self._retire_session()
        ok = True
        for session in list(self._retiring):
            if session.thread.wait(timeout_ms):
                self._retiring.remove(session)
            else:
                ok = False
        self.camera_probe.join(timeout_ms / 1000)
        return ok

    def _is_current(self, session_id: int) -> bool:
        """True when a worker signal comes from the session on screen (never `sender()`: see PipelineWorker)."""
        return self.session is not None and self.session.worker.session_id == session_id

    def _session_by_id(self, session_id: int) -> _Session | None:
        for session in (self.session, *self._retiring):
            if session is not None and session.worker.session_id == session_id:
                return session
        return None

    # ------------------------------------------------------------------ worker signals
    def _on_session_started(self, session_id: int, info: SessionInfo) -> None:
        if not self._is_current(session_id):
            return
        self.session_info = info
        self.controls.set_mode(info.spec.seekable, info.duration)
        self.controls.set_position(info.start)
        self.stats_panel.show_session(info)
        self.model_label.setText(session_summary(info))
        if info.identity:
            self.gallery_panel.set_enrol_enabled(True)
        else:
            self.gallery_panel.set_enrol_enabled(False, "enrolment needs the gait model and a gallery (Settings)")
        text = "; ".join(info.messages) if info.messages else self._play_state_text()
        self.statusBar().showMessage(text, 0 if info.messages else 5000)

    def _play_state_text(self) -> str:
        """'playing X' or 'paused X (at 00:04.0)', as the controls show it."""
        session = self.session
        if session is None:
            return "stopped"
        if session.spec.seekable and session.control.paused:
            from app.gui.controls import format_time

            return f"paused {session.spec.label} at {format_time(self._position)}"
        return f"playing {session.spec.label}"

    def _on_frame(self, session_id: int, view: FrameView) -> None:
        if self._is_current(session_id):
            self.last_view = view
            self._position = view.position
            self.video.set_image(view.image)
            self._update_scores()
            if self.session.spec.seekable:
                self.controls.set_position(view.position)
            if self.recorder is not None:
                self.video.set_recording(f"REC {self.recorder.label} · {self.recorder.frames} frames")
        session = self._session_by_id(session_id)
        if session is not None:
            session.worker.frame_consumed()

    def _on_stats(self, session_id: int, snapshot: dict) -> None:
        if self._is_current(session_id):
            self.stats_panel.show_stats(snapshot)

    def _on_segments(self, session_id: int, segments: list) -> None:
        if self._is_current(session_id):
            self.timeline_panel.set_segments(segments)

    def _on_status(self, session_id: int, text: str) -> None:
        if self._is_current(session_id):
            self.statusBar().showMessage(text)

    def _on_failed(self, session_id: int, message: str) -> None:
        """Nothing of the previous source stays: scores, stats and Export are cleared, the source leaves the list."""
        if not self._is_current(session_id):
            return
        spec = self.session.spec
        self.show_error(message, dialog=True)
        self.video.clear(message)
        self.last_view = None
        self.session_info = None
        self.selected_track = None
        self.scores_panel.show_prediction(None, None)
        self.stats_panel.clear()
        self.model_label.setText("")
        self.controls.export_button.setEnabled(False)
        self.controls.slider.setEnabled(False)
        if spec.kind in ("file", "recording", "stream"):
            self.source_picker.remove_spec(spec)

    def _on_done(self, session_id: int, ended: bool) -> None:
        if not self._is_current(session_id):
            return
        self.session.running = False
        if self.recorder is not None:
            self.stop_recording()
        if ended and self.session.spec.loops:  # the demo clip plays again from the start
            self.start_source(self.session.spec, 0.0)
            return
        if self.session.spec.seekable:
            self.controls.set_playing(False)
            if ended:
                self.statusBar().showMessage("end of file", 5000)
        else:
            self.controls.set_running(False)

    # ------------------------------------------------------------------ user actions
    def _on_source_chosen(self, spec: SourceSpec) -> None:
        self.settings_changed(last_dir=self.source_picker.last_dir)
        self.start_source(spec)

    def open_path(self, path: str | Path) -> None:
        """Play a file (video or skeleton recording), as if it was opened or dropped."""
        try:
            spec = SourceSpec.parse(str(path))
        except UserError as exc:
            self.show_error(str(exc))
            return
        self.source_picker.last_dir = str(Path(path).parent)
        self.settings_changed(last_dir=self.source_picker.last_dir)
        self.start_source(spec)

    def _on_cameras_found(self, cameras: list) -> None:
        self.source_picker.set_cameras(cameras)
        if self.session is None and self._startup_source is None and not self._closing:
            self.start_source(SourceSpec.camera(cameras[0]) if cameras else SourceSpec.demo())

    def _on_play_toggled(self, play: bool) -> None:
        session = self.session
        if session is None or not session.spec.seekable:
            return
        if session.running:
            session.control.set_paused(not play)
            self.statusBar().showMessage(self._play_state_text(), 5000)
        elif play:  # the file ended: play again from the start (or where the user sought to)
            duration = self.session_info.duration if self.session_info else None
            start = 0.0 if duration is None or self._position >= duration - 0.2 else self._position
            self.start_source(session.spec, start=start)

    def seek(self, seconds: float) -> None:
        """Restart the current file at `seconds` (paused stays paused, showing the new frame)."""
        session = self.session
        if session is None or not session.spec.seekable:
            return
        self.start_source(session.spec, start=max(0.0, seconds), paused=not self.controls.playing)

    def _on_speed_changed(self, speed: float) -> None:
        if self.session is not None:
            self.session.control.set_speed(speed)

    def set_speed(self, speed: float) -> None:
        self.controls.set_speed(speed)

    def _on_live_toggled(self, start: bool) -> None:
        spec = self.session.spec if self.session is not None else self.source_picker.current()
        if start and spec is not None:
            self.start_source(spec)
        elif not start:
            self.stop_source()

    def _on_video_clicked(self, x: float, y: float) -> None:
        if self.last_view is None:
            return
        hit = None
        for tracked in self.last_view.result.tracks:
            box = tracked.box if tracked.box is not None else tracked.skeleton.box(self.last_view.result.frame.size)
            if box is not None and box[0] <= x <= box[2] and box[1] <= y <= box[3]:
                hit = tracked.track_id
                break
        self.selected_track = hit
        self._update_scores()

    def shown_track(self) -> int | None:
        """The person the scores panel shows: the selected one while in view, else the lowest id in view."""
        if self.last_view is None:
            return None
        from app.overlay import in_view

        size = self.last_view.result.frame.size
        ids = [t.track_id for t in self.last_view.result.tracks if in_view(t, size)]
        if self.selected_track in ids:
            return self.selected_track
        return min(ids) if ids else None

    def _update_scores(self) -> None:
        if self.last_view is not None and self.last_view.preview:
            self.scores_panel.show_waiting("Loading the models…")
            return
        track = self.shown_track()
        prediction = self.last_view.result.predictions.get(track) if (self.last_view and track is not None) else None
        self.scores_panel.show_prediction(track, prediction)

    # ------------------------------------------------------------------ settings
    def settings_changed(self, **changes) -> None:
        from dataclasses import replace

        self.settings = replace(self.settings, **changes).validated()
        save_settings(self.settings, self.store)

    def open_settings_dialog(self):
        from app.gui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.apply_settings(dialog.settings()))
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def apply_settings(self, new: GuiSettings) -> None:
        """Persist `new`; thresholds apply at once, other changes restart the current source where it was."""
        old, self.settings = self.settings, new.validated()
        save_settings(self.settings, self.store)
        if old.gallery != self.settings.gallery:
            self.open_gallery()
        restart = any(getattr(old, f) != getattr(self.settings, f) for f in _RESTART_FIELDS)
        if self.session is not None and restart:
            spec = self.session.spec
            self.start_source(spec, start=self._position if spec.seekable else 0.0,
                              paused=spec.seekable and not self.controls.playing)
        elif self.worker is not None:
            self.worker.set_smoothing(self.settings.smoothing())
        self.statusBar().showMessage("settings saved", 5000)

    # ------------------------------------------------------------------ gallery
    def open_gallery(self) -> None:
        from app.gallery.store import GalleryStore

        if self.gallery is not None:  # a retiring session may still read it: close it when the window closes
            self._old_galleries.append(self.gallery)
            self.gallery = None
        path = self.settings.gallery_path()
        try:
            self.gallery = GalleryStore(path, create=True)
        except UserError as exc:
            self.show_error(f"gallery unavailable: {exc}")
        self.refresh_gallery()

    def refresh_gallery(self) -> None:
        if self.gallery is None:
            self.gallery_panel.set_persons([], None)
            return
        try:
            self._gallery_revision = self.gallery.revision()
            self.gallery_panel.set_persons(self.gallery.persons(), str(self.gallery.path), self.gallery.model_id)
        except UserError as exc:
            self.show_error(str(exc))

    def _poll_gallery(self) -> None:
        """Another program (the CLI) may change the gallery: refresh the list when it did."""
        if self.gallery is not None and self.gallery.revision() != self._gallery_revision:
            self.refresh_gallery()

    def rename_person(self, old: str, new: str) -> bool:
        try:
            self._require_gallery().rename(old, new)
        except UserError as exc:
            self.show_error(str(exc))
            return False
        self.refresh_gallery()
        self.gallery_panel.select(new.strip())
        self.statusBar().showMessage(f"renamed {old} to {new.strip()}", 5000)
        return True

    def delete_person(self, name: str) -> bool:
        try:
            self._require_gallery().remove(name)
        except UserError as exc:
            self.show_error(str(exc))
            return False
        self.refresh_gallery()
        self.statusBar().showMessage(f"deleted {name} and their gait templates", 5000)
        return True

    def _require_gallery(self):
        if self.gallery is None:
            raise UserError("no gallery is open (check the gallery file in Settings)")
        return self.gallery

    def _ask_rename(self, name: str) -> None:
        new, ok = QInputDialog.getText(self, "Rename", f"New name for {name}:", text=name)
        if ok and new.strip() and new.strip() != name:
            self.rename_person(name, new)

    def _ask_delete(self, name: str) -> None:
        answer = QMessageBox.question(self, "Delete", f"Delete {name} and all their gait templates?")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_person(name)

    def open_enrol_dialog(self):
        from app.gui.dialogs.enrol import EnrolDialog

        info = self.session_info
        if self.session is None or info is None or not info.identity:
            self.show_error("enrolment needs a running source, the gait model and a gallery (see Settings)")
            return None
        remaining = None
        if self.session.spec.seekable and info.duration is not None and not self.session.spec.loops:
            remaining = max(0.0, info.duration - self._position)
        dialog = EnrolDialog(self.tap, self._commit_enrolment, track_id=self.shown_track(),
                             seconds=self.settings.enrol_seconds, countdown=self.settings.enrol_countdown, parent=self,
                             remaining_s=remaining)
        dialog.finished.connect(lambda _: self._on_enrol_finished(dialog))
        self.enrol_dialog = dialog
        dialog.open()
        return dialog

    def _commit_enrolment(self, name: str, embeddings: list):
        info = self.session_info
        if info is None or not info.gait_model_id:
            raise UserError("the gait model is not loaded any more")
        person = enrol_person(self._require_gallery(), name, embeddings, info.gait_model_id, source=info.spec.label)
        self.refresh_gallery()
        self.gallery_panel.select(person.name)
        return person

    def _on_enrol_finished(self, dialog) -> None:
        if dialog.person is not None:
            count = dialog.person.num_templates
            self.statusBar().showMessage(f"enrolled {dialog.person.name} ({count} template{'s' if count != 1 else ''})",
                                         8000)

    # ------------------------------------------------------------------ recording
    def _on_record_toggled(self, start: bool) -> None:
        if not start:
            self.stop_recording()
            return
        from app.gui.dialogs.record import RecordDialog

        labels = self.session_info.labels if self.session_info else []
        dialog = RecordDialog(str(self.settings.recordings_path()), labels, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.start_recording(*dialog.values()))
        dialog.rejected.connect(lambda: self.controls.set_recording(False))
        self.record_dialog = dialog
        dialog.open()

    def start_recording(self, label: str, folder: str | Path, min_frames: int = 16) -> bool:
        from app.gui.recorder import SkeletonRecorder

        if self.session is None or not self.session.running:
            self.show_error("start a source before recording")
            self.controls.set_recording(False)
            return False
        info = self.session_info
        try:
            recorder = SkeletonRecorder(label, folder, (info.fps if info and info.fps else 30.0),
                                        source_name=info.source_name if info else "gui", min_frames=min_frames)
        except UserError as exc:
            self.show_error(str(exc))
            self.controls.set_recording(False)
            return False
        if str(folder) != str(self.settings.recordings_path()):
            self.settings_changed(recordings_dir=str(folder))
        self.recorder = recorder
        self.session.worker.recorder = recorder
        self.controls.set_recording(True)
        self.video.set_recording(f"REC {recorder.label}")
        self.statusBar().showMessage(f"recording '{recorder.label}'…")
        return True

    def stop_recording(self) -> list[Path]:
        recorder, self.recorder = self.recorder, None
        if self.session is not None:
            self.session.worker.recorder = None
        self.controls.set_recording(False)
        self.video.set_recording(None)
        if recorder is None:
            return []
        try:
            written = recorder.save()
        except UserError as exc:
            self.show_error(str(exc))
            return []
        self.statusBar().showMessage(f"saved {len(written)} recording(s) in {written[0].parent}", 8000)
        return written

    # ------------------------------------------------------------------ export
    def open_export_dialog(self):
        from app.gui.dialogs.export import ExportDialog
        from app.gui.exporter import ExportJob

        session = self.session
        if session is None or session.spec.path is None or self.session_info is None:
            self.show_error("export needs a video file that opened: open one first")
            return None
        if self.export_dialog is not None and self.export_dialog.running:
            self.export_dialog.show()
            self.export_dialog.raise_()
            return self.export_dialog
        spec, settings = session.spec, self.settings

        def make_job(output: Path, write_json: bool) -> ExportJob:
            job = ExportJob(spec.path, output, settings, self.models, self.gallery, self.pose_factory, write_json)
            job.action_library = self.teaching.library  # custom actions are labelled in the export too
            return job

        dialog = ExportDialog(spec.path, make_job, parent=self)
        self.export_dialog = dialog
        self.export_status.follow(dialog)
        dialog.show()  # not modal: the window goes on playing
        return dialog

    # ------------------------------------------------------------------ drag and drop, closing
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True
        self._gallery_timer.stop()
        if self.recorder is not None:
            self.stop_recording()
        self.tap.cancel()
        self.teaching.close()
        if not self.stop_all():
            log.warning("some worker threads did not stop in time")
        self.teaching.close_library()
        self.store.setValue("window/geometry", self.saveGeometry())
        save_settings(self.settings, self.store)
        for store in [*self._old_galleries, self.gallery]:
            if store is not None:
                store.close()
        self._old_galleries, self.gallery = [], None
        super().closeEvent(event)
