"""A scrolling list of the recognised actions (segments of app.timeline.Timeline), newest at the bottom."""

from __future__ import annotations

from PyQt6.QtWidgets import QAbstractItemView, QListWidget, QVBoxLayout, QWidget

from app.gui.controls import format_time
from app.timeline import Segment

MAX_ROWS = 500


def segment_text(segment: Segment) -> str:
    who = f"  ({segment.identity})" if segment.identity else ""
    return (f"{format_time(segment.start_time)}–{format_time(segment.end_time)}  #{segment.track_id} "
            f"{segment.label} {segment.score:.2f}{who}")


class TimelinePanel(QWidget):
    """Segments of earlier sessions stay; the current session's are replaced on each update."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        self._history: list[str] = []
        self._current: list[str] = []

    def new_session(self, title: str | None) -> None:
        """Keep what is shown and start a new group (under a `title` line unless None: a seek in one file)."""
        header = [f"— {title} —"] if title else []
        self._history = (self._history + self._current + header)[-MAX_ROWS:]
        self._current = []
        self._refresh()

    def set_segments(self, segments: list[Segment]) -> None:
        lines = [segment_text(s) for s in sorted(segments, key=lambda s: (s.start_time, s.track_id))][-MAX_ROWS:]
        if lines != self._current:
            self._current = lines
            self._refresh()

    def lines(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _refresh(self) -> None:
        bar = self.list.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 2  # keep following the newest unless the user scrolled up
        rows = (self._history + self._current)[-MAX_ROWS:]
        old = self.lines()
        common = 0
        while common < min(len(old), len(rows)) and old[common] == rows[common]:
            common += 1
        for _ in range(len(old) - common):
            self.list.takeItem(common)
        self.list.addItems(rows[common:])
        if follow:
            self.list.scrollToBottom()
