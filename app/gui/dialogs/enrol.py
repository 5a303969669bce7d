"""The enrolment dialog: a name, a countdown, then the person walks while their gait windows are collected.

The dialog never blocks: a QTimer drives the countdown and the progress bar while the pipeline keeps running;
the embeddings arrive through an `EnrolmentTap`. `commit(name, embeddings)` stores them (the main window
passes a function that writes the gallery) and returns the PersonRecord.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from aclnet_core.errors import UserError
from app.gui.enrolment import EnrolmentTap

TICK_MS = 100
PATIENCE = 3.0  # wait up to this many times the duration for a first full window


class EnrolDialog(QDialog):
    def __init__(self, tap: EnrolmentTap, commit: Callable[[str, list], object], track_id: int | None = None,
                 seconds: float = 10.0, countdown: int = 3, parent: QWidget | None = None,
                 remaining_s: float | None = None) -> None:
        """`remaining_s`: how much of the file is left to play (None for live sources): a walk that does not
        fit is refused up front rather than collecting nothing."""
        super().__init__(parent)
        self.setWindowTitle("Enrol a person")
        self.tap, self.commit, self.track_id = tap, commit, track_id
        self.countdown = max(0, int(countdown))
        self.state = "idle"  # idle → countdown → collecting → done | failed
        self.person = None
        self.error: str | None = None
        self.name = QLineEdit()
        self.name.setPlaceholderText("name")
        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(1.0, 120.0)
        self.seconds.setValue(seconds)
        self.seconds.setSuffix(" s")
        who = f"person #{track_id}" if track_id is not None else "the person seen longest"
        self.message = QLabel(f"Enter a name, press Start, then let {who} walk across the view.")
        self.message.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.windows = QLabel("")
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self.start)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Walk for", self.seconds)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addWidget(self.windows)
        layout.addWidget(buttons)
        self.remaining_s = remaining_s
        self._intro = self.message.text()
        self.seconds.valueChanged.connect(lambda _: self._check_fits())
        self._check_fits()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._remaining = 0
        self._started = 0.0

    def fits(self) -> bool:
        """True when the countdown and the walk fit in what is left of the file (always, for live sources)."""
        return self.remaining_s is None or self.countdown + self.seconds.value() <= self.remaining_s

    def _check_fits(self) -> None:
        if self.state not in ("idle", "failed"):
            return
        self.start_button.setEnabled(self.fits())
        if self.fits():
            self.message.setText(self._intro)
            return
        self.message.setText(f"Only {self.remaining_s:.1f} s of the clip are left, less than the "
                             f"{self.countdown + self.seconds.value():.0f} s this needs (a {self.countdown} s countdown "
                             f"and a {self.seconds.value():.0f} s walk): seek back, or walk for less.")

    def start(self) -> None:
        from app.gallery.store import check_name

        if not self.fits():
            self._check_fits()
            return
        try:
            check_name(self.name.text())
        except UserError as exc:
            self._fail(str(exc), final=False)
            return
        self.name.setEnabled(False)
        self.seconds.setEnabled(False)
        self.start_button.setEnabled(False)
        self.error = None
        self._remaining = self.countdown
        if self._remaining > 0:
            self.state = "countdown"
            self.message.setText(f"Get ready… {self._remaining}")
            self._timer.start(1000)
        else:
            self._begin_collecting()

    def _begin_collecting(self) -> None:
        self.state = "collecting"
        self.tap.start(self.track_id)
        self._started = time.monotonic()
        self.message.setText("Walk now…")
        self._timer.start(TICK_MS)

    def _tick(self) -> None:
        if self.state == "countdown":
            self._remaining -= 1
            if self._remaining > 0:
                self.message.setText(f"Get ready… {self._remaining}")
            else:
                self._timer.stop()
                self._begin_collecting()
            return
        if self.state != "collecting":
            return
        duration = self.seconds.value()
        elapsed = time.monotonic() - self._started
        count = self.tap.count()
        self.progress.setValue(int(min(1.0, elapsed / duration) * 1000))
        self.windows.setText(f"{count} gait window{'s' if count != 1 else ''} collected")
        if elapsed < duration:
            return
        if count > 0:
            self._finish()
        elif elapsed >= PATIENCE * duration:
            self.tap.cancel()
            tracked = getattr(self.tap, "tracked_seconds", lambda: 0.0)()
            self._fail(f"no one walked long enough to measure a gait: the person was tracked for {tracked:.1f} s "
                       f"of {elapsed:.1f} s; try again with the whole body in view for longer")
        else:
            self.message.setText("Waiting for a complete gait window…")

    def _finish(self) -> None:
        self._timer.stop()
        result = self.tap.finish()
        if not result.embeddings:
            reason = result.rejected or (f"the person was tracked for only {result.tracked_seconds:.1f} s; "
                                         "walk longer in view")
            self._fail(f"not enrolled: {reason}")
            return
        try:
            self.person = self.commit(self.name.text(), result.embeddings)
        except UserError as exc:
            self._fail(str(exc))
            return
        self.state = "done"
        self.progress.setValue(1000)
        count = self.person.num_templates
        note = getattr(result, "note", "")
        self.message.setText(f"Enrolled {self.person.name} ({count} template{'s' if count != 1 else ''})."
                             + (f" Note: {note}." if note else ""))
        self.accept()

    def _fail(self, message: str, final: bool = True) -> None:
        self._timer.stop()
        self.error = message
        self.state = "failed" if final else "idle"
        self.message.setText(message)
        self.name.setEnabled(True)
        self.seconds.setEnabled(True)
        self.start_button.setEnabled(True)

    def reject(self) -> None:
        self._timer.stop()
        if self.state in ("countdown", "collecting"):
            self.tap.cancel()
        self.state = "failed" if self.state != "done" else self.state
        super().reject()
