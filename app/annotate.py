"""`annotate`: videos in, annotated H.264 MP4s out (skeletons, track ids, labels, scores, identities) plus timelines.

Outputs are complete or absent: the video is written under a temporary name and renamed at the end. On an
interruption the partial video is removed and the requested timelines are written with `complete: false`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aclnet_core.errors import UserError
from aclnet_core.io_utils import check_not_input, check_writable
from app.pipeline import Pipeline, PipelineOptions
from app.pose import PoseOptions
from app.recogniser import Recogniser, RecogniserOptions, Runtime
from app.records import FrameResult

log = logging.getLogger(__name__)

ANNOTATED_SUFFIX = ".annotated.mp4"


@dataclass
class AnnotateOptions:
    model: str | None = None  # None: the shipped action model
    backend: str = "auto"
    pose_only: bool = False  # draw skeletons and tracks without a model
    pose: PoseOptions = field(default_factory=PoseOptions)
    recogniser: RecogniserOptions = field(default_factory=RecogniserOptions)
    gallery: str | None = None  # a gallery file: identify people with the gait model
    gait_model: str | None = None  # None: the shipped gait model
    identity_threshold: float | None = None
    actions: str | None = None  # an action library file: custom actions merged with the model's labels
    actions_threshold: float | None = None  # None: the library's calibrated one
    write_json: bool = False
    write_csv: bool = False
    codec: str = "h264"
    hud: bool = False  # draw fps / latency lines on the video
    progress: bool = True
    max_frames: int | None = None  # stop after this many frames (the output is then complete for those frames)


@dataclass
class AnnotateReport:
    input: str
    output: str | None
    json: str | None
    csv: str | None
    frames: int
    fps: float
    size: tuple[int, int]
    codec: str | None
    backend: str | None
    seconds: float
    complete: bool = True
    truth: dict | None = None  # shown labels vs the source's ground truth (synthetic demo), if known

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def output_paths(inputs: Sequence[str], output: str | None) -> list[Path]:
    """Where each input's annotated video goes: -o FILE.mp4 for one input, -o DIR for several, else beside the input."""
    if not inputs:
        raise UserError("no input given")
    if output is None:
        return [_beside(Path(p)) for p in inputs]
    out = Path(output)
    if len(inputs) == 1 and (out.suffix.lower() == ".mp4"):
        return [out]
    if out.suffix.lower() == ".mp4":
        raise UserError(f"several inputs need -o to be a directory, not {out}")
    if out.exists() and not out.is_dir():
        raise UserError(f"-o {out} exists and is not a directory")
    return [out / (Path(p).stem + ANNOTATED_SUFFIX) for p in inputs]


def _beside(path: Path) -> Path:
    if path.suffix:
        return path.with_name(path.stem + ANNOTATED_SUFFIX)
    return path.with_name((path.name or "stream") + ANNOTATED_SUFFIX)


def build_recogniser(options: AnnotateOptions, runtime: Runtime | None = None) -> Recogniser | None:
    """The recogniser (or None for --pose-only); loads the models and the gallery named in the options."""
    if options.pose_only and runtime is None:
        return None
    from app.recogniser import open_runtime

    runtime = runtime if runtime is not None else open_runtime(options.model, options.backend)
    return Recogniser(runtime, options.recogniser, identity=build_identity(options),
                      actions=build_custom_actions(options, runtime))


def build_custom_actions(options: AnnotateOptions, runtime: Runtime):
    """The custom actions of --actions for this action model (None without a library)."""
    if not options.actions:
        return None
    from app.actions.library import ActionLibrary
    from app.actions.live import CustomActions

    if not Path(options.actions).is_file():
        raise UserError(f"no action library at {options.actions}")
    return CustomActions(ActionLibrary(options.actions, create=False), runtime.meta.model_id,
                         options.actions_threshold)


def build_identity(options: AnnotateOptions):
    """The gait identity service for --gallery (None without a gallery)."""
    if not options.gallery:
        return None
    from app.gallery.store import GalleryStore
    from app.identity import IdentityService
    from app.recogniser import open_runtime

    gait_runtime = open_runtime(options.gait_model, options.backend, task="gait")
    store = GalleryStore(options.gallery, create=False)
    return IdentityService(gait_runtime, store, options.identity_threshold)


def _custom_actions(recogniser: Recogniser) -> list[str]:
    return [] if recogniser.actions is None else list(recogniser.actions.matcher.actions)


def annotate_video(input_spec: str, output: str | Path, options: AnnotateOptions | None = None,
                   recogniser: Recogniser | None = None, on_frame: Callable[[FrameResult], None] | None = None,
                   pose_factory: Callable | None = None) -> AnnotateReport:
    """Annotate one input into `output`. `on_frame` is called after each frame is written (tests, GUI progress)."""
    options = options or AnnotateOptions()
    from app.overlay import draw_frame_result
    from app.sources import open_source
    from app.timeline import Timeline
    from app.video_sink import VideoSink

    output = Path(output)
    json_path = output.with_suffix(".json") if options.write_json else None
    csv_path = output.with_suffix(".csv") if options.write_csv else None
    for path in (output, json_path, csv_path):
        if path is not None:
            check_writable(path)
    source = open_source(input_spec, max_frames=options.max_frames)  # fails here on bad input, before any output
    started = time.perf_counter()
    layout = "mediapipe33"  # the overlay draws the pose landmarks, whatever layout the model consumes
    timeline = Timeline(source=str(input_spec), fps=source.fps, metadata={
        "model": None if recogniser is None else {"backend": recogniser.backend, "labels": recogniser.labels,
                                                  "custom_actions": _custom_actions(recogniser),
                                                  "task": getattr(recogniser.meta, "task", None),
                                                  "model_id": getattr(recogniser.meta, "model_id", None)},
    })
    rate = source.rate or source.fps or 30.0
    sink = None
    progress = None
    pipeline = None
    frames = 0
    try:
        sink = VideoSink(output, rate, source.size, codec=options.codec)
        pipeline = Pipeline(source, recogniser, PipelineOptions(pose=options.pose, live=False), pose_factory=pose_factory)
        if options.progress:
            from tqdm import tqdm

            progress = tqdm(total=source.frame_count, unit="frame", desc=Path(str(input_spec)).name, leave=False,
                            dynamic_ncols=True)
        for result in pipeline.results():
            image = result.frame.image
            hud = pipeline.stats.hud_lines() if options.hud else None
            draw_frame_result(image, result, layout_name=layout, hud_lines=hud)
            sink.write(image)
            timeline.update(result)
            frames += 1
            if progress is not None:
                progress.update(1)
            if on_frame is not None:
                on_frame(result)
            if options.max_frames is not None and frames >= options.max_frames:
                break
        if frames == 0:
            raise UserError(f"{input_spec}: no frames were processed")
        sink.close()
    except KeyboardInterrupt:
        if sink is not None:
            sink.abort()
        _write_timelines(timeline, json_path, csv_path, complete=False)
        raise
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    finally:
        if pipeline is not None:
            pipeline.stop()
        source.close()
        if progress is not None:
            progress.close()
    _write_timelines(timeline, json_path, csv_path, complete=True)
    return AnnotateReport(
        input=str(input_spec), output=str(output), json=str(json_path) if json_path else None,
        csv=str(csv_path) if csv_path else None, frames=frames, fps=float(source.fps or 0.0), size=tuple(source.size),
        codec=sink.codec_used if sink is not None else None, backend=recogniser.backend if recogniser is not None else None,
        seconds=time.perf_counter() - started,
        truth=timeline.truth.to_dict() if timeline.truth.frames else None)


def _write_timelines(timeline, json_path: Path | None, csv_path: Path | None, complete: bool) -> None:
    if json_path is not None:
        timeline.write_json(json_path, complete=complete)
    if csv_path is not None:
        timeline.write_csv(csv_path)


def run_annotate(inputs: Sequence[str], output: str | None, options: AnnotateOptions | None = None,
                 runtime: Runtime | None = None, pose_factory: Callable | None = None) -> list[AnnotateReport]:
    """Annotate several inputs (models loaded once; tracking and label state fresh for each input).

    `runtime` and `pose_factory` replace the model and the pose stage (tests)."""
    options = options or AnnotateOptions()
    outputs = output_paths(inputs, output)
    read = [*inputs, options.model, options.gait_model, options.gallery]
    for path in outputs:
        for written in (path, path.with_suffix(".json") if options.write_json else None,
                        path.with_suffix(".csv") if options.write_csv else None):
            if written is not None:
                check_not_input(written, read)
        check_writable(path)
    recogniser = build_recogniser(options, runtime)
    reports = []
    for spec, out in zip(inputs, outputs):
        if recogniser is not None and recogniser.identity is not None:
            recogniser.identity.reset()  # track ids restart with each input
        fresh = None if recogniser is None else Recogniser(recogniser.runtime, recogniser.options, recogniser.identity,
                                                                recogniser.actions)
        reports.append(annotate_video(spec, out, options, recogniser=fresh, pose_factory=pose_factory))
    return reports
