"""The settings dialog: model files, pose model, windows, thresholds, backend, persons, folders."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.gui.settings import POSE_MODELS, GuiSettings

MODEL_FILTER = "Models (*.onnx *.pt);;All files (*)"


class PathField(QWidget):
    """A line edit with a Browse… button (a file, a folder or a file to save)."""

    def __init__(self, text: str, placeholder: str, mode: str = "open", file_filter: str = "") -> None:
        super().__init__()
        self.mode, self.file_filter = mode, file_filter
        self.edit = QLineEdit(text)
        self.edit.setPlaceholderText(placeholder)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def text(self) -> str:
        return self.edit.text().strip()

    def _browse(self) -> None:
        start = self.text() or str(Path.home())
        if self.mode == "dir":
            path = QFileDialog.getExistingDirectory(self, "Choose a folder", start)
        elif self.mode == "save":
            path, _ = QFileDialog.getSaveFileName(self, "Choose a file", start, self.file_filter)
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a file", start, self.file_filter)
        if path:
            self.edit.setText(path)


class SettingsDialog(QDialog):
    def __init__(self, settings: GuiSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._base = settings
        self.action_model = PathField(settings.action_model, "shipped assets/models/action.*", file_filter=MODEL_FILTER)
        self.gait_model = PathField(settings.gait_model, "shipped assets/models/gait.*", file_filter=MODEL_FILTER)
        self.gallery = PathField(settings.gallery, "default gallery ($ACLNET_GALLERY or user data)", mode="save",
                                 file_filter="Galleries (*.sqlite);;All files (*)")
        self.recordings = PathField(settings.recordings_dir, str(settings.recordings_path()), mode="dir")
        self.pose_model = QComboBox()
        self.pose_model.addItems(POSE_MODELS)
        self.pose_model.setCurrentText(settings.pose_model if settings.pose_model in POSE_MODELS else "lite")
        self.num_persons = QSpinBox()
        self.num_persons.setRange(1, 8)
        self.num_persons.setValue(settings.num_persons)
        self.window = QSpinBox()
        self.window.setRange(0, 512)
        self.window.setSpecialValueText("the model's")
        self.window.setValue(settings.window)
        self.stride = QSpinBox()
        self.stride.setRange(1, 256)
        self.stride.setValue(settings.stride)
        self.label_threshold = _probability(settings.label_threshold, 0.01)
        self.exit_threshold = _probability(settings.exit_threshold, 0.0)
        self.identity_auto = QCheckBox("the gait model's calibrated threshold")
        self.identity_auto.setChecked(settings.identity_threshold is None)
        self.identity_threshold = QDoubleSpinBox()
        self.identity_threshold.setRange(-1.0, 1.0)
        self.identity_threshold.setSingleStep(0.05)
        self.identity_threshold.setDecimals(3)
        self.identity_threshold.setValue(0.7 if settings.identity_threshold is None else settings.identity_threshold)
        self.identity_threshold.setEnabled(settings.identity_threshold is not None)
        self.identity_auto.toggled.connect(lambda auto: self.identity_threshold.setEnabled(not auto))
        identity = QWidget()
        row = QHBoxLayout(identity)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.identity_auto)
        row.addWidget(self.identity_threshold)
        self.backend = QComboBox()
        self._add_backends(settings.backend)
        form = QFormLayout()
        form.addRow("Action model", self.action_model)
        form.addRow("Gait model", self.gait_model)
        form.addRow("Gallery file", self.gallery)
        form.addRow("Pose model", self.pose_model)
        form.addRow("Persons (most per frame)", self.num_persons)
        form.addRow("Window (samples)", self.window)
        form.addRow("Stride (samples)", self.stride)
        form.addRow("Label threshold", self.label_threshold)
        form.addRow("Keep label above", self.exit_threshold)
        form.addRow("Identity threshold", identity)
        form.addRow("Inference backend", self.backend)
        form.addRow("Recordings folder", self.recordings)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _add_backends(self, current: str) -> None:
        """Every backend; those this machine cannot run are greyed out and say what to install."""
        from PyQt6.QtCore import Qt

        from app.gui.backends import backend_choices

        model = self.backend.model()
        for choice in backend_choices():
            text = choice.name if choice.available else f"{choice.name} (not installed)"
            self.backend.addItem(text, choice.name)
            index = self.backend.count() - 1
            self.backend.setItemData(index, choice.hint, Qt.ItemDataRole.ToolTipRole)
            if not choice.available:
                model.item(index).setEnabled(False)
        self.select_backend(current)

    def select_backend(self, name: str) -> None:
        index = self.backend.findData(name)
        item = self.backend.model().item(index) if index >= 0 else None
        self.backend.setCurrentIndex(index if item is not None and item.isEnabled() else 0)

    def settings(self) -> GuiSettings:
        """The edited settings (validated)."""
        from dataclasses import replace

        return replace(
            self._base,
            action_model=self.action_model.text(), gait_model=self.gait_model.text(), gallery=self.gallery.text(),
            recordings_dir=self.recordings.text(), pose_model=self.pose_model.currentText(),
            num_persons=self.num_persons.value(), window=self.window.value(), stride=self.stride.value(),
            label_threshold=self.label_threshold.value(), exit_threshold=self.exit_threshold.value(),
            identity_threshold=None if self.identity_auto.isChecked() else self.identity_threshold.value(),
            backend=self.backend.currentData(),
        ).validated()

    def restore_defaults(self) -> None:
        d = GuiSettings()
        for field, value in ((self.action_model, d.action_model), (self.gait_model, d.gait_model),
                             (self.gallery, d.gallery), (self.recordings, d.recordings_dir)):
            field.edit.setText(value)
        self.pose_model.setCurrentText(d.pose_model)
        self.num_persons.setValue(d.num_persons)
        self.window.setValue(d.window)
        self.stride.setValue(d.stride)
        self.label_threshold.setValue(d.label_threshold)
        self.exit_threshold.setValue(d.exit_threshold)
        self.identity_auto.setChecked(True)
        self.select_backend(d.backend)


def _probability(value: float, minimum: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(minimum, 0.99)
    box.setSingleStep(0.05)
    box.setDecimals(2)
    box.setValue(value)
    return box
