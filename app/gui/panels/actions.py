"""The custom actions list (the action library) with Teach…, Rename… and Delete, and its leave-one-out result."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget


class ActionsPanel(QWidget):
    teach_requested = pyqtSignal()
    rename_requested = pyqtSignal(str)
    delete_requested = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path_label = QLabel("No action library")
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list = QListWidget()
        self.quality = QLabel("")
        self.quality.setWordWrap(True)
        self.teach_button = QPushButton("Teach…")
        self.teach_button.setToolTip("Teach a new action from a few examples (camera or the open video)")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete")
        buttons = QHBoxLayout()
        for button in (self.teach_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.path_label)
        layout.addWidget(self.list)
        layout.addWidget(self.quality)
        layout.addLayout(buttons)
        self.teach_button.clicked.connect(self.teach_requested)
        self.rename_button.clicked.connect(lambda: self._emit_for_selected(self.rename_requested))
        self.delete_button.clicked.connect(lambda: self._emit_for_selected(self.delete_requested))
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def set_actions(self, actions, path: str | None, quality: str = "") -> None:
        """`actions`: app.embedding_store.PersonRecord list (one per custom action)."""
        selected = self.selected_name()
        self.list.clear()
        for action in actions:
            n = action.num_templates
            item = QListWidgetItem(f"{action.name}  ({n} example{'s' if n != 1 else ''})")
            item.setData(Qt.ItemDataRole.UserRole, action.name)
            item.setToolTip(f"taught {action.created_at}, updated {action.updated_at}")
            self.list.addItem(item)
            if action.name == selected:
                self.list.setCurrentItem(item)
        self.path_label.setText(str(path) if path else "No action library")
        self.quality.setText(quality)
        self._update_buttons()

    def names(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def counts(self) -> dict[str, int]:
        return {self.list.item(i).data(Qt.ItemDataRole.UserRole): int(self.list.item(i).text().split("(")[1].split()[0])
                for i in range(self.list.count())}

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentRow(i)
                return

    def set_teach_enabled(self, enabled: bool, reason: str = "") -> None:
        self.teach_button.setEnabled(enabled)
        self.teach_button.setToolTip("Teach a new action from a few examples (camera or the open video)"
                                     if enabled else reason)

    def _emit_for_selected(self, signal) -> None:
        name = self.selected_name()
        if name:
            signal.emit(name)

    def _update_buttons(self) -> None:
        has = self.selected_name() is not None
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)
