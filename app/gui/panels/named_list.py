"""A list of named entries (gallery people, custom actions) with an add button, Rename… and Delete."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget


class NamedListPanel(QWidget):
    """The shared body of the Gallery and Actions panels: the file path, the list, the button row."""

    rename_requested = pyqtSignal(str)
    delete_requested = pyqtSignal(str)

    def __init__(self, empty_text: str, add_text: str, add_tip: str, extra: QWidget | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._empty_text, self._add_tip = empty_text, add_tip
        self.path_label = QLabel(empty_text)
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list = QListWidget()
        self.add_button = QPushButton(add_text)
        self.add_button.setToolTip(add_tip)
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.path_label)
        layout.addWidget(self.list)
        if extra is not None:
            layout.addWidget(extra)
        layout.addLayout(buttons)
        self.rename_button.clicked.connect(lambda: self._emit_for_selected(self.rename_requested))
        self.delete_button.clicked.connect(lambda: self._emit_for_selected(self.delete_requested))
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def _fill(self, records, unit: str, dated: str, path: str | None) -> None:
        """Show `records` (app.embedding_store.PersonRecord) as 'name  (n unit[s])', keeping the selection."""
        selected = self.selected_name()
        self.list.clear()
        for record in records:
            n = record.num_templates
            item = QListWidgetItem(f"{record.name}  ({n} {unit}{'s' if n != 1 else ''})")
            item.setData(Qt.ItemDataRole.UserRole, record.name)
            item.setToolTip(f"{dated} {record.created_at}, updated {record.updated_at}")
            self.list.addItem(item)
            if record.name == selected:
                self.list.setCurrentItem(item)
        self.path_label.setText(str(path) if path else self._empty_text)
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

    def _set_add_enabled(self, enabled: bool, reason: str = "") -> None:
        self.add_button.setEnabled(enabled)
        self.add_button.setToolTip(self._add_tip if enabled else reason)

    def _emit_for_selected(self, signal) -> None:
        name = self.selected_name()
        if name:
            signal.emit(name)

    def _update_buttons(self) -> None:
        has = self.selected_name() is not None
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)
