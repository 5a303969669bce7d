"""A scrolling list of the recognised actions (segments of app.timeline.Timeline), newest at the bottom.

Each run of a source (a seek, a loop of the demo clip, another source) gets its own group under a header line,
so clocks that restart never mix; rows carry the person's colour; the list follows the newest row unless the
user scrolled up.
"""

from __future__ import annotations

from PyQt6.QtGui import QBrush, QColor
from PyQt6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.gui.controls import format_time
from app.overlay import track_color
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
        self._history: list[tuple[str, int | None]] = []  # (text, track id or None for a header)
        self._current: list[tuple[str, int | None]] = []
        self._follow = True

    def new_session(self, title: str) -> None:
        """Keep what is shown and start a new group under a `title` line (every run: its clock starts anew)."""
        header = [(f"— {title} —", None)] if title else []
        self._history = (self._history + self._current + header)[-MAX_ROWS:]
        self._current = []
        self._follow = True
        self._refresh()

    def set_segments(self, segments: list[Segment]) -> None:
        ordered = sorted(segments, key=lambda s: (s.start_time, s.track_id))
        rows = [(segment_text(s), s.track_id) for s in ordered][-MAX_ROWS:]
        if rows != self._current:
            self._current = rows
            self._refresh()

    def lines(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _refresh(self) -> None:
        bar = self.list.verticalScrollBar()
        # keep following the newest unless the user scrolled up
        follow = self._follow or bar.value() >= bar.maximum() - 2
        self._follow = False
        rows = (self._history + self._current)[-MAX_ROWS:]
        old = self.lines()
        common = 0
        while common < min(len(old), len(rows)) and old[common] == rows[common][0]:
            common += 1
        for _ in range(len(old) - common):
            self.list.takeItem(common)
        for text, track_id in rows[common:]:
            item = QListWidgetItem(text)
            if track_id is not None:
                b, g, r = track_color(track_id)
                item.setBackground(QBrush(QColor(r, g, b)))
                dark = 0.114 * b + 0.587 * g + 0.299 * r > 140
                item.setForeground(QBrush(QColor(0, 0, 0) if dark else QColor(255, 255, 255)))
            self.list.addItem(item)
        if follow:
            self.list.scrollToBottom()
