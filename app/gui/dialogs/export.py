"""The export dialog: where to write the annotated video, then a progress bar while `ExportJob` runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QThread
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


def default_output(input_path: str | Path) -> Path:
    path = Path(input_path)
    return path.with_name(path.stem + ANNOTATED_SUFFIX)


class ExportDialog(QDialog):
    """`make_job(output, write_json)` builds the ExportJob; the dialog runs it in its own QThread."""

    def __init__(self, input_path: str | Path, make_job: Callable[[Path, bool], ExportJob],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
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
        self.state, self.error, self.report = "running", None, None
        self.start_button.setEnabled(False)
        self.output.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Cancel")
        self.message.setText(f"Writing {path} …")
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
        if total > 0:
            self.progress.setValue(int(1000 * done / total))
        self.message.setText(f"{done} / {total or '?'} frames")

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
        self.output.setEnabled(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Close")

    def cancel(self, wait_ms: int = 10000) -> None:
        """Stop a running export and wait for its thread."""
        if self._job is not None:
            self._job.cancel()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(wait_ms)

    def reject(self) -> None:
        if self.running:
            if self._job is not None:
                self._job.cancel()  # the dialog stays open until the job says it stopped
            return
        self.cancel()
        super().reject()

    def closeEvent(self, event) -> None:
        if self.running:
            self.reject()
            event.ignore()
            return
        super().closeEvent(event)
