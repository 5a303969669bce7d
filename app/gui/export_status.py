"""The export's place in the status bar: progress, Cancel and Open folder, while the window keeps playing."""

from __future__ import annotations

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class ExportStatus(QWidget):
    """Follows an ExportDialog (`follow(dialog)`); hidden until an export starts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("Export")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(140)
        self.cancel_button = QPushButton("Cancel")
        self.open_button = QPushButton("Open folder")
        self.show_button = QPushButton("Details…")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.bar, self.cancel_button, self.open_button, self.show_button):
            layout.addWidget(widget)
        self._dialog = None
        self.cancel_button.clicked.connect(self._cancel)
        self.open_button.clicked.connect(lambda: self._dialog.open_folder() if self._dialog else None)
        self.show_button.clicked.connect(self._show_dialog)
        self.setVisible(False)

    def follow(self, dialog) -> None:
        if self._dialog is dialog:
            return
        self._dialog = dialog
        dialog.state_changed.connect(self.refresh)

    def refresh(self) -> None:
        dialog = self._dialog
        if dialog is None or dialog.state == "idle":
            self.setVisible(False)
            return
        self.setVisible(True)
        running = dialog.state == "running"
        total = dialog.total_frames
        self.bar.setVisible(running)
        if total:
            self.bar.setValue(int(1000 * dialog.done_frames / total))
        name = dialog.output_path.name if dialog.output_path is not None else ""
        self.label.setText({"running": f"Exporting {name}", "done": f"Exported {name}",
                            "failed": "Export failed", "cancelled": "Export cancelled"}.get(dialog.state, ""))
        self.label.setToolTip(dialog.error or str(dialog.output_path or ""))
        self.cancel_button.setVisible(running)
        self.open_button.setVisible(dialog.state == "done")

    def _cancel(self) -> None:
        if self._dialog is not None and self._dialog._job is not None:
            self._dialog._job.cancel()

    def _show_dialog(self) -> None:
        if self._dialog is not None:
            self._dialog.show()
            self._dialog.raise_()
