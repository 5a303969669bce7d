"""Action recognition (and gait identification) on the windows of all tracks, batched into one model call.

Identification is delegated to an IdentityProvider (app.identity.IdentityService: the gait model, per-track
templates and the gallery); the recogniser attaches its matches to the predictions.

Labels, layout, window T and preprocessing come from the model's metadata. Every window goes through
`aclnet_core.data.preprocess.prepare_clip`, the same code the trainer uses. The backend is chosen by
`aclnet_core.runtime.load_runtime(path, 'auto')` (TensorRT → ONNX Runtime CUDA → ONNX Runtime CPU → torch) and
reported in `Recogniser.backend`.
"""

from __future__ import annotations

import importlib.resources
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.eval.open_set import decide, prepared
from app.records import Prediction, Window
from app.smoothing import SmoothingOptions, TrackLabelSmoothers
from app.windows import WindowOptions

log = logging.getLogger(__name__)

SOURCE_LAYOUT = "mediapipe33"  # what the pose stage produces (world landmarks, metres)
DEFAULT_SAMPLE_FPS = 30.0


class Runtime(Protocol):
    """What the recogniser needs from `aclnet_core.runtime.InferenceRuntime`."""

    meta: Any
    backend: str

    def infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


class IdentityProvider(Protocol):
    """What the recogniser needs from app.identity.IdentityService (gait embeddings → gallery matches)."""

    def update_many(self, windows: dict[int, Window]) -> dict[int, Any]: ...  # -> IdentityMatch | None per track

    def drop(self, track_id: int) -> None: ...


def clip_for_model(keypoint: np.ndarray, score: np.ndarray | None, cfg: Any,
                   source_layout: str = SOURCE_LAYOUT, root: np.ndarray | None = None) -> np.ndarray:
    """One person's (T, V, C) landmarks in `source_layout` → the model's (M, T, V', C') input, exactly as training
    prepares a clip: converted to the model's layout (cfg.layout), then `prepare_clip`. Shared by the action
    recogniser and the gait identity service. A model trained with ``root_motion`` also gets the window's travel
    (``Window.root``: (T, 3) metres; without it the person is seen as if on the spot)."""
    from aclnet_core.data.preprocess import prepare_clip

    if getattr(cfg, "root_motion", False) and root is not None:
        keypoint = np.asarray(keypoint) + np.asarray(root, dtype=np.float32)[:, None, : keypoint.shape[-1]]

    if cfg.layout != source_layout:
        from aclnet_core.skeleton.convert import convert, convert_score

        keypoint = convert(keypoint, source_layout, cfg.layout)
        score = None if score is None else convert_score(np.asarray(score), source_layout, cfg.layout)
    return prepare_clip(keypoint[None], cfg, None if score is None else np.asarray(score)[None])


@dataclass(frozen=True)
class RecogniserOptions:
    top_k: int = 3
    stride: int = 8  # model samples between two windows of a track
    min_fill: float = 0.5  # windows with less observed data are skipped
    smoothing: SmoothingOptions = field(default_factory=SmoothingOptions)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def default_model_path(task: str = "action") -> Path:
    """The shipped model: assets/models/<task>.onnx, else <task>.pt (UserError when neither exists)."""
    try:
        models = importlib.resources.files("assets").joinpath("models")
    except ModuleNotFoundError:
        models = None
    candidates = []
    if models is not None:
        candidates = [Path(str(models.joinpath(f"{task}{ext}"))) for ext in (".onnx", ".pt")]
    for path in candidates:
        if path.is_file():
            return path
    option = "--gait-model" if task == "gait" else "--model"
    raise UserError(f"no {task} model found (looked for assets/models/{task}.onnx and .pt); pass {option} PATH")


def open_runtime(path: str | Path | None = None, backend: str = "auto", task: str = "action",
                 cpu_threads: int | None = 1) -> Runtime:
    """Load a model with the fastest working backend. With no path, the shipped one (ONNX first, then .pt).

    `cpu_threads` caps the CPU backends' threads (ONNX Runtime intra-op threads without spinning, torch
    threads): in the live pipeline MediaPipe needs the other core, and on a 2-core CPU one inference thread
    is faster than two competing ones (docs/RESULTS.md). None keeps the backends' defaults.
    """
    runtime = _open_runtime(path, backend, task, cpu_threads)
    found = getattr(runtime.meta, "task", task)
    if found != task:
        option = "--gait-model" if task == "gait" else "--model"
        raise UserError(f"{path or 'the model'} is a{'n' if found[0] in 'aeiou' else ''} {found} model; "
                        f"{option} needs a{'n' if task[0] in 'aeiou' else ''} {task} model")
    return runtime


def _open_runtime(path: str | Path | None, backend: str, task: str, cpu_threads: int | None) -> Runtime:
    if path is None:
        path = default_model_path(task)
        try:
            return _load(path, backend, cpu_threads)
        except UserError as exc:
            fallback = Path(path).with_suffix(".pt")
            if Path(path).suffix == ".onnx" and fallback.is_file():
                log.warning("%s; using %s", exc, fallback.name)
                return _load(fallback, backend if backend.startswith("torch") else "auto", cpu_threads)
            raise
    return _load(Path(path), backend, cpu_threads)


def _load(path: Path, backend: str, cpu_threads: int | None) -> Runtime:
    from aclnet_core.runtime import load_runtime

    path = Path(path)
    if cpu_threads and path.suffix == ".onnx" and path.is_file():
        try:
            from aclnet_core.runtime.onnx_runtime import OrtOptions
            from aclnet_core.runtime.select import load_onnx_runtime
        except ImportError:
            pass
        else:
            return load_onnx_runtime(path, backend, options=OrtOptions(threads=cpu_threads, spinning=False))
    runtime = load_runtime(path, backend)
    if cpu_threads and str(getattr(runtime, "backend", "")).startswith("torch-cpu"):
        import torch

        torch.set_num_threads(cpu_threads)
    return runtime


def meta_sample_fps(meta: Any) -> float:
    extra = getattr(meta, "extra", None) or {}
    fps = extra.get("fps") or extra.get("sample_fps") or DEFAULT_SAMPLE_FPS
    return float(fps)


class Recogniser:
    """`predict(windows)` → a smoothed Prediction per track (one batched call per model)."""

    def __init__(self, runtime: Runtime, options: RecogniserOptions = RecogniserOptions(),
                 identity: IdentityProvider | None = None, actions: Any = None) -> None:
        """actions: an `app.actions.live.CustomActions` (custom actions merged with the model's classes) or None."""
        self.runtime = runtime
        self.meta = runtime.meta
        self.options = options
        self.labels = list(self.meta.labels)
        self.cfg = self.meta.preprocess_config()
        self._decision = prepared(getattr(self.meta, "extra", None))  # calibration and open-set gate, ready to use
        self.identity = identity
        self.actions = actions
        self._smoothers = TrackLabelSmoothers(options.smoothing)
        self._last: dict[int, Prediction] = {}

    @property
    def backend(self) -> str:
        return str(self.runtime.backend)

    def window_options(self) -> WindowOptions:
        """Window length and rate the model wants, with this recogniser's stride."""
        return WindowOptions(length=int(self.cfg.window), sample_fps=meta_sample_fps(self.meta), stride=self.options.stride)

    def model_input(self, windows: list[Window], cfg: Any, in_channels: int) -> np.ndarray:
        """(N, M, T, V, C') float32: each window converted to the model's layout and run through prepare_clip."""
        coords = in_channels - int(cfg.use_score)
        clips = [clip_for_model(w.keypoint[..., :coords], w.score, cfg, root=w.root) for w in windows]
        return np.ascontiguousarray(np.stack(clips), dtype=np.float32)

    def predict(self, windows: list[Window], frame_index: int = -1, timestamp: float = 0.0) -> dict[int, Prediction]:
        """Run the ready windows; returns the updated predictions of those tracks."""
        windows = [w for w in windows if w.fill >= self.options.min_fill]
        if not windows:
            return {}
        x = self.model_input(windows, self.cfg, int(self.meta.in_channels))
        logits, embedding = self.runtime.infer(x)
        embeddings = np.asarray(embedding, dtype=np.float32)
        # calibrated probabilities times the open-set gate: a window unlike every class shows no confident label
        probabilities = decide(np.asarray(logits, dtype=np.float64), embeddings, self._decision)
        labels = self.labels
        if self.actions is not None:
            merged = self.actions.merge(self.labels, probabilities, embeddings, windows)
            labels, probabilities = merged.labels, merged.probabilities
        matches: dict[int, Any] = {}
        if self.identity is not None:
            matches = self.identity.update_many({w.track_id: w for w in windows})
        k = max(1, min(self.options.top_k, len(labels)))
        out: dict[int, Prediction] = {}
        for i, window in enumerate(windows):
            p = probabilities[i]
            smoothed = self._smoothers.update(window.track_id, p)
            order = np.argsort(-p)[:k]
            ranked = np.argsort(-smoothed.probabilities)[:k]  # what the decision (the shown label) is based on
            match = matches.get(window.track_id)
            prediction = Prediction(
                track_id=window.track_id,
                label=labels[smoothed.index] if smoothed.index is not None else None,
                score=smoothed.score,
                top_k=[(labels[j], float(smoothed.probabilities[j])) for j in ranked],
                raw_label=labels[int(order[0])],
                raw_score=float(p[order[0]]),
                embedding=embeddings[i],
                identity=getattr(match, "name", None) if match is not None else None,
                identity_score=float(match.score) if match is not None and getattr(match, "score", None) is not None else None,
                timestamp=timestamp,
                frame_index=frame_index,
            )
            out[window.track_id] = prediction
            self._last[window.track_id] = prediction
        return out

    def set_smoothing(self, smoothing: SmoothingOptions) -> None:
        """Change the label thresholds / EMA weight while running (thread-safe enough: one attribute swap)."""
        from dataclasses import replace

        self.options = replace(self.options, smoothing=smoothing)
        self._smoothers.set_options(smoothing)

    def current(self) -> dict[int, Prediction]:
        """The last prediction of every live track."""
        return dict(self._last)

    def drop(self, track_id: int) -> None:
        """Forget an ended track."""
        self._smoothers.drop(track_id)
        self._last.pop(track_id, None)
        if self.identity is not None:
            self.identity.drop(track_id)
