"""The Teach dialog: name an action, give it N examples, see the leave-one-out accuracy, done.

Examples come from the running stream: press Start example (after a countdown on a live source), do the action,
press Stop example (or wait `seconds`); or, on a video file, give a span (from/to seconds) and press Add span:
the span is played (the video seeks there when it has not been seen) and its windows are taken. Either way the
example's windows are the live app's own (an `app.actions.tap.WindowTap` fed by the recogniser). After the last
example the action is stored (`commit`), the library's leave-one-example-out accuracy is shown, and the running
recogniser picks the action up at its next window. The dialog never blocks: a QTimer drives it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from aclnet_core.errors import UserError
from app.actions.tap import WindowTap

TICK_MS = 100
WAIT_FOR_WINDOWS_S = 4.0  # after a span ends, how long to wait for its last windows (pose + model latency)
SPAN_PATIENCE_S = 30.0  # how long a span that must still be played may take


class TeachDialog(QDialog):
    def __init__(self, tap: WindowTap, position: Callable[[], float],
                 commit: Callable[[str, list, list], tuple[object, str]], *, live: bool, span_s: float,
                 seek: Callable[[float], None] | None = None, track_id: int | None = None, examples: int = 5,
                 seconds: float = 3.0, countdown: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Teach an action")
        self.tap, self.position, self.commit, self.seek_to = tap, position, commit, seek
        self.live, self.span_s, self.track_id = live, float(span_s), track_id
        self.countdown = max(0, int(countdown)) if live else 0
        self.state = "idle"  # idle → countdown → capturing → waiting → idle … → done | failed
        self.examples: list[list[np.ndarray]] = []  # the windows of each example
        self.sources: list[str] = []
        self.record = None
        self.result_text = ""
        self.error: str | None = None
        self.name = QLineEdit()
        self.name.setPlaceholderText("action name, e.g. wave hello")
        self.count = QSpinBox()
        self.count.setRange(1, 20)
        self.count.setValue(examples)
        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(0.5, 30.0)
        self.seconds.setValue(seconds)
        self.seconds.setSuffix(" s")
        self.span_from, self.span_to = QDoubleSpinBox(), QDoubleSpinBox()
        for box in (self.span_from, self.span_to):
            box.setRange(0.0, 86400.0)
            box.setDecimals(2)
            box.setSuffix(" s")
        who = f"person #{track_id}" if track_id is not None else "the person in view"
        self.message = QLabel(f"Name the action, then record {examples} examples of {who} doing it.")
        self.message.setWordWrap(True)
        self.progress = QLabel("0 examples")
        self.capture_button = QPushButton("Start example")
        self.capture_button.setDefault(True)
        self.span_button = QPushButton("Add span")
        self.span_button.setEnabled(not live)
        self.done_button = QPushButton("Save now")
        self.done_button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.done_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.capture_button.clicked.connect(self._on_capture_clicked)
        self.span_button.clicked.connect(lambda: self.add_span(self.span_from.value(), self.span_to.value()))
        self.done_button.clicked.connect(self._save)
        form = QFormLayout()
        form.addRow("Action", self.name)
        form.addRow("Examples", self.count)
        form.addRow("Each example", self.seconds)
        spans = QHBoxLayout()
        for widget in (QLabel("from"), self.span_from, QLabel("to"), self.span_to, self.span_button):
            spans.addWidget(widget)
        if not live:
            form.addRow("Span of the video", spans)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addWidget(self.capture_button)
        layout.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._remaining = 0
        self._span: tuple[float, float] = (0.0, 0.0)
        self._deadline = 0.0
        self._capture_started = 0.0

    # ------------------------------------------------------------------ capture from the stream
    def _check_name(self) -> bool:
        from app.actions.library import check_action_name

        try:
            check_action_name(self.name.text())
        except UserError as exc:
            self._fail(str(exc), final=False)
            return False
        return True

    def _on_capture_clicked(self) -> None:
        if self.state == "capturing":
            self.stop_example()
        elif self.state == "idle":
            self.start_example()

    def start_example(self) -> None:
        """Begin one example now (after the countdown on a live source)."""
        if self.state != "idle" or not self._check_name():
            return
        self.name.setEnabled(False)
        self.error = None
        self._remaining = self.countdown
        if self._remaining > 0:
            self.state = "countdown"
            self.message.setText(f"Get ready… {self._remaining}")
            self.capture_button.setEnabled(False)
            self._timer.start(1000)
        else:
            self._begin_capture()

    def _begin_capture(self) -> None:
        self.state = "capturing"
        self._span = (self.position(), self.position())
        self._capture_started = time.monotonic()
        self.capture_button.setEnabled(True)
        self.capture_button.setText("Stop example")
        self.message.setText(f"Example {len(self.examples) + 1}: do the action now…")
        self._timer.start(TICK_MS)

    def stop_example(self) -> None:
        if self.state != "capturing":
            return
        self._span = (self._span[0], self.position())
        self.capture_button.setText("Start example")
        self._wait_for_windows(WAIT_FOR_WINDOWS_S)

    def add_span(self, start: float, end: float) -> None:
        """One example from the span [start, end] s of the open video (played first when not yet seen)."""
        if self.state != "idle" or not self._check_name():
            return
        if not end > start >= 0:
            self._fail("the span's end must come after its start", final=False)
            return
        self.name.setEnabled(False)
        self._span = (float(start), float(end))
        if not self.tap.between(start, end, self.track_id).embeddings and self.seek_to is not None:
            self.seek_to(max(0.0, start - self.span_s))
        self._wait_for_windows(SPAN_PATIENCE_S)

    def _wait_for_windows(self, patience: float) -> None:
        self.state = "waiting"
        self.capture_button.setEnabled(False)
        self._deadline = time.monotonic() + patience
        self.message.setText("Taking the example's windows…")
        self._timer.start(TICK_MS)

    def _tick(self) -> None:
        if self.state == "countdown":
            self._remaining -= 1
            if self._remaining > 0:
                self.message.setText(f"Get ready… {self._remaining}")
            else:
                self._begin_capture()
            return
        if self.state == "capturing":
            if time.monotonic() - self._capture_started >= self.seconds.value():
                self.stop_example()
            return
        if self.state != "waiting":
            return
        latest = self.tap.latest_end()
        seen = latest is not None and latest >= self._span[1] - 1e-3
        if not seen and time.monotonic() < self._deadline:
            return
        self._take_example()

    def _take_example(self) -> None:
        from app.actions.library import example_key

        self._timer.stop()
        start, end = self._span
        found = self.tap.between(start, end, self.track_id)
        self.capture_button.setEnabled(True)
        if not found.embeddings:
            self._fail(f"no one was seen doing the action between {start:.1f} and {end:.1f} s: try again",
                       final=False)
            return
        self.examples.append(list(found.embeddings))
        self.sources.append(example_key(f"gui [{start:.2f}-{end:.2f} s] track {found.track_id}"))
        self.state = "idle"
        n, total = len(self.examples), self.count.value()
        self.progress.setText(f"{n} example{'s' if n != 1 else ''} of {total} ({len(found.embeddings)} windows in "
                              "the last)")
        self.done_button.setEnabled(True)
        if n >= total:
            self._save()
        else:
            self.message.setText(f"Example {n} taken. Next: example {n + 1} of {total}.")

    # ------------------------------------------------------------------ the end
    def _save(self) -> None:
        if not self.examples:
            return
        self._timer.stop()
        try:
            self.record, self.result_text = self.commit(self.name.text(), self.examples, self.sources)
        except UserError as exc:
            self._fail(str(exc))
            return
        self.state = "done"
        self.message.setText(f"Taught {self.record.name} ({self.record.num_templates} examples). {self.result_text}")
        self.accept()

    def _fail(self, message: str, final: bool = True) -> None:
        self._timer.stop()
        self.error = message
        self.state = "failed" if final else "idle"
        self.message.setText(message)
        self.capture_button.setText("Start example")
        self.capture_button.setEnabled(not final)
        self.name.setEnabled(not self.examples)

    def reject(self) -> None:
        self._timer.stop()
        self.state = "failed" if self.state != "done" else self.state
        super().reject()
