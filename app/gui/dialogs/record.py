"""The record dialog: the action's label and the recordings folder (training format, like `main.py record`)."""

from __future__ import annotations

from PyQt6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from app.gui.dialogs.settings import PathField


class RecordDialog(QDialog):
    def __init__(self, folder: str, labels: list[str] | None = None, last_label: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record skeletons")
        self.label = QComboBox()
        self.label.setEditable(True)
        self.label.addItems(labels or [])
        self.label.setCurrentText(last_label)
        self.label.lineEdit().setPlaceholderText("action name, e.g. wave")
        self.folder = PathField(folder, folder, mode="dir")
        self.min_frames = QSpinBox()
        self.min_frames.setRange(2, 10000)
        self.min_frames.setValue(16)
        note = QLabel("Every tracked person is saved as <folder>/<label>/…-track<N>.npz (MediaPipe world "
                      "landmarks), the format `main.py train` reads. Press the button again to stop.")
        note.setWordWrap(True)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c0392b")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record")
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Label", self.label)
        form.addRow("Folder", self.folder)
        form.addRow("Shortest track (frames)", self.min_frames)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def values(self) -> tuple[str, str, int]:
        return self.label.currentText().strip(), self.folder.text(), self.min_frames.value()

    def _accept_if_valid(self) -> None:
        label, folder, _ = self.values()
        if not label:
            self.error.setText("Enter a label.")
        elif not folder:
            self.error.setText("Choose a folder.")
        else:
            self.accept()
