"""The export dialog: where to write the annotated video, then a progress bar while `ExportJob` runs.

It never blocks the window: the dialog is not modal, and closing it while the export runs only hides it (the
main window's status bar keeps a progress bar with Cancel and, when done, Open folder). The default output
goes to the user's videos folder (`<videos>/ACLNet Live/NAME.annotated.mp4`), never beside the source.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QThread, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.annotate import ANNOTATED_SUFFIX
from app.gui.dialogs.settings import PathField
from app.gui.exporter import ExportJob


def videos_folder() -> Path:
    """`<the user's videos folder>/ACLNet Live` ($ACLNET_EXPORT_DIR overrides it)."""
    import os

    override = os.environ.get("ACLNET_EXPORT_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_videos_dir

    return Path(user_videos_dir()) / "ACLNet Live"


def default_output(input_path: str | Path, folder: Path | None = None) -> Path:
    """A fresh name in the videos folder: NAME.annotated.mp4, NAME.annotated-2.mp4, …"""
    folder = folder if folder is not None else videos_folder()
    stem = Path(input_path).stem
    path = folder / (stem + ANNOTATED_SUFFIX)
    n = 2
    while path.exists():
        path = folder / f"{stem}.annotated-{n}.mp4"
        n += 1
    return path


class ExportDialog(QDialog):
    """`make_job(output, write_json)` builds the ExportJob; the dialog runs it in its own QThread."""

    state_changed = pyqtSignal()  # started, progress, finished (the status bar follows it)

    def __init__(self, input_path: str | Path, make_job: Callable[[Path, bool], ExportJob],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)  # the window keeps playing while this is open and while the export runs
        self.setWindowTitle("Export an annotated video")
        self.setMinimumWidth(520)
        self.input_path = Path(input_path)
        self.make_job = make_job
        self.state = "idle"  # idle → running → done | failed | cancelled
        self.report = None
        self.error: str | None = None
        self.output = PathField(str(default_output(input_path)), "output .mp4", mode="save",
                                file_filter="MP4 video (*.mp4)")
        self.write_json = QCheckBox("also write the timeline (.json)")
        self.write_json.setChecked(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.message = QLabel(f"Input: {self.input_path.name}")
        self.message.setWordWrap(True)
        self.start_button = QPushButton("Export")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(lambda: self._job.cancel() if self._job is not None else None)
        self.open_folder_button = QPushButton("Open folder")
        self.open_folder_button.setEnabled(False)
        self.open_folder_button.clicked.connect(self.open_folder)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for button in (self.start_button, self.cancel_button, self.open_folder_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self.start)
        form = QFormLayout()
        form.addRow("Output", self.output)
        form.addRow("", self.write_json)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._thread: QThread | None = None
        self._job: ExportJob | None = None
        self.output_path: Path | None = None
        self.done_frames = self.total_frames = 0

    @property
    def running(self) -> bool:
        return self.state == "running"

    def start(self) -> None:
        output = self.output.text()
        if not output:
            self.message.setText("Choose an output file.")
            return
        path = Path(output).expanduser()
        if path.suffix.lower() != ".mp4":
            path = path.with_suffix(".mp4")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.message.setText(f"Cannot create {path.parent}: {exc.strerror or exc}")
            return
        self.output_path = path
        self.state, self.error, self.report = "running", None, None
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.open_folder_button.setEnabled(False)
        self.output.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Hide")
        self.message.setText(f"Writing {path} … (you can hide this window: the export goes on)")
        self.state_changed.emit()
        job = self.make_job(path, self.write_json.isChecked())
        thread = QThread(self)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_succeeded)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        job.done.connect(thread.quit)
        self._job, self._thread = job, thread
        thread.start()

    def _on_progress(self, done: int, total: int) -> None:
        self.done_frames, self.total_frames = done, total
        if total > 0:
            self.progress.setValue(int(1000 * done / total))
        self.message.setText(f"{done} / {total or '?'} frames")
        self.state_changed.emit()

    def open_folder(self) -> bool:
        """Show the output's folder in the desktop's file manager."""
        from PyQt6.QtCore import QUrl
        from PyQt6.QtGui import QDesktopServices

        folder = (self.output_path or Path(self.output.text())).parent
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _on_succeeded(self, report) -> None:
        self.state, self.report = "done", report
        self.progress.setValue(1000)
        self.message.setText(f"Wrote {report.output} ({report.frames} frames, {report.codec}, {report.seconds:.1f} s)")
        self._finished()

    def _on_failed(self, message: str) -> None:
        self.state, self.error = "failed", message
        self.message.setText(message)
        self._finished()

    def _on_cancelled(self) -> None:
        self.state = "cancelled"
        self.message.setText("Export cancelled; nothing was written.")
        self._finished()

    def _finished(self) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.open_folder_button.setEnabled(self.state == "done")
        self.output.setEnabled(True)
        if self.state == "done":
            self.output.edit.setText(str(default_output(self.input_path, self.output_path.parent)))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Close")
        self.state_changed.emit()

    def cancel(self, wait_ms: int = 10000) -> None:
        """Stop a running export and wait for its thread."""
        if self._job is not None:
            self._job.cancel()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(wait_ms)

    def reject(self) -> None:
        if self.running:
            self.hide()  # the export goes on; the status bar shows its progress
            return
        self.cancel()
        super().reject()

    def closeEvent(self, event) -> None:
        if self.running:
            self.hide()
            event.ignore()
            return
        super().closeEvent(event)
