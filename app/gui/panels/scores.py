"""Top-k action scores of the selected person, as bars."""

from __future__ import annotations

from PyQt6.QtWidgets import QGridLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from app.overlay import decide, format_track_caption, track_color
from app.records import Prediction


def swatch_style(track_id: int) -> str:
    """A style sheet: the track's colour (app.overlay.track_color) as background, readable text on it."""
    b, g, r = track_color(track_id)
    text = "black" if 0.114 * b + 0.587 * g + 0.299 * r > 140 else "white"
    return f"background-color: rgb({r}, {g}, {b}); color: {text}; padding: 2px; font-weight: bold;"


def astuple_decision(decision) -> tuple:
    """(label, score, identity) for format_track_caption."""
    return decision.label, decision.score, decision.identity

MAX_ROWS = 5


class ScoresPanel(QWidget):
    def __init__(self, parent: QWidget | None = None, rows: int = MAX_ROWS) -> None:
        super().__init__(parent)
        self.title = QLabel("No person selected")
        self.title.setWordWrap(True)
        self.names: list[QLabel] = []
        self.bars: list[QProgressBar] = []
        grid = QGridLayout()
        for i in range(rows):
            name, bar = QLabel(""), QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setFormat("")
            grid.addWidget(name, i, 0)
            grid.addWidget(bar, i, 1)
            self.names.append(name)
            self.bars.append(bar)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.show_prediction(None, None)

    def _set_colour(self, track_id: int | None) -> None:
        """The person's colour (the same as their skeleton on the video) behind the title."""
        if track_id is None:
            self.title.setStyleSheet("")
            return
        self.title.setStyleSheet(swatch_style(track_id))

    def show_waiting(self, text: str) -> None:
        """A line instead of scores (the models are loading)."""
        self._set_colour(None)
        self.title.setText(text)
        for name, bar in zip(self.names, self.bars):
            name.setVisible(False)
            bar.setVisible(False)

    def show_prediction(self, track_id: int | None, prediction: Prediction | None) -> None:
        """The decision shown on the video (app.overlay.decide, same words and score) over bars of
        `prediction.top_k` (the smoothed probabilities it is based on); empty without a prediction."""
        self._set_colour(track_id)
        if track_id is None:
            self.title.setText("No person in view")
        elif prediction is None:
            self.title.setText(f"#{track_id}: waiting for a full window…")
        else:
            self.title.setText(format_track_caption(track_id, *astuple_decision(decide(prediction))))
        top_k = list(prediction.top_k) if prediction is not None else []
        for i, (name, bar) in enumerate(zip(self.names, self.bars)):
            shown = i < len(top_k)
            name.setVisible(shown)
            bar.setVisible(shown)
            if shown:
                label, score = top_k[i]
                name.setText(label)
                bar.setValue(round(max(0.0, min(1.0, score)) * 1000))
                bar.setFormat(f"{score:.2f}")

    def shown(self) -> list[tuple[str, float]]:
        """(label, score) of the visible bars (for tests and accessibility)."""
        return [(n.text(), b.value() / 1000) for n, b in zip(self.names, self.bars) if not b.isHidden()]
