"""The gallery list (enrolled people) with Enrol…, Rename… and Delete."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QWidget

from app.gui.panels.named_list import NamedListPanel


class GalleryPanel(NamedListPanel):
    enrol_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("No gallery", "Enrol…", "Add the selected person (or the one in view) by their gait",
                         parent=parent)
        self.enrol_button = self.add_button
        self.enrol_button.clicked.connect(self.enrol_requested)

    def set_persons(self, persons, path: str | None, model_id: str | None = None) -> None:
        """`persons`: app.gallery.store.PersonRecord list."""
        self._fill(persons, "template", "enrolled", path)
        self.path_label.setToolTip(f"gait model {model_id}" if model_id else "no templates yet")

    def set_enrol_enabled(self, enabled: bool, reason: str = "") -> None:
        self._set_add_enabled(enabled, reason)
