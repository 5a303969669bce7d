"""The gallery list (enrolled people) with Enrol…, Rename… and Delete."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget


class GalleryPanel(QWidget):
    enrol_requested = pyqtSignal()
    rename_requested = pyqtSignal(str)
    delete_requested = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path_label = QLabel("No gallery")
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list = QListWidget()
        self.enrol_button = QPushButton("Enrol…")
        self.enrol_button.setToolTip("Add the selected person (or the one in view) by their gait")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete")
        buttons = QHBoxLayout()
        for button in (self.enrol_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.path_label)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.enrol_button.clicked.connect(self.enrol_requested)
        self.rename_button.clicked.connect(lambda: self._emit_for_selected(self.rename_requested))
        self.delete_button.clicked.connect(lambda: self._emit_for_selected(self.delete_requested))
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def set_persons(self, persons, path: str | None, model_id: str | None = None) -> None:
        """`persons`: app.gallery.store.PersonRecord list."""
        selected = self.selected_name()
        self.list.clear()
        for person in persons:
            item = QListWidgetItem(f"{person.name}  ({person.num_templates} template{'s' if person.num_templates != 1 else ''})")
            item.setData(Qt.ItemDataRole.UserRole, person.name)
            item.setToolTip(f"enrolled {person.created_at}, updated {person.updated_at}")
            self.list.addItem(item)
            if person.name == selected:
                self.list.setCurrentItem(item)
        self.path_label.setText(str(path) if path else "No gallery")
        self.path_label.setToolTip(f"gait model {model_id}" if model_id else "no templates yet")
        self._update_buttons()

    def names(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentRow(i)
                return

    def set_enrol_enabled(self, enabled: bool, reason: str = "") -> None:
        self.enrol_button.setEnabled(enabled)
        self.enrol_button.setToolTip("Add the selected person (or the one in view) by their gait" if enabled else reason)

    def _emit_for_selected(self, signal) -> None:
        name = self.selected_name()
        if name:
            signal.emit(name)

    def _update_buttons(self) -> None:
        has = self.selected_name() is not None
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)
