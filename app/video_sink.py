"""Browser-playable MP4 writer (PyAV): H.264 yuv420p with faststart, at the source's fps and size.

The file is written under a temporary name beside the target and renamed on `close()`: the output is
complete or absent (an exception inside the `with` block, or `abort()`, removes it). When no H.264 encoder
is available the sink falls back to MPEG-4 part 2 ('mp4v') and warns.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.io_utils import atomic_write, check_writable

log = logging.getLogger(__name__)

# Encoder names tried, in order, for each requested codec.
_ENCODERS: dict[str, tuple[str, ...]] = {
    "h264": ("libx264", "h264", "libopenh264"),
    "mp4v": ("mpeg4",),
}


def fps_fraction(fps: float | Fraction) -> Fraction:
    """A frame rate as an exact fraction (29.97002997 → 30000/1001, 28.05 → 561/20)."""
    if isinstance(fps, Fraction):
        rate = fps
    else:
        fps = float(fps)
        if not np.isfinite(fps) or fps <= 0:
            raise UserError(f"invalid frame rate {fps}")
        rate = Fraction(fps).limit_denominator(1001)
    if rate <= 0:
        raise UserError(f"invalid frame rate {fps}")
    return rate


def even_size(size: tuple[int, int]) -> tuple[int, int]:
    """(w, h) rounded up to even numbers (yuv420p needs them)."""
    w, h = int(size[0]), int(size[1])
    return w + (w % 2), h + (h % 2)


def _available_encoder(codec: str) -> str | None:
    import av

    for name in _ENCODERS.get(codec, (codec,)):
        if name in av.codecs_available:
            try:
                av.codec.Codec(name, "w")
            except Exception:  # noqa: BLE001 - not an encoder in this build
                log.debug("%s is not an encoder here", name)
                continue
            return name
    return None


class VideoSink:
    """Write BGR uint8 frames of one size to an MP4 file.

    >>> with VideoSink("out.mp4", fps=30, size=(640, 480)) as sink:
    ...     sink.write(frame_bgr)
    """

    def __init__(self, path: str | Path, fps: float | Fraction, size: tuple[int, int], codec: str = "h264", crf: int = 23, preset: str = "veryfast") -> None:
        import av

        self.path = Path(path)
        self.rate = fps_fraction(fps)
        self.size = (int(size[0]), int(size[1]))
        if self.size[0] <= 0 or self.size[1] <= 0:
            raise UserError(f"invalid video size {self.size[0]}x{self.size[1]}")
        self.encoded_size = even_size(self.size)
        self.frames_written = 0
        check_writable(self.path)
        encoder = _available_encoder(codec)
        if encoder is None and codec != "mp4v":
            warnings.warn(f"no {codec} encoder in this PyAV build; writing MPEG-4 part 2 (mp4v), which browsers may not play", RuntimeWarning, stacklevel=2)
            codec, encoder = "mp4v", _available_encoder("mp4v")
        if encoder is None:
            raise UserError("no usable video encoder in this PyAV build")
        self.codec_used = codec
        self._closed = False
        self._stack = contextlib.ExitStack()
        tmp = self._stack.enter_context(atomic_write(self.path))
        try:
            self._container = av.open(str(tmp), mode="w", format="mp4", options={"movflags": "faststart"})
            self._stream = self._container.add_stream(encoder, rate=self.rate)
            self._stream.width, self._stream.height = self.encoded_size
            self._stream.pix_fmt = "yuv420p"
            self._stream.codec_context.time_base = 1 / self.rate
            if encoder == "libx264":
                self._stream.options = {"crf": str(crf), "preset": preset}
            elif encoder == "mpeg4":
                self._stream.codec_context.codec_tag = "mp4v"
                self._stream.bit_rate = max(1_000_000, self.encoded_size[0] * self.encoded_size[1] * 4)
        except Exception as exc:  # noqa: BLE001 - any FFmpeg/PyAV failure here means the file cannot be written
            self._stack.__exit__(type(exc), exc, exc.__traceback__)
            raise UserError(f"cannot write {self.path}: {exc}") from None
        if self.encoded_size != self.size:
            log.info("padding %dx%d frames to %dx%d for yuv420p", *self.size, *self.encoded_size)

    def write(self, frame_bgr: np.ndarray) -> None:
        """Encode one BGR uint8 frame of the sink's size (odd sizes are padded by one pixel)."""
        import av

        if self._closed:
            raise RuntimeError("VideoSink is closed")
        frame = np.asarray(frame_bgr)
        if frame.ndim != 3 or frame.shape[2] != 3 or (frame.shape[1], frame.shape[0]) != self.size:
            raise ValueError(f"expected a {self.size[0]}x{self.size[1]} BGR frame, got shape {frame.shape}")
        if frame.dtype != np.uint8:
            frame = np.clip(frame, 0, 255).astype(np.uint8)
        if self.encoded_size != self.size:
            frame = np.pad(frame, ((0, self.encoded_size[1] - self.size[1]), (0, self.encoded_size[0] - self.size[0]), (0, 0)), mode="edge")
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")
        video_frame.pts = self.frames_written
        video_frame.time_base = 1 / self.rate
        try:
            for packet in self._stream.encode(video_frame):
                self._container.mux(packet)
        except (OSError, av.error.FFmpegError) as exc:    # disk full, quota, I/O error: no partial file stays
            self.abort()
            raise UserError(f"cannot write {self.path}: {getattr(exc, 'strerror', None) or exc}") from None
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and move the finished file to its final name."""
        if self._closed:
            return
        self._closed = True
        import av

        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
        except (OSError, av.error.FFmpegError) as exc:
            self._stack.__exit__(type(exc), exc, exc.__traceback__)
            raise UserError(f"cannot write {self.path}: {getattr(exc, 'strerror', None) or exc}") from None
        except BaseException as exc:
            self._stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._stack.close()

    def abort(self) -> None:
        """Stop writing and remove the partial file (the target stays absent)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._container.close()
        error = KeyboardInterrupt()
        self._stack.__exit__(type(error), error, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
