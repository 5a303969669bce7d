"""Annotated-video export of a file in a worker thread, through `app.annotate.annotate_video` (the CLI's code).

Progress is reported per frame (throttled); `cancel()` stops at the next frame and the partial video is
removed (annotate_video writes complete-or-absent files).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from aclnet_core.errors import UserError
from app.gui.models import ModelCache
from app.gui.settings import GuiSettings

log = logging.getLogger(__name__)

PROGRESS_PERIOD_S = 0.1


class ExportCancelled(Exception):
    """Raised from the per-frame callback to stop an export."""


class ExportJob(QObject):
    progress = pyqtSignal(int, int)  # frames done, frames in total (0 when unknown)
    succeeded = pyqtSignal(object)  # app.annotate.AnnotateReport
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()
    done = pyqtSignal()  # always last

    def __init__(self, input_path: str | Path, output_path: str | Path, settings: GuiSettings, models: ModelCache,
                 gallery: Any | None = None, pose_factory: Any | None = None, write_json: bool = True) -> None:
        super().__init__()
        self.input_path, self.output_path = str(input_path), Path(output_path)
        self.settings, self.models, self.gallery = settings, models, gallery
        self.pose_factory, self.write_json = pose_factory, write_json
        self.finished_event = threading.Event()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        try:
            self.succeeded.emit(self._run())
        except ExportCancelled:
            self.cancelled.emit()
        except UserError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:
            log.exception("export failed")
            self.failed.emit(f"export failed: {type(exc).__name__}: {exc}")
        finally:
            self.finished_event.set()
            self.done.emit()

    action_library = None  # app.actions.library.ActionLibrary: custom actions in the export (set by the window)

    def _custom_actions(self, runtime):
        if self.action_library is None:
            return None
        from app.actions.live import CustomActions

        try:
            return CustomActions(self.action_library, str(getattr(runtime.meta, "model_id", "") or ""))
        except UserError:
            return None

    def _total_frames(self) -> int:
        from app.sources import VideoFileSource

        with VideoFileSource(self.input_path) as source:
            return int(source.frame_count or 0)

    def _run(self):
        from app.annotate import AnnotateOptions, annotate_video
        from app.recogniser import Recogniser

        total = self._total_frames()
        self.progress.emit(0, total)
        models = self.models.load(self.settings)
        recogniser = None
        if models.action is not None:
            identity = None
            if models.gait is not None and self.gallery is not None:
                from app.identity import IdentityService

                try:
                    identity = IdentityService(models.gait, self.gallery, self.settings.identity_threshold)
                except UserError as exc:
                    log.warning("export without identities: %s", exc)
            recogniser = Recogniser(models.action, self.settings.recogniser_options(), identity=identity,
                                    actions=self._custom_actions(models.action))
        options = AnnotateOptions(pose=self.settings.pose_options(), recogniser=self.settings.recogniser_options(),
                                  write_json=self.write_json, progress=False, pose_only=recogniser is None)
        done, last = 0, 0.0

        def on_frame(_result) -> None:
            nonlocal done, last
            if self._cancel.is_set():
                raise ExportCancelled()
            done += 1
            now = time.monotonic()
            if now - last >= PROGRESS_PERIOD_S:
                last = now
                self.progress.emit(done, max(total, done))

        if self._cancel.is_set():
            raise ExportCancelled()
        report = annotate_video(self.input_path, self.output_path, options, recogniser=recogniser, on_frame=on_frame,
                                pose_factory=self.pose_factory)
        self.progress.emit(done, max(total, done))
        return report
