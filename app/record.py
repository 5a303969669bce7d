"""`record`: turn a video, a camera or a stream into labelled skeleton recordings in the training format.

Each tracked person becomes one `.npz` recording (aclnet_core.data.recording): MediaPipe world landmarks
(1, T, 33, 3) with visibility as score, resampled to a constant frame rate (frames the tracker missed are
interpolated). Stop a live recording with Ctrl+C or --seconds: what was recorded is saved.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aclnet_core.errors import UserError
from app.pose import PoseOptions
from app.records import FrameResult

log = logging.getLogger(__name__)


@dataclass
class RecordOptions:
    label: str
    fps: float | None = None  # None: the source's frame rate
    min_frames: int = 16  # shorter tracks are not saved
    longest_only: bool = False  # save only the longest track
    seconds: float | None = None  # stop after this long (live sources)
    pose: PoseOptions = field(default_factory=PoseOptions)
    progress: bool = True


@dataclass
class TrackLog:
    """One track's observations as they come (the CLI recorder and the GUI's both fill it)."""

    times: list[float] = field(default_factory=list)
    world: list[np.ndarray] = field(default_factory=list)
    visibility: list[np.ndarray] = field(default_factory=list)

    def add(self, timestamp: float, tracked) -> None:
        """Append a TrackedPerson's world landmarks and visibility at `timestamp` seconds."""
        self.times.append(float(timestamp))
        self.world.append(np.asarray(tracked.skeleton.world, np.float32))
        self.visibility.append(np.asarray(tracked.skeleton.visibility, np.float32))


def safe_name(text: str) -> str:
    """A file-name-safe version of a label or a stem."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text.strip()).strip("._")
    return cleaned or "recording"


def track_sequence(log_: TrackLog, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """A track's observations → (T, V, 3) world landmarks and (T, V) visibility on a uniform time grid."""
    from app.windows import resample_track

    times = np.asarray(log_.times, dtype=np.float64)
    count = int(np.floor((times[-1] - times[0]) * fps + 1e-6)) + 1
    grid = times[0] + np.arange(count) / fps
    world = resample_track(times, np.stack(log_.world), grid).astype(np.float32)
    visibility = resample_track(times, np.stack(log_.visibility), grid).astype(np.float32)
    return world, visibility


def record(input_spec: str, out_dir: str | Path, options: RecordOptions, pose_factory=None) -> list[Path]:
    """Record every tracked person of `input_spec`; returns the files written (UserError when none).

    `pose_factory` replaces the MediaPipe pose stage (tests)."""
    from aclnet_core.data.recording import save_recording
    from aclnet_core.data.sequence import SkeletonSequence
    from aclnet_core.io_utils import check_writable
    from app.pipeline import Pipeline, PipelineOptions
    from app.sources import open_source

    label = options.label.strip()
    if not label:
        raise UserError("--label must not be empty")
    out_dir = Path(out_dir) / safe_name(label)
    check_writable(out_dir / "probe.npz")
    source = open_source(input_spec)
    fps = float(options.fps or source.fps or 30.0)
    if not (np.isfinite(fps) and fps > 0):
        raise UserError(f"--fps must be positive, got {options.fps}")
    logs: dict[int, TrackLog] = {}
    progress = None
    interrupted = False
    started = time.monotonic()
    pipeline = Pipeline(source, None, PipelineOptions(pose=options.pose), pose_factory=pose_factory)
    try:
        if options.progress:
            from tqdm import tqdm

            progress = tqdm(total=source.frame_count, unit="frame", desc=f"record {label}", leave=False, dynamic_ncols=True)
        result: FrameResult
        for result in pipeline.results():
            for tracked in result.tracks:
                logs.setdefault(tracked.track_id, TrackLog()).add(result.frame.timestamp, tracked)
            if progress is not None:
                progress.update(1)
            if options.seconds is not None and time.monotonic() - started >= options.seconds:
                break
    except KeyboardInterrupt:
        interrupted = True  # stopping a recording with Ctrl+C keeps what was recorded
    finally:
        pipeline.stop()
        source.close()
        if progress is not None:
            progress.close()
    min_span = max(1, options.min_frames) - 1
    usable = {k: v for k, v in logs.items() if len(v.times) >= 2 and (v.times[-1] - v.times[0]) * fps + 1e-6 >= min_span}
    if options.longest_only and usable:
        best = max(usable, key=lambda k: usable[k].times[-1] - usable[k].times[0])
        usable = {best: usable[best]}
    if not usable:
        raise UserError(f"{input_spec}: no person was tracked for {options.min_frames} frames; nothing recorded")
    stem = safe_name(Path(str(input_spec)).stem if not str(input_spec).isdigit() else f"camera{input_spec}")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    written = []
    for track_id, entry in sorted(usable.items()):
        world, visibility = track_sequence(entry, fps)
        seq = SkeletonSequence(keypoint=world[None], label=-1, layout="mediapipe33",
                               name=f"{stem}-track{track_id}", score=visibility[None])
        path = out_dir / f"{stem}-{stamp}-track{track_id}.npz"
        written.append(save_recording(path, seq, label, fps))
    if interrupted:
        log.warning("recording interrupted: saved what was recorded")
    return written
