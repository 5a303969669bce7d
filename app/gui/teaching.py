"""Custom actions in the main window: the action library, its panel (dock), the Teach dialog and the tap.

`ActionTeaching(window)` adds the Actions dock and a Tools menu entry, hands each new session the library and
the window tap (`attach(worker)`), re-reads the library when another program changes it, and stores what the
Teach dialog collects. The library is $ACLNET_ACTIONS or `<user data dir>/aclnet-live/actions.sqlite`, the file
`main.py actions` uses. Kept apart from main_window.py, which only calls it at a few places.
"""

from __future__ import annotations

import logging
from typing import Any

from PyQt6.QtCore import QObject, Qt, QTimer
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QDockWidget, QInputDialog, QMessageBox

from aclnet_core.errors import UserError
from app.actions.tap import WindowTap
from app.gui.panels.actions import ActionsPanel

log = logging.getLogger(__name__)

POLL_MS = 1000


class ActionTeaching(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.tap = WindowTap()
        self.library = None
        self.dialog = None
        self._teach_model_id: str | None = None
        self._revision = None
        self._spec = None
        self.panel = ActionsPanel()
        dock = QDockWidget("Actions", window)
        dock.setObjectName("actions_dock")
        dock.setWidget(self.panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if "Gallery" in getattr(window, "docks", {}):
            window.tabifyDockWidget(window.docks["Gallery"], dock)
        window.docks["Actions"] = dock
        menu = getattr(window, "tools_menu", None)
        if menu is not None:
            action = QAction("Teach an action…", window)
            action.triggered.connect(self.open_teach_dialog)
            menu.addAction(action)
        self.panel.teach_requested.connect(self.open_teach_dialog)
        self.panel.rename_requested.connect(self._ask_rename)
        self.panel.delete_requested.connect(self._ask_delete)
        self.open_library()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.poll)
        self._timer.start(POLL_MS)

    # ------------------------------------------------------------------ library
    def open_library(self) -> None:
        from app.actions.library import ActionLibrary, resolve_actions_path

        path = resolve_actions_path()
        try:
            self.library = ActionLibrary(path, create=True)
        except UserError as exc:
            self.library = None
            self.window.show_error(f"action library unavailable: {exc}")
        self.refresh()

    def refresh(self) -> None:
        from app.actions.matcher import leave_one_out
        from app.actions_cli import format_calibration

        if self.library is None:
            self.panel.set_actions([], None)
            return
        self._revision = self.library.revision()
        cal = leave_one_out(*self.library.examples())
        self.panel.set_actions(self.library.persons(), str(self.library.path), format_calibration(cal))

    def poll(self) -> None:
        if self.library is not None and self.library.revision() != self._revision:
            self.refresh()

    def attach(self, worker: Any) -> None:
        """Give a new session the library and the tap (a new source starts an empty tap)."""
        if worker.spec != self._spec:
            self.tap.clear()
            self._spec = worker.spec
        worker.action_library = self.library
        worker.action_tap = self.tap

    def close(self) -> None:
        self._timer.stop()
        if self.dialog is not None:
            self.dialog.reject()
        # the library stays open until the session threads are joined (they may still read it)

    def close_library(self) -> None:
        if self.library is not None:
            self.library.close()
            self.library = None

    # ------------------------------------------------------------------ teaching
    def _model_id(self) -> str | None:
        worker = self.window.worker
        recogniser = getattr(worker, "recogniser", None)
        return None if recogniser is None else str(getattr(recogniser.meta, "model_id", "") or "") or None

    def open_teach_dialog(self):
        from app.actions.examples import example_window_options
        from app.gui.dialogs.teach import TeachDialog

        window = self.window
        if window.session is None or window.session_info is None or self._model_id() is None:
            window.show_error("teaching needs a running source and the action model")
            return None
        if self.library is None:
            window.show_error("no action library is open")
            return None
        info = window.session_info
        self._teach_model_id = self._model_id()  # the examples' model, even if the stream ends before the last
        span_s = example_window_options(window.worker.recogniser.meta).span_s
        dialog = TeachDialog(self.tap, lambda: float(window._position), self.commit, live=bool(info.live),
                             span_s=span_s, seek=window.seek if info.spec.seekable else None,
                             track_id=window.shown_track(), countdown=window.settings.enrol_countdown,
                             parent=window)
        dialog.finished.connect(lambda _: self._on_finished(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def commit(self, name: str, examples: list, sources: list) -> tuple[Any, str]:
        """Store the examples (lists of window embeddings; added to an action of that name if there is one);
        returns the record and the leave-one-out line."""
        from app.actions.library import check_action_name
        from app.actions.matcher import leave_one_out
        from app.actions_cli import format_calibration

        model_id = self._teach_model_id or self._model_id()
        if model_id is None or self.library is None:
            raise UserError("the action model or the action library is not available any more")
        self.library.check_model(model_id)
        vectors = [v for windows in examples for v in windows]
        keys = [key for windows, key in zip(examples, sources) for _ in windows]
        record = self.library.add_templates(check_action_name(name), vectors, model_id, sources=keys)
        text = format_calibration(leave_one_out(*self.library.examples()))
        self.refresh()
        self.panel.select(record.name)
        return record, text

    def _on_finished(self, dialog) -> None:
        if dialog.state == "done" and dialog.record is not None:
            self.window.statusBar().showMessage(f"taught {dialog.record.name}: {dialog.result_text}", 10000)
        if self.dialog is dialog:
            self.dialog = None

    # ------------------------------------------------------------------ rename / delete
    def rename(self, old: str, new: str) -> bool:
        try:
            if self.library is None:
                raise UserError("no action library is open")
            self.library.rename(old, new)
        except UserError as exc:
            self.window.show_error(str(exc))
            return False
        self.refresh()
        self.panel.select(new.strip())
        return True

    def delete(self, name: str) -> bool:
        try:
            if self.library is None:
                raise UserError("no action library is open")
            self.library.remove(name)
        except UserError as exc:
            self.window.show_error(str(exc))
            return False
        self.refresh()
        return True

    def _ask_rename(self, name: str) -> None:
        new, ok = QInputDialog.getText(self.window, "Rename action", f"New name for {name}:", text=name)
        if ok and new.strip() and new.strip() != name:
            self.rename(name, new)

    def _ask_delete(self, name: str) -> None:
        answer = QMessageBox.question(self.window, "Delete", f"Delete the action {name} and its examples?")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(name)
