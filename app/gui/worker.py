"""The pipeline behind the window: one session (source → pose → tracks → labels) in a worker thread.

`PipelineWorker.run()` runs in a QThread: it loads the models, opens the source, runs `app.pipeline.Pipeline`
(which has its own capture / pose / inference threads) and hands results to the UI through signals:
annotated frames (`frame_ready`, at most one waiting at a time: a busy UI gets the newest frame), statistics,
timeline segments, status lines and errors. `done` is always its last signal. `stop()` is thread-safe and
returns at once; the thread then joins the pipeline's threads and closes the source (camera) itself.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QImage

from aclnet_core.errors import UserError
from app.gui.enrolment import EnrolmentTap, TappedIdentity
from app.gui.models import LoadedModels, ModelCache
from app.gui.playback import PlaybackControl
from app.gui.settings import GuiSettings
from app.gui.source_spec import SourceSpec
from app.gui.video_view import render_result
from app.records import FrameResult

log = logging.getLogger(__name__)

STATS_PERIOD_S = 0.5
SEGMENTS_PERIOD_S = 0.25
_POLL_S = 0.03
_SESSION_IDS = itertools.count(1)


@dataclass
class SessionInfo:
    """What the UI needs to know about a session once its source is open."""

    spec: SourceSpec
    source_name: str
    live: bool
    fps: float | None
    size: tuple[int, int] | None
    duration: float | None  # seconds (files), None for live sources
    start: float
    labels: list[str] = field(default_factory=list)
    backend: str = "none"
    action_name: str = "none"
    gait_name: str = "none"
    identity: bool = False  # gait identities (and enrolment) are on
    gait_model_id: str | None = None
    messages: list[str] = field(default_factory=list)
    window: int = 0  # samples per window in use (the settings' or the model's)
    window_s: float = 0.0  # the time one window spans
    num_poses: int = 1


@dataclass
class FrameView:
    """One annotated frame for the UI."""

    image: QImage
    result: FrameResult
    position: float  # stream time in seconds
    preview: bool = False  # the source's first frame, shown before the models and the pose stage are ready


class PipelineWorker(QObject):
    """One playback session in its own thread.

    Every signal carries the worker's `session_id` first, so the window tells sessions apart without
    `QObject.sender()`: a queued signal can arrive after its (parentless) worker has been freed, and
    `sender()` then returns a dangling pointer that crashes the process.
    """

    action_library = None  # app.actions.library.ActionLibrary: custom actions (set by the window before start)
    action_tap = None  # app.actions.tap.WindowTap: windows for teaching
    session_started = pyqtSignal(int, object)  # session id, SessionInfo
    frame_ready = pyqtSignal(int, object)  # session id, FrameView
    stats_ready = pyqtSignal(int, dict)  # session id, PipelineStats.snapshot()
    segments_ready = pyqtSignal(int, list)  # session id, app.timeline.Segment list of this session
    status = pyqtSignal(int, str)
    failed = pyqtSignal(int, str)  # session id, one line
    done = pyqtSignal(int, bool)  # session id, True when the stream ended by itself (end of file)

    def __init__(self, spec: SourceSpec, settings: GuiSettings, models: ModelCache, gallery: Any | None,
                 tap: EnrolmentTap, control: PlaybackControl | None = None, start: float = 0.0,
                 pose_factory: Any | None = None, wait_for: tuple[threading.Event, ...] = ()) -> None:
        super().__init__()
        self.session_id = next(_SESSION_IDS)
        self.spec = spec
        self.settings = settings
        self.models = models
        self.gallery = gallery
        self.tap = tap
        self.control = control or PlaybackControl()
        self.start_at = max(0.0, float(start))
        self.pose_factory = pose_factory
        self.recorder = None  # a SkeletonRecorder while recording (set from the UI thread)
        self.recogniser = None
        self.finished_event = threading.Event()  # set when run() has released everything
        self._wait_for = wait_for
        self._stop = threading.Event()
        self._ui_ready = threading.Event()
        self._ui_ready.set()

    # ------------------------------------------------------------------ called from the UI thread
    def stop(self) -> None:
        """Ask the session to end (returns at once)."""
        self._stop.set()
        self.control.stop()

    def frame_consumed(self) -> None:
        """The UI painted the last frame: the next one may come."""
        self._ui_ready.set()

    def set_smoothing(self, smoothing) -> None:
        recogniser = self.recogniser
        if recogniser is not None:
            recogniser.set_smoothing(smoothing)

    # ------------------------------------------------------------------ the worker thread
    def run(self) -> None:
        ended = False
        try:
            ended = self._run()
        except UserError as exc:
            self.failed.emit(self.session_id, str(exc))
        except Exception as exc:
            log.exception("session failed")
            self.failed.emit(self.session_id, f"unexpected error: {type(exc).__name__}: {exc}")
        finally:
            self.finished_event.set()
            self.done.emit(self.session_id, ended)

    def _run(self) -> bool:
        for event in self._wait_for:  # the previous session must have released the camera
            while not event.wait(0.05):
                if self._stop.is_set():
                    return False
        if self._stop.is_set():
            return False
        self.status.emit(self.session_id, f"opening {self.spec.label}…")
        source = self.spec.open(self.control, self.start_at)  # first: its first frame shows while models load
        try:
            self._emit_preview(source)
            self.status.emit(self.session_id, "loading models…")
            models = self.models.load(self.settings)
            messages = list(models.messages)
            recogniser, identity = self._build_recogniser(models, messages)
            if self._stop.is_set():
                return False
            return self._stream(source, recogniser, identity, models, messages)
        finally:
            source.close()

    def _emit_preview(self, source) -> None:
        """Show the source's first frame at once (no skeletons yet: the models are still loading)."""
        preview = getattr(source, "preview", None)
        image = preview() if preview is not None else None
        if image is None:
            return
        from app.records import Frame

        frame = Frame(image=image.copy(), index=-1, timestamp=self.start_at)
        self._emit_frame(FrameResult(frame, [], {}), preview=True)

    def _build_recogniser(self, models: LoadedModels, messages: list[str]):
        from app.recogniser import Recogniser

        if models.action is None:
            return None, False
        identity = None
        if models.gait is not None:
            if self.gallery is None:
                messages.append("no gallery file: identities are off")
            else:
                from app.identity import IdentityService

                try:
                    service = IdentityService(models.gait, self.gallery, self.settings.identity_threshold)
                    identity = TappedIdentity(service, self.tap)
                    self.tap.set_gait_runtime(models.gait)  # enrolment embeds every tracked frame
                except UserError as exc:
                    messages.append(f"identities are off: {exc}")
        recogniser = Recogniser(models.action, self.settings.recogniser_options(), identity=identity,
                                actions=self._custom_actions(models, messages))
        self.recogniser = recogniser
        return recogniser, identity is not None

    def _custom_actions(self, models: LoadedModels, messages: list[str]):
        """The action library's custom actions for this action model, feeding the teaching tap (or None)."""
        if self.action_library is None:
            return None
        from app.actions.live import CustomActions

        try:
            custom = CustomActions(self.action_library, str(getattr(models.action.meta, "model_id", "") or ""))
        except UserError as exc:
            messages.append(f"custom actions are off: {exc}")
            return None
        custom.tap = self.action_tap
        return custom

    def _window_options(self, recogniser):
        if recogniser is None or self.settings.window <= 0:
            return None
        from app.recogniser import meta_sample_fps
        from app.windows import WindowOptions

        return WindowOptions(length=self.settings.window, sample_fps=meta_sample_fps(recogniser.meta),
                             stride=self.settings.stride)

    def _stream(self, source, recogniser, identity: bool, models: LoadedModels, messages: list[str]) -> bool:
        from app.pipeline import Pipeline, PipelineOptions
        from app.timeline import Timeline

        # short queues: at a playback speed the source drops late frames, and what waits in a queue only adds lag
        options = PipelineOptions(pose=self.settings.pose_options(), windows=self._window_options(recogniser),
                                  queue_size=2)
        pipeline = Pipeline(source, recogniser, options, pose_factory=self.pose_factory)
        if hasattr(source, "on_drop"):
            source.on_drop = pipeline.stats.add_drop
        timeline = Timeline(source=source.name, fps=source.fps)
        info = SessionInfo(
            spec=self.spec, source_name=source.name, live=pipeline.live, fps=source.fps, size=source.size,
            duration=getattr(source, "duration", None), start=self.start_at,
            labels=list(recogniser.labels) if recogniser is not None else [], backend=models.backend,
            action_name=models.action_name, gait_name=models.gait_name, identity=identity,
            gait_model_id=str(models.gait.meta.model_id) if identity else None, messages=messages,
            window=pipeline.window_options.length, window_s=pipeline.window_options.span_s,
            num_poses=self.settings.num_persons)
        self.session_started.emit(self.session_id, info)
        latest: FrameResult | None = None
        next_stats = next_segments = time.monotonic()
        segments_dirty = False
        try:
            pipeline.start()
            while not self._stop.is_set():
                result = pipeline.poll(timeout=_POLL_S)
                if result is None and pipeline.finished:
                    break
                if result is not None:
                    self.tap.observe(result)
                    timeline.update(result)
                    segments_dirty = segments_dirty or bool(result.predictions)
                    recorder = self.recorder
                    if recorder is not None:
                        recorder.add(result)
                    latest = result
                if latest is not None and self._ui_ready.is_set():
                    self._emit_frame(latest)
                    latest = None
                now = time.monotonic()
                if now >= next_stats:
                    self.stats_ready.emit(self.session_id, pipeline.stats.snapshot())
                    next_stats = now + STATS_PERIOD_S
                if segments_dirty and now >= next_segments:
                    self.segments_ready.emit(self.session_id, timeline.segments())
                    segments_dirty, next_segments = False, now + SEGMENTS_PERIOD_S
        finally:
            pipeline.stop()
        ended = pipeline.finished and not self._stop.is_set()
        if latest is not None:  # the last frame of a file is always shown
            self._emit_frame(latest)
        self.stats_ready.emit(self.session_id, pipeline.stats.snapshot())
        self.segments_ready.emit(self.session_id, timeline.segments())
        return ended

    def _emit_frame(self, result: FrameResult, preview: bool = False) -> None:
        self._ui_ready.clear()
        view = FrameView(render_result(result), result, float(result.frame.timestamp), preview)
        self.frame_ready.emit(self.session_id, view)
