"""The custom actions list (the action library) with Teach…, Rename… and Delete, and its leave-one-out result."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QLabel, QWidget

from app.gui.panels.named_list import NamedListPanel


class ActionsPanel(NamedListPanel):
    teach_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        quality = QLabel("")
        quality.setWordWrap(True)
        super().__init__("No action library", "Teach…",
                         "Teach a new action from a few examples (camera or the open video)", extra=quality,
                         parent=parent)
        self.quality = quality
        self.teach_button = self.add_button
        self.teach_button.clicked.connect(self.teach_requested)

    def set_actions(self, actions, path: str | None, quality: str = "") -> None:
        """`actions`: app.embedding_store.PersonRecord list (one per custom action)."""
        self._fill(actions, "example", "taught", path)
        self.quality.setText(quality)

    def counts(self) -> dict[str, int]:
        return {self.list.item(i).data(Qt.ItemDataRole.UserRole): int(self.list.item(i).text().split("(")[1].split()[0])
                for i in range(self.list.count())}

    def set_teach_enabled(self, enabled: bool, reason: str = "") -> None:
        self._set_add_enabled(enabled, reason)
