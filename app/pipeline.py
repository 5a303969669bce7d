"""The real-time pipeline: source → pose → tracker → windows → recogniser, each stage in its own thread.

    capture thread ──q1──▶ pose thread (pose, tracking, One-Euro, windows) ──q2──▶ inference thread ──q3──▶ caller

Queues are bounded. A live source (camera, stream) keeps only the newest frame in q1 (the latest wins, stale
frames are dropped and counted), and so does q3 when the consumer falls behind; a file loses nothing (every
stage waits for the next). Stages hand over in order, so
results come out in frame order. Every stage is timed all the time (`Pipeline.stats`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Self

from app.pose import PoseOptions
from app.recogniser import Recogniser
from app.records import Frame, FrameResult, PoseResult, TrackedSkeleton, Window
from app.sources import Source
from app.stats import PipelineStats
from app.tracking import Tracker, TrackerOptions
from app.windows import WindowManager, WindowOptions

log = logging.getLogger(__name__)

_POLL_S = 0.05


@dataclass(frozen=True)
class PipelineOptions:
    pose: PoseOptions = field(default_factory=PoseOptions)
    tracker: TrackerOptions = field(default_factory=TrackerOptions)
    windows: WindowOptions | None = None  # None: from the recogniser's model (or defaults without a model)
    queue_size: int = 8  # q2 / q3 capacity; q1 holds 1 frame for live sources, `queue_size` for files
    live: bool | None = None  # None: the source decides


@dataclass
class _End:
    """End of stream marker."""


@dataclass
class _Failure:
    error: BaseException


@dataclass
class _Work:
    frame: Frame
    tracks: list[TrackedSkeleton]
    windows: list[Window]
    ended: list[int]
    rejected: int


class Pipeline:
    """Run a source through pose estimation, tracking and recognition in background threads.

    >>> with Pipeline(source, recogniser) as pipeline:
    ...     for result in pipeline.results():
    ...         ...
    `pose_factory` builds the pose stage inside its thread (default: app.pose.PoseEstimator); it is only called
    when a frame comes without skeletons.
    """

    def __init__(self, source: Source, recogniser: Recogniser | None = None, options: PipelineOptions = PipelineOptions(),
                 pose_factory: Callable[[PoseOptions], object] | None = None) -> None:
        self.source = source
        self.recogniser = recogniser
        self.options = options
        self.live = source.is_live if options.live is None else options.live
        self.stats = PipelineStats()
        self._pose_factory = pose_factory
        window_options = options.windows or (recogniser.window_options() if recogniser is not None else WindowOptions())
        self.window_options = window_options
        self._tracker = Tracker(options.tracker)
        self._windows = WindowManager(window_options)
        # Live: one frame waits for the pose stage (the newest), short hand-overs after it, and a consumer that
        # falls behind (a busy GUI) gets the newest result. Files: deeper queues, nothing is ever dropped.
        depth = max(1, options.queue_size)
        self._q1: queue.Queue = queue.Queue(maxsize=1 if self.live else depth)
        self._q2: queue.Queue = queue.Queue(maxsize=min(2, depth) if self.live else depth)
        self._q3: queue.Queue = queue.Queue(maxsize=min(2, depth) if self.live else depth)
        self._stop = threading.Event()
        self._pose_ready = threading.Event()
        self._threads: list[threading.Thread] = []
        self._finished = False

    # ---------------------------------------------------------------- control
    def start(self) -> Pipeline:
        if self._threads:
            return self
        for target, name in ((self._pose_loop, "pose"), (self._infer_loop, "infer"), (self._capture_loop, "capture")):
            thread = threading.Thread(target=target, name=f"aclnet-{name}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop all stages and wait for their threads (the source is closed by the capture thread)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = [t for t in self._threads if t.is_alive()]
        if self._threads:
            log.warning("pipeline threads still running: %s", ", ".join(t.name for t in self._threads))

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # ---------------------------------------------------------------- consumer side
    def results(self) -> Iterator[FrameResult]:
        """FrameResults in frame order until the end of the stream; a stage's error is re-raised here."""
        self.start()
        try:
            while True:
                item = self.poll(timeout=None)
                if item is None:
                    return
                yield item
        finally:
            self.stop()

    def poll(self, timeout: float | None = 0.0) -> FrameResult | None:
        """The next result; None at the end of the stream or when nothing came within `timeout` (None = wait)."""
        if self._finished:
            return None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                item = self._q3.get(timeout=_POLL_S if deadline is None else max(0.0, min(_POLL_S, deadline - time.monotonic())))
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                if not any(t.is_alive() for t in self._threads) and self._q3.empty():
                    self._finished = True
                    return None
                continue
            if isinstance(item, _End):
                self._finished = True
                return None
            if isinstance(item, _Failure):
                self._finished = True
                raise item.error
            return item

    @property
    def finished(self) -> bool:
        return self._finished

    # ---------------------------------------------------------------- stages
    def _put(self, q: queue.Queue, item: object) -> bool:
        """Blocking put that gives up when the pipeline stops."""
        while not self._stop.is_set():
            try:
                q.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _get(self, q: queue.Queue) -> object | None:
        while not self._stop.is_set():
            try:
                return q.get(timeout=_POLL_S)
            except queue.Empty:
                continue
        return None

    def _put_latest(self, q: queue.Queue, item: object) -> None:
        """Live sources: replace a frame nobody took yet with the newer one."""
        while True:
            try:
                q.put_nowait(item)
                return
            except queue.Full:
                try:
                    q.get_nowait()
                    self.stats.add_drop()
                except queue.Empty:
                    pass

    def _capture_loop(self) -> None:
        try:
            # Do not read a camera before the pose stage is ready, or the first frames would be stale.
            while not self._pose_ready.wait(_POLL_S):
                if self._stop.is_set():
                    return
            iterator = self.source.frames()
            while not self._stop.is_set():
                t0 = time.perf_counter()
                frame = next(iterator, None)
                if frame is None:
                    break
                waited = getattr(self.source, "last_wait_s", 0.0)  # pacing sleep is not capture work
                self.stats.record("capture", max(0.0, time.perf_counter() - t0 - waited) * 1000.0)
                self.stats.tick("capture")
                if self.live:
                    self._put_latest(self._q1, frame)
                elif not self._put(self._q1, frame):
                    return
            self._put(self._q1, _End())
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._put(self._q1, _Failure(exc))
        finally:
            try:
                self.source.close()
            except Exception:
                log.debug("closing the source failed", exc_info=True)

    def _pose_loop(self) -> None:
        estimator = None
        try:
            if not getattr(self.source, "provides_skeletons", False):
                estimator = self._make_estimator()  # before the first frame is read
            self._pose_ready.set()
            while not self._stop.is_set():
                item = self._get(self._q1)
                if item is None:
                    return
                if isinstance(item, (_End, _Failure)):
                    self._put(self._q2, item)
                    return
                frame: Frame = item
                t0 = time.perf_counter()
                if frame.skeletons is not None:
                    pose = PoseResult(frame.index, frame.timestamp, list(frame.skeletons))
                else:
                    if estimator is None:
                        estimator = self._make_estimator()
                        t0 = time.perf_counter()  # loading the model is not per-frame latency
                    detect_still = getattr(estimator, "detect_still", None)
                    pose = detect_still(frame) if frame.still and detect_still is not None else estimator.detect(frame)
                    self.stats.record("pose", (time.perf_counter() - t0) * 1000.0)
                t1 = time.perf_counter()
                update = self._tracker.update(pose.skeletons, frame.timestamp, frame.size, confirm=frame.still)
                windows = self._windows.update(frame.timestamp, frame.index, update.tracked, update.ended,
                                               frame.size)
                self.stats.record("track", (time.perf_counter() - t1) * 1000.0)
                if not self._put(self._q2, _Work(frame, update.tracked, windows, update.ended, pose.rejected)):
                    return
        except BaseException as exc:  # noqa: BLE001
            self._pose_ready.set()
            self._put(self._q2, _Failure(exc))
        finally:
            if estimator is not None and hasattr(estimator, "close"):
                estimator.close()

    def _make_estimator(self):
        if self._pose_factory is not None:
            return self._pose_factory(self.options.pose)
        from app.pose import PoseEstimator

        return PoseEstimator(self.options.pose)

    def _infer_loop(self) -> None:
        try:
            while not self._stop.is_set():
                item = self._get(self._q2)
                if item is None:
                    return
                if isinstance(item, (_End, _Failure)):
                    self._put(self._q3, item)
                    return
                work: _Work = item
                inferred = False
                if self.recogniser is not None:
                    for track_id in work.ended:
                        self.recogniser.drop(track_id)
                    if work.windows:
                        t0, cpu0 = time.perf_counter(), time.thread_time()
                        updated = self.recogniser.predict(work.windows, work.frame.index, work.frame.timestamp)
                        if updated:
                            inferred = True
                            self.stats.record("infer", (time.perf_counter() - t0) * 1000.0)
                            # CPU time of this thread: with ONNX Runtime on 1 thread, the model's own cost
                            self.stats.record("infer_cpu", (time.thread_time() - cpu0) * 1000.0)
                            self.stats.add_inference(len(updated))
                    current = self.recogniser.current()
                    predictions = {t.track_id: current[t.track_id] for t in work.tracks if t.track_id in current}
                else:
                    predictions = {}
                now = time.perf_counter()
                latency_ms = (now - work.frame.captured_at) * 1000.0 if work.frame.captured_at else 0.0
                self.stats.record("end_to_end", latency_ms)
                self.stats.tick("output", now)
                result = FrameResult(work.frame, work.tracks, predictions, work.rejected, latency_ms, inferred)
                if self.live:
                    self._put_latest(self._q3, result)
                elif not self._put(self._q3, result):
                    return
        except BaseException as exc:  # noqa: BLE001
            self._put(self._q3, _Failure(exc))
