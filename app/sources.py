"""Frame and skeleton sources: webcam, video file, network stream, still image, skeleton recording, synthetic demo.

Every source yields `app.records.Frame`s with a frame index and a timestamp (seconds). The end of the stream is
the end of the iteration; a failure is an exception (`SourceError`, a UserError with a one-line message).
Opening checks the input and reads the first frame, so a missing camera, a missing, corrupt or empty file
fails before anything is written.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Self

import numpy as np

from aclnet_core.errors import UserError
from app.records import NO_ACTION, Frame, Skeleton

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
RECORDING_SUFFIXES = {".npz"}
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://")
CANVAS_COLOR = (24, 24, 24)


class SourceError(UserError):
    """A source failed while streaming (after it opened)."""


def _resize(image: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    if size is None or (image.shape[1], image.shape[0]) == tuple(size):
        return image
    import cv2

    return cv2.resize(image, tuple(int(v) for v in size), interpolation=cv2.INTER_AREA)


class Source:
    """Base class. Subclasses implement `_open()` and `_frames()`; use as a context manager or call close()."""

    name: str = "source"
    is_live: bool = False  # live sources drop stale frames downstream; files lose nothing
    provides_skeletons: bool = False  # frames come with their skeletons (no pose estimation needed)

    def __init__(self, size: tuple[int, int] | None = None) -> None:
        self.target_size = tuple(size) if size is not None else None
        self.fps: float | None = None
        self.rate: Fraction | None = None  # exact frame rate when known (files)
        self.size: tuple[int, int] | None = None  # (w, h) of the yielded frames
        self.frame_count: int | None = None
        self._opened = False

    def open(self) -> Source:
        if not self._opened:
            self._open()
            self._opened = True
            if self.size is not None and self.target_size is not None:
                self.size = self.target_size
        return self

    def _open(self) -> None:
        raise NotImplementedError

    def _frames(self) -> Iterator[Frame]:
        raise NotImplementedError

    def frames(self) -> Iterator[Frame]:
        """Frames until the end of the stream (a SourceError on failure)."""
        self.open()
        for frame in self._frames():
            frame.captured_at = time.perf_counter()
            yield frame

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def describe(self) -> dict:
        return {"source": self.name, "live": self.is_live, "fps": self.fps, "size": self.size, "frames": self.frame_count}


class VideoFileSource(Source):
    """A video file decoded with PyAV (exact frame rate and timestamps); nothing is dropped.

    `start` seconds > 0 begins there (a keyframe seek, then decoding up to the position); `duration` is known
    once the source is open (None when the file does not say)."""

    def __init__(self, path: str | Path, size: tuple[int, int] | None = None, start: float = 0.0) -> None:
        super().__init__(size)
        self.path = Path(path)
        self.name = str(self.path)
        self.start = max(0.0, float(start))
        self.duration: float | None = None
        self._container = None
        self._first = None
        self.corrupt_packets = 0

    def _open(self) -> None:
        import av

        if not self.path.exists():
            raise UserError(f"input not found: {self.path}")
        if not self.path.is_file():
            raise UserError(f"input is not a file: {self.path}")
        try:
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read {self.path}: not a readable video ({_short(exc)})") from None
        if not self._container.streams.video:
            self.close()
            raise UserError(f"{self.path} has no video stream (or no frames)")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate or rate <= 0:
            log.warning("%s: no frame rate in the file; assuming 30 fps", self.path)
            rate = Fraction(30)
        self.rate = Fraction(rate)
        self.fps = float(self.rate)
        self.frame_count = int(stream.frames) or None
        self._stream = stream
        self._decoder = self._decode()
        self._first = next(self._decoder, None)  # fail now on an empty or undecodable file
        if self._first is None:
            self.close()
            raise UserError(f"{self.path} has no decodable video frames")
        self.size = (self._first.width, self._first.height)
        self.duration = self._probe_duration()
        if self.start > 0:
            self._seek(self.start)

    def _probe_duration(self) -> float | None:
        stream = self._stream
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if self._container.duration is not None:
            return self._container.duration / 1_000_000.0
        if self.frame_count and self.fps:
            return self.frame_count / self.fps
        return None

    def _seek(self, seconds: float) -> None:
        import av

        stream = self._stream
        time_base = stream.time_base
        origin = stream.start_time or 0
        try:
            self._container.seek(origin + int(seconds / time_base), stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError as exc:
            raise UserError(f"{self.path}: cannot seek to {seconds:.2f} s ({exc})") from None
        self._decoder = self._decode()
        tolerance = 0.5 / (self.fps or 30.0)
        self._first = None
        for av_frame in self._decoder:
            timestamp = float((av_frame.pts - origin) * time_base) if av_frame.pts is not None else seconds
            if timestamp + tolerance >= seconds:
                self._first = av_frame
                break

    def preview(self) -> np.ndarray | None:
        """The image of the frame playback starts with (BGR), without consuming it; None once playing."""
        if self._first is None:
            return None
        return _resize(self._first.to_ndarray(format="bgr24"), self.target_size)

    def _decode(self):
        import av

        try:
            for packet in self._container.demux(self._stream):
                try:
                    decoded = packet.decode()
                except av.error.InvalidDataError:
                    self.corrupt_packets += 1
                    continue
                yield from decoded
        except av.error.FFmpegError as exc:
            raise SourceError(f"{self.path}: decoding failed ({_short(exc)})") from None

    def _frames(self) -> Iterator[Frame]:
        if self._container is None:
            raise SourceError(f"{self.path}: the source is closed")
        time_base = self._stream.time_base
        start = self._stream.start_time or 0
        first, self._first = self._first, None
        decoded = [first] if first is not None else []
        for index, av_frame in enumerate(_chain(decoded, self._decoder)):
            if av_frame.pts is not None and time_base is not None:
                timestamp = float((av_frame.pts - start) * time_base)
            else:
                timestamp = index / self.fps
            image = _resize(av_frame.to_ndarray(format="bgr24"), self.target_size)
            yield Frame(image=image, index=index, timestamp=timestamp)
        if self.corrupt_packets:
            log.warning("%s: skipped %d undecodable packets", self.path, self.corrupt_packets)

    def close(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            finally:
                self._container = None


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def stream_failure_reason(url: str, timeout_s: float = 5.0) -> str:
    """Why a stream URL does not open, in FFmpeg's words ('Connection refused', 'Server returned 404 Not Found')."""
    import av

    try:
        with av.open(url, timeout=timeout_s):
            return "it opens, but OpenCV could not read it"
    except av.error.FFmpegError as exc:
        return _short(exc)
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def _short(exc: BaseException) -> str:
    """An FFmpeg/OS error as a short phrase ('Invalid data found when processing input')."""
    text = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(text).splitlines()[0])
    text = re.sub(r":\s*'[^']*'$", "", text)
    return re.sub(r"\s+", " ", text)[:160]


class CaptureSource(Source):
    """A webcam (by index) or a network stream URL read with OpenCV; a live source (timestamps: wall clock)."""

    is_live = True

    def __init__(self, device: int | str, size: tuple[int, int] | None = None, fps: float | None = None,
                 max_read_failures: int = 30) -> None:
        super().__init__(size)
        self.device = device
        self.name = f"camera {device}" if isinstance(device, int) else str(device)
        self.requested_fps = fps
        self.max_read_failures = max_read_failures
        self._capture = None
        self._first: np.ndarray | None = None

    def _open(self) -> None:
        import cv2

        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # the error below says it in one line
        try:
            self._open_capture(cv2)
        finally:
            cv2.utils.logging.setLogLevel(level)

    def _open_capture(self, cv2) -> None:
        if isinstance(self.device, int):
            capture = cv2.VideoCapture(self.device)
            if capture.isOpened() and self.target_size is not None:
                capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.target_size[0])
                capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.target_size[1])
            if capture.isOpened() and self.requested_fps:
                capture.set(cv2.CAP_PROP_FPS, self.requested_fps)
        else:
            capture = cv2.VideoCapture(self.device, cv2.CAP_FFMPEG)
        if not capture.isOpened():
            capture.release()
            if isinstance(self.device, int):
                raise UserError(f"no camera at index {self.device}")
            raise UserError(f"cannot open stream {self.device}: {stream_failure_reason(self.device)}")
        ok, image = capture.read()
        if not ok or image is None:
            capture.release()
            raise UserError(f"{self.name} opened but delivered no frame")
        self._capture = capture
        self._first = image
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 0 < fps < 1000 else (self.requested_fps or 30.0)
        self.size = (image.shape[1], image.shape[0])

    def preview(self) -> np.ndarray | None:
        """The first frame read at open (BGR), before streaming starts; None once streaming."""
        return None if self._first is None else _resize(self._first, self.target_size)

    def _frames(self) -> Iterator[Frame]:
        t0 = time.perf_counter()
        index, failures = 0, 0
        image, self._first = self._first, None
        while True:
            if image is None:
                ok, image = self._capture.read() if self._capture is not None else (False, None)
                if not ok or image is None:
                    failures += 1
                    if self._capture is None or failures >= self.max_read_failures:
                        if isinstance(self.device, int):
                            raise SourceError(f"{self.name} stopped delivering frames")
                        return  # a stream that ends is an end of stream
                    time.sleep(0.01)
                    image = None
                    continue
            failures = 0
            yield Frame(image=_resize(image, self.target_size), index=index, timestamp=time.perf_counter() - t0)
            index += 1
            image = None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class ImageSource(Source):
    """A still image, yielded `repeat` times at `fps` (useful for tests and benchmarks)."""

    def __init__(self, path: str | Path, repeat: int = 1, fps: float = 30.0, size: tuple[int, int] | None = None) -> None:
        super().__init__(size)
        self.path = Path(path)
        self.name = str(self.path)
        self.repeat = max(1, int(repeat))
        self.fps = float(fps)
        self.rate = Fraction(self.fps).limit_denominator(1001)
        self._image: np.ndarray | None = None

    def _open(self) -> None:
        import cv2

        if not self.path.is_file():
            raise UserError(f"input not found: {self.path}")
        image = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
        if image is None:
            raise UserError(f"cannot read {self.path}: not a readable image")
        self._image = _resize(image, self.target_size)
        self.size = (self._image.shape[1], self._image.shape[0])
        self.frame_count = self.repeat

    def _frames(self) -> Iterator[Frame]:
        for index in range(self.repeat):
            # a photo is posed on its own (IMAGE mode) and its people are reported from the first frame
            yield Frame(image=self._image.copy(), index=index, timestamp=index / self.fps, still=index == 0)


def project_world(world: np.ndarray, size: tuple[int, int], metres_tall: float = 2.4) -> np.ndarray:
    """(V, 3) world landmarks → (V, 3) normalised image landmarks of a front view (for drawing on a canvas)."""
    w, h = size
    scale = h / metres_tall  # pixels per metre
    xy = np.asarray(world, dtype=np.float64)[:, :2] * scale + np.array([w / 2.0, h / 2.0])
    out = np.zeros((len(world), 3), dtype=np.float32)
    out[:, 0], out[:, 1] = xy[:, 0] / w, xy[:, 1] / h
    out[:, 2] = np.asarray(world)[:, 2]
    return out


class SkeletonReplaySource(Source):
    """Replays a skeleton recording (`record` output, aclnet_core.data.recording) at its frame rate.

    No pose estimation runs: the frames carry their skeletons, drawn on a dark canvas of `size`.
    """

    provides_skeletons = True

    def __init__(self, path: str | Path, size: tuple[int, int] | None = None, render: bool = True) -> None:
        super().__init__(size)
        self.path = Path(path)
        self.name = str(self.path)
        self.render = render
        self._recording = None

    def _open(self) -> None:
        from aclnet_core.data.recording import load_recording

        self._recording = load_recording(self.path)
        if self._recording.sequence.layout != "mediapipe33":
            raise UserError(f"{self.path}: replay needs a mediapipe33 recording, not {self._recording.sequence.layout}")
        self.fps = float(self._recording.fps)
        self.rate = Fraction(self.fps).limit_denominator(1001)
        self.frame_count = int(self._recording.sequence.keypoint.shape[1])
        self.size = self.target_size or (640, 480)

    def _frames(self) -> Iterator[Frame]:
        seq = self._recording.sequence
        kp = seq.keypoint  # (M, T, V, C)
        score = seq.score if seq.score is not None else np.ones(kp.shape[:3], dtype=np.float32)
        w, h = self.size
        for t in range(kp.shape[1]):
            skeletons = []
            for m in range(kp.shape[0]):
                world = np.zeros((kp.shape[2], 3), dtype=np.float32)
                world[:, : kp.shape[3]] = kp[m, t]
                if not np.any(world):
                    continue  # this person is absent in this frame
                vis = score[m, t].astype(np.float32)
                image = project_world(world, (w, h))
                if kp.shape[0] > 1:  # spread several persons across the canvas
                    image[:, 0] += (m - (kp.shape[0] - 1) / 2) * 0.3
                skeletons.append(Skeleton(image=image, world=world, visibility=vis, presence=np.ones_like(vis)))
            canvas = np.full((h, w, 3), CANVAS_COLOR, dtype=np.uint8) if self.render else None
            yield Frame(image=canvas, index=t, timestamp=t / self.fps, size=(w, h), skeletons=skeletons)


class SyntheticSource(Source):
    """The synthetic demo stream: one synthetic person with ground-truth labels (aclnet_core.data.synthetic).

    Yields skeletons directly (no pose estimation) on a dark canvas; infinite unless `max_frames` is set.
    """

    provides_skeletons = True

    def __init__(self, seed: int = 0, fps: float = 30.0, size: tuple[int, int] | None = None,
                 max_frames: int | None = None, render: bool = True, realtime: bool = False) -> None:
        super().__init__(size)
        self.seed = seed
        self.name = f"synthetic:{seed}"
        self.fps = float(fps)
        self.rate = Fraction(self.fps).limit_denominator(1001)
        self.max_frames = max_frames
        self.frame_count = max_frames
        self.render = render
        self.is_live = realtime
        self._stream = None

    def _open(self) -> None:
        try:
            from aclnet_core.data.synthetic import MotionGenerator
        except ImportError:
            raise UserError("the synthetic demo source needs aclnet_core.data.synthetic") from None
        self.size = self.target_size or (640, 480)
        self._stream = MotionGenerator(self.seed, fps=self.fps, image_size=self.size).stream(self.fps)

    def _frames(self) -> Iterator[Frame]:
        w, h = self.size
        t0 = time.perf_counter()
        for index, item in enumerate(self._stream):
            if self.max_frames is not None and index >= self.max_frames:
                return
            if self.is_live:  # pace like a camera
                delay = t0 + index / self.fps - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            skeleton, label = _synthetic_skeleton(item, (w, h))
            canvas = np.full((h, w, 3), CANVAS_COLOR, dtype=np.uint8) if self.render else None
            yield Frame(image=canvas, index=index, timestamp=index / self.fps, size=(w, h),
                        skeletons=[skeleton] if skeleton is not None else [], truth_label=label)


def _synthetic_skeleton(item, size: tuple[int, int]) -> tuple[Skeleton | None, str | None]:
    """One item of MotionGenerator.stream() → a Skeleton (or None when not detected) and its label."""
    get = (lambda k, d=None: item.get(k, d)) if isinstance(item, dict) else (lambda k, d=None: getattr(item, k, d))
    world = np.asarray(get("world"), dtype=np.float32).reshape(-1, 3)
    image = get("image")
    image = project_world(world, size) if image is None else np.asarray(image, dtype=np.float32).reshape(-1, 3)
    vis = get("visibility")
    vis = np.ones(len(world), np.float32) if vis is None else np.asarray(vis, dtype=np.float32).reshape(-1)
    pres = get("presence")
    pres = np.ones(len(world), np.float32) if pres is None else np.asarray(pres, dtype=np.float32).reshape(-1)
    detected = get("detected", True)
    label = get("label_name", None) or get("label", None)
    label = str(label) if label is not None else None
    if label is not None and not get("in_action", True):
        label = NO_ACTION  # the idle lead-in / lead-out around an action
    if detected is not None and not bool(np.all(detected)):
        return None, label
    return Skeleton(image=image, world=world, visibility=vis, presence=pres), label


class PacedSource(Source):
    """Plays another source at its own frame rate as if it were a camera (live: stale frames get dropped).

    `bench` uses it to measure the pipeline the way a webcam would feed it.
    """

    is_live = True

    def __init__(self, inner: Source, fps: float | None = None) -> None:
        super().__init__(None)
        self.inner = inner
        self.name = f"{inner.name} (paced)"
        self.provides_skeletons = inner.provides_skeletons
        self.requested_fps = fps
        self.last_wait_s = 0.0  # pacing sleep before the last frame (not capture work)

    def _open(self) -> None:
        self.inner.open()
        self.fps = float(self.requested_fps or self.inner.fps or 30.0)
        self.rate = Fraction(self.fps).limit_denominator(1001)
        self.size = self.inner.size
        self.frame_count = self.inner.frame_count

    def _frames(self) -> Iterator[Frame]:
        t0 = time.perf_counter()
        for index, frame in enumerate(self.inner._frames()):
            delay = t0 + index / self.fps - time.perf_counter()
            self.last_wait_s = max(0.0, delay)
            if delay > 0:
                time.sleep(delay)
            frame.index, frame.timestamp = index, time.perf_counter() - t0
            yield frame

    def close(self) -> None:
        self.inner.close()


class LoopingSource(Source):
    """Reopens a finite source when it ends, `loops` times (None: forever); frame indices keep counting.

    `bench` uses it to measure longer than a short clip lasts.
    """

    def __init__(self, factory: Callable[[], Source], loops: int | None = None) -> None:
        super().__init__(None)
        self.factory = factory
        self.loops = loops
        self.inner: Source | None = None

    def _open(self) -> None:
        self.inner = self.factory().open()
        self.name = f"{self.inner.name} (looped)"
        self.is_live = self.inner.is_live
        self.provides_skeletons = self.inner.provides_skeletons
        self.fps, self.rate, self.size = self.inner.fps, self.inner.rate, self.inner.size
        self.frame_count = None if self.loops is None or self.inner.frame_count is None else \
            self.inner.frame_count * (self.loops + 1)

    def _frames(self) -> Iterator[Frame]:
        index, offset, loop = 0, 0.0, 0
        period = 1.0 / (self.fps or 30.0)
        while True:
            last = 0.0
            for frame in self.inner._frames():
                last = frame.timestamp
                frame.index, frame.timestamp = index, offset + frame.timestamp
                index += 1
                yield frame
            loop += 1
            if index == 0 or (self.loops is not None and loop > self.loops):
                return
            offset += last + period
            self.inner.close()
            self.inner = self.factory().open()

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()


def _synthetic_seed(text: str) -> int:
    """The seed of 'synthetic:SEED' (0 without one); UserError unless it is an integer in 0..2**32-1."""
    from aclnet_core.cli_types import synthetic_seed

    try:
        return synthetic_seed(text)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def open_source(spec: str | int, size: tuple[int, int] | None = None, **kwargs) -> Source:
    """A source from a command-line string: a camera index ('0'), a stream URL, 'demo' (the shipped clip),
    'synthetic[:SEED]' (the generated stream), a skeleton recording (.npz), an image, or a video file.
    The source is opened (so bad input fails here)."""
    text = str(spec).strip()
    if isinstance(spec, int) or re.fullmatch(r"\d{1,2}", text):
        source: Source = CaptureSource(int(text), size=size, fps=kwargs.get("fps"))
    elif text.lower().startswith(STREAM_SCHEMES):
        source = CaptureSource(text, size=size)
    elif text.lower() == "demo":
        from app.demo import demo_clip_path

        source = VideoFileSource(demo_clip_path(), size=size)
    elif text.lower() == "synthetic" or text.lower().startswith("synthetic:"):
        seed = _synthetic_seed(text)
        source = SyntheticSource(seed=seed, size=size, fps=kwargs.get("fps") or 30.0,
                                 max_frames=kwargs.get("max_frames"), realtime=kwargs.get("realtime", False))
    else:
        path = Path(text).expanduser()
        suffix = path.suffix.lower()
        if suffix in RECORDING_SUFFIXES:
            source = SkeletonReplaySource(path, size=size)
        elif suffix in IMAGE_SUFFIXES:
            source = ImageSource(path, repeat=kwargs.get("repeat", 1), fps=kwargs.get("fps") or 30.0, size=size)
        else:
            source = VideoFileSource(path, size=size)
    return source.open()
