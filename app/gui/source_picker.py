"""The source picker: demo clip, synthetic stream, cameras (probed in a background thread), files, recordings, stream URLs."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QInputDialog, QPushButton, QWidget

from app.gui.source_spec import SourceSpec

log = logging.getLogger(__name__)

MAX_CAMERA_INDEX = 4
VIDEO_FILTER = "Videos (*.mp4 *.m4v *.mov *.avi *.mkv *.webm *.mpg *.mpeg *.wmv);;All files (*)"
RECORDING_FILTER = "Skeleton recordings (*.npz);;All files (*)"


def probe_cameras(max_index: int = MAX_CAMERA_INDEX) -> list[int]:
    """Indices of the cameras that open and deliver a frame (a brief try each; cv2's log is silenced).

    On Linux only indices with a /dev/videoN node are tried, so a machine without cameras answers at once.
    """
    import cv2

    candidates = list(range(max_index))
    if sys.platform.startswith("linux"):
        candidates = [i for i in candidates if Path(f"/dev/video{i}").exists()]
    found = []
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        for index in candidates:
            capture = cv2.VideoCapture(index)
            try:
                if capture.isOpened() and capture.read()[0]:
                    found.append(index)
            finally:
                capture.release()
    finally:
        cv2.utils.logging.setLogLevel(level)
    return found


class CameraProbe(QObject):
    """Runs `probe_cameras` in a background thread; `found` carries the indices (never blocks the UI)."""

    found = pyqtSignal(list)

    def __init__(self, max_index: int = MAX_CAMERA_INDEX) -> None:
        super().__init__()
        self.max_index = max_index
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="aclnet-camera-probe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            cameras = probe_cameras(self.max_index)
        except Exception:
            log.debug("camera probe failed", exc_info=True)
            cameras = []
        self.found.emit(cameras)

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


class SourcePicker(QWidget):
    """A combo box of sources plus "Open file…", "Recording…" and "URL…"; emits `chosen` with a SourceSpec."""

    chosen = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.last_dir = ""
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(22)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # whole names (file names only)
        self.combo.setToolTip("Input: the demo clip, the synthetic stream, a camera, or a file you opened (or dropped on the window)")
        self.open_button = QPushButton("Open file…")
        self.recording_button = QPushButton("Recording…")
        self.url_button = QPushButton("URL…")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.combo, self.open_button, self.recording_button, self.url_button):
            layout.addWidget(widget)
        self.set_cameras([])
        self.combo.activated.connect(self._on_activated)
        self.open_button.clicked.connect(self.browse_file)
        self.recording_button.clicked.connect(self.browse_recording)
        self.url_button.clicked.connect(self.ask_url)

    def specs(self) -> list[SourceSpec]:
        return [self.combo.itemData(i) for i in range(self.combo.count())]

    def set_cameras(self, indices: list[int]) -> None:
        """The demo clip first, the synthetic stream, then the cameras found, then what was opened before."""
        current = self.current()
        others = [s for s in self.specs() if s is not None and s.kind not in ("demo", "synthetic", "camera")]
        self.combo.blockSignals(True)
        self.combo.clear()
        for spec in [SourceSpec.demo(), SourceSpec.synthetic()] + [SourceSpec.camera(i) for i in indices] + others:
            self.combo.addItem(spec.label, spec)
        self.combo.blockSignals(False)
        if current is not None:
            self.show_spec(current)

    def current(self) -> SourceSpec | None:
        return self.combo.currentData()

    def show_spec(self, spec: SourceSpec) -> None:
        """Select `spec` in the list (added when new) without emitting `chosen`."""
        for i in range(self.combo.count()):
            if self.combo.itemData(i) == spec:
                break
        else:
            self.combo.addItem(spec.label, spec)
            i = self.combo.count() - 1
            self.combo.setItemData(i, spec.value, Qt.ItemDataRole.ToolTipRole)  # the full path or URL
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(i)
        self.combo.blockSignals(False)

    def remove_spec(self, spec: SourceSpec) -> None:
        """Drop a source that failed from the list (the current entry becomes the demo clip)."""
        for i in range(self.combo.count()):
            if self.combo.itemData(i) == spec:
                self.combo.blockSignals(True)
                self.combo.removeItem(i)
                self.combo.setCurrentIndex(0)
                self.combo.blockSignals(False)
                return

    def _on_activated(self, index: int) -> None:
        spec = self.combo.itemData(index)
        if spec is not None:
            self.chosen.emit(spec)

    def browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a video", self.last_dir, VIDEO_FILTER)
        if path:
            self._choose_path(path)

    def browse_recording(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a skeleton recording", self.last_dir, RECORDING_FILTER)
        if path:
            self._choose_path(path)

    def ask_url(self) -> None:
        url, ok = QInputDialog.getText(self, "Open a stream", "Stream URL (rtsp://, http://, …):")
        if ok and url.strip():
            spec = SourceSpec.parse(url.strip())
            self.show_spec(spec)
            self.chosen.emit(spec)

    def _choose_path(self, path: str) -> None:
        self.last_dir = str(Path(path).parent)
        spec = SourceSpec.parse(path)
        self.show_spec(spec)
        self.chosen.emit(spec)
