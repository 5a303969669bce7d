"""The video view: frames annotated with app.overlay (the export's drawing code) shown scaled with their aspect.

`render_result` draws on the numpy frame in place and wraps it as a QImage without copying (the QImage keeps
the array alive), so a frame is never copied on its way to the screen; the painter scales it when it draws.
It runs in the worker thread; the widget only paints.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PyQt6.QtWidgets import QSizePolicy, QWidget

from app.overlay import draw_frame_result
from app.records import FrameResult
from app.sources import CANVAS_COLOR


def frame_to_qimage(image_bgr: np.ndarray) -> QImage:
    """A (H, W, 3) uint8 BGR frame as a QImage sharing its memory (no copy for a contiguous frame)."""
    array = np.asarray(image_bgr)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError(f"expected a (H, W, 3) uint8 BGR frame, got {array.shape} {array.dtype}")
    array = np.ascontiguousarray(array)
    h, w = array.shape[:2]
    qimage = QImage(array.data, w, h, array.strides[0], QImage.Format.Format_BGR888)
    qimage._frame = array  # the QImage borrows the array's memory: keep it alive as long as the image
    return qimage


def render_result(result: FrameResult, hud_lines: list[str] | None = None) -> QImage:
    """Draw every track of a FrameResult on its frame (app.overlay.draw_frame_result) and wrap it as a QImage."""
    image = result.frame.image
    if image is None:  # a skeleton-only source without a canvas
        w, h = result.frame.size if result.frame.size != (0, 0) else (640, 480)
        image = np.full((h, w, 3), CANVAS_COLOR, np.uint8)
    draw_frame_result(image, result, layout_name="mediapipe33", hud_lines=hud_lines)
    return frame_to_qimage(image)


class VideoView(QWidget):
    """Paints the latest frame, centred and scaled with its aspect; a click reports the image pixel hit."""

    clicked = pyqtSignal(float, float)  # image pixel coordinates of a left click

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._placeholder = "No source"
        self.frames_shown = 0
        self.recording_text: str | None = None
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    @property
    def image(self) -> QImage | None:
        return self._image

    def set_image(self, image: QImage) -> None:
        self._image = image
        self.frames_shown += 1
        self.update()

    def set_recording(self, text: str | None) -> None:
        """A red REC marker with `text` over the video while recording (None: no marker)."""
        self.recording_text = text
        self.update()

    def clear(self, placeholder: str = "No source") -> None:
        self._image = None
        self._placeholder = placeholder
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    def image_rect(self) -> QRectF:
        """Where the image lies in the widget (aspect kept, centred)."""
        if self._image is None:
            return QRectF()
        size = QSize(self._image.width(), self._image.height()).scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        return QRectF(x, y, size.width(), size.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(12, 12, 12))
        if self._image is None:
            painter.setPen(QColor(170, 170, 170))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.image_rect(), self._image)
        if self.recording_text:
            self._paint_rec_marker(painter)
        painter.end()

    def _paint_rec_marker(self, painter: QPainter) -> None:
        metrics = painter.fontMetrics()
        text = f"● {self.recording_text}"
        box = QRectF(10, 10, metrics.horizontalAdvance(text) + 16, metrics.height() + 10)
        painter.fillRect(box, QColor(200, 20, 20))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        rect = self.image_rect()
        if event.button() != Qt.MouseButton.LeftButton or self._image is None or rect.isEmpty():
            return super().mousePressEvent(event)
        point: QPointF = event.position()
        if rect.contains(point):
            sx = self._image.width() / rect.width()
            sy = self._image.height() / rect.height()
            self.clicked.emit((point.x() - rect.x()) * sx, (point.y() - rect.y()) * sy)
