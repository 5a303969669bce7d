"""Transport controls: play/pause, seek and speed for files; start/stop for live sources; record and export."""

from __future__ import annotations

import math

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QStyle, QStyleOptionSlider, QWidget

SPEEDS: tuple[tuple[str, float], ...] = (("0.25×", 0.25), ("0.5×", 0.5), ("1×", 1.0), ("2×", 2.0), ("4×", 4.0),
                                         ("max", 0.0))
SLIDER_STEPS_PER_S = 10
RECORD_TEXT = "● Record"
STOP_RECORD_TEXT = "■ Stop rec."


def format_time(seconds: float | None) -> str:
    if seconds is None or math.isnan(seconds):
        return "--:--"
    seconds = max(0.0, seconds)
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:04.1f}"


class SeekSlider(QSlider):
    """A seek bar: a click beside the handle jumps there (a plain QSlider pages by one step) and keeps dragging."""

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.maximum() > self.minimum():
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            style = self.style()
            handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle,
                                          self)
            point = event.position().toPoint()
            if not handle.contains(point):
                groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                              QStyle.SubControl.SC_SliderGroove, self)
                span = max(1, groove.width() - handle.width())
                offset = point.x() - groove.x() - handle.width() // 2
                self.setValue(QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), offset, span))
        super().mousePressEvent(event)


class PlaybackControls(QWidget):
    play_toggled = pyqtSignal(bool)  # True = play
    seek_requested = pyqtSignal(float)  # seconds
    speed_changed = pyqtSignal(float)  # 0 = as fast as possible
    live_toggled = pyqtSignal(bool)  # True = start
    record_toggled = pyqtSignal(bool)
    export_clicked = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = QPushButton("Pause")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play / pause the file (Space)")
        self.live_button = QPushButton("Stop")
        self.live_button.setCheckable(True)
        self.live_button.setToolTip("Start / stop the live source")
        self.slider = SeekSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Seek: click or drag")
        self.time_label = QLabel(format_time(0) + " / " + format_time(None))
        self.speed = QComboBox()
        for text, value in SPEEDS:
            self.speed.addItem(text, value)
        self.speed.setCurrentIndex(2)
        self.speed.setToolTip("Playback speed: 1× keeps to the clock (late frames are dropped and counted); 'max': every frame, as fast "
                              "as the pipeline runs")
        self.record_button = QPushButton(RECORD_TEXT)
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Record the tracked skeletons with a label (training format)")
        metrics = self.record_button.fontMetrics()  # one width for both texts: the layout never shifts
        widest = max(metrics.horizontalAdvance(t) for t in (RECORD_TEXT, STOP_RECORD_TEXT))
        self.record_button.setFixedWidth(widest + 32)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write an annotated video of the current file")
        self.spacer = QWidget()  # takes the slider's room for live sources
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for widget in (self.play_button, self.live_button, self.slider, self.spacer, self.time_label, self.speed,
                       self.record_button, self.export_button):
            layout.addWidget(widget)
        layout.setStretchFactor(self.slider, 1)
        layout.setStretchFactor(self.spacer, 1)
        self._duration: float | None = None
        self._seeking = False
        self._seek_timer = QTimer(self)  # clicks and keys on the slider: one seek after they settle
        self._seek_timer.setSingleShot(True)
        self._seek_timer.setInterval(250)
        self._seek_timer.timeout.connect(self._emit_seek)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.live_button.toggled.connect(self._on_live_toggled)
        self.slider.sliderPressed.connect(self._on_slider_pressed)
        self.slider.sliderReleased.connect(self._on_slider_released)
        self.slider.valueChanged.connect(self._on_slider_value)
        self.speed.currentIndexChanged.connect(lambda _: self.speed_changed.emit(self.current_speed()))
        self.record_button.toggled.connect(self.record_toggled)
        self.export_button.clicked.connect(self.export_clicked)
        self.set_mode(seekable=False, duration=None)

    # ------------------------------------------------------------------ state from the window
    def set_mode(self, seekable: bool, duration: float | None) -> None:
        """Files (seekable): play/pause, seek, speed, export. Live sources: start/stop."""
        self._duration = duration
        for widget in (self.play_button, self.slider, self.speed, self.time_label):
            widget.setVisible(seekable)
        self.live_button.setVisible(not seekable)
        self.spacer.setVisible(not seekable)
        self.export_button.setEnabled(seekable)
        self.slider.blockSignals(True)  # a new range clamps the value: that is no seek by the user
        self.slider.setRange(0, round((duration or 0) * SLIDER_STEPS_PER_S))
        self.slider.blockSignals(False)
        self.slider.setEnabled(bool(duration))

    def set_playing(self, playing: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(not playing)
        self.play_button.setText("Play" if not playing else "Pause")
        self.play_button.blockSignals(False)

    def set_running(self, running: bool) -> None:
        self.live_button.blockSignals(True)
        self.live_button.setChecked(not running)
        self.live_button.setText("Stop" if running else "Start")
        self.live_button.blockSignals(False)

    def set_recording(self, recording: bool) -> None:
        """The button's state (the REC marker on the video counts the frames)."""
        self.record_button.blockSignals(True)
        self.record_button.setChecked(recording)
        self.record_button.setText(STOP_RECORD_TEXT if recording else RECORD_TEXT)
        self.record_button.blockSignals(False)

    def set_position(self, seconds: float) -> None:
        if not self._seeking:
            self.slider.blockSignals(True)
            self.slider.setValue(round(seconds * SLIDER_STEPS_PER_S))
            self.slider.blockSignals(False)
        self.time_label.setText(f"{format_time(seconds)} / {format_time(self._duration)}")

    def current_speed(self) -> float:
        return float(self.speed.currentData())

    def set_speed(self, speed: float) -> None:
        for i in range(self.speed.count()):
            if abs(float(self.speed.itemData(i)) - speed) < 1e-9:
                self.speed.setCurrentIndex(i)
                return

    @property
    def playing(self) -> bool:
        return not self.play_button.isChecked()

    # ------------------------------------------------------------------ user input
    def _on_play_toggled(self, paused: bool) -> None:
        self.play_button.setText("Play" if paused else "Pause")
        self.play_toggled.emit(not paused)

    def _on_live_toggled(self, stopped: bool) -> None:
        self.live_button.setText("Start" if stopped else "Stop")
        self.live_toggled.emit(not stopped)

    def _on_slider_pressed(self) -> None:
        self._seeking = True

    def _on_slider_released(self) -> None:
        self._seeking = False
        self._emit_seek()

    def _on_slider_value(self, _value: int) -> None:
        if not self._seeking:  # set_position blocks signals: this is the user
            self._seek_timer.start()

    def _emit_seek(self) -> None:
        self._seek_timer.stop()
        self.seek_requested.emit(self.slider.value() / SLIDER_STEPS_PER_S)
