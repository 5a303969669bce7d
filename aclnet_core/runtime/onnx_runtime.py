"""ONNX Runtime backend: CPU (tuned for batch-1 latency on a small CPU), CUDA, or TensorRT execution providers.

ONNX Runtime silently drops an execution provider it cannot load, so `backend` is read back from the providers the
session really uses (`session.get_providers()`), never from the ones asked for.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.model.metadata import ModelMetadata

log = logging.getLogger(__name__)

META_KEY = "aclnet_meta"
INPUT_NAME = "skeleton"
OUTPUT_NAMES = ("logits", "embedding")
THREADS_ENV = "ACLNET_ORT_THREADS"
SPIN_ENV = "ACLNET_ORT_SPIN"

# backend name -> the execution providers to request, best first (CPU last so the session always opens).
PROVIDERS: dict[str, tuple[str, ...]] = {
    "onnxruntime-trt": ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"),
    "onnxruntime-cuda": ("CUDAExecutionProvider", "CPUExecutionProvider"),
    "onnxruntime-cpu": ("CPUExecutionProvider",),
}
BACKEND_OF_PROVIDER = {"TensorrtExecutionProvider": "onnxruntime-trt", "CUDAExecutionProvider": "onnxruntime-cuda",
                       "CPUExecutionProvider": "onnxruntime-cpu"}


@dataclass
class OrtOptions:
    """Session settings. threads=0 picks `default_cpu_threads()` ($ACLNET_ORT_THREADS overrides it); spinning=None
    picks `default_spinning()` ($ACLNET_ORT_SPIN=0/1 overrides it)."""

    threads: int = 0
    spinning: bool | None = None     # workers busy-wait for work: lower latency on an idle CPU, ruinous on a busy one
    trt_fp16: bool = True
    trt_cache_dir: str | None = None  # ONNX Runtime's own TensorRT engine cache
    max_batch: int = 64              # TensorRT EP optimisation profile


def default_cpu_threads() -> int:
    """Intra-op threads: 1 unless $ACLNET_ORT_THREADS says otherwise.

    Measured on the 2-core target (docs/RESULTS.md, "Deployment and model speed"): a second thread only pays with
    spinning workers on an otherwise idle CPU (lite, batch 1: 4.6-5.1 ms vs 6.3-6.6 ms); on a busy CPU (the live
    app shares it with pose estimation) spinning doubles the latency and 2 non-spinning threads are 5-10 % slower
    than 1. For the idle-CPU figure set ACLNET_ORT_THREADS=2 ACLNET_ORT_SPIN=1.
    """
    if os.environ.get(THREADS_ENV, "").strip():
        try:
            return max(1, int(os.environ[THREADS_ENV]))
        except ValueError:
            raise UserError(f"{THREADS_ENV} must be an integer, got {os.environ[THREADS_ENV]!r}") from None
    return 1


def default_spinning() -> bool:
    """Spin-waiting workers help only when the cores are otherwise idle; the live app shares them with pose
    estimation, where spinning doubles the latency (docs/RESULTS.md), so it is off unless $ACLNET_ORT_SPIN=1.
    (With one thread there are no workers and it makes no difference.)"""
    value = os.environ.get(SPIN_ENV, "").strip()
    if value not in ("", "0", "1"):
        raise UserError(f"{SPIN_ENV} must be 0 or 1, got {value!r}")
    return value == "1"


def _ort():
    try:
        import onnxruntime
    except ImportError:
        raise UserError("ONNX models need onnxruntime (pip install onnxruntime)") from None
    _disable_telemetry(onnxruntime)
    return onnxruntime


def _disable_telemetry(ort) -> None:
    """Turn off ONNX Runtime's telemetry events where the build has them (Windows builds send them)."""
    disable = getattr(ort, "disable_telemetry_events", None)
    if disable is not None:
        try:
            disable()
        except Exception:
            log.debug("could not disable ONNX Runtime telemetry", exc_info=True)


def session_options(options: OrtOptions):
    """The CPU session settings, chosen by measurement (`python -m aclnet_core.bench.ort_options MODEL`;
    docs/RESULTS.md, "Encoder speed (issue 16)"): ENABLE_ALL (the NCHWc layout pass) is the fastest level
    (ENABLE_EXTENDED +10 %, ENABLE_BASIC +12 % CPU time on the base preset, no difference on lite), sequential
    execution (one branch-free chain), memory pattern and CPU arena on (no measurable effect at batch 1)."""
    ort = _ort()
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.enable_mem_pattern = True
    so.enable_cpu_mem_arena = True
    so.intra_op_num_threads = options.threads or default_cpu_threads()
    so.inter_op_num_threads = 1
    spinning = default_spinning() if options.spinning is None else options.spinning
    so.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    so.log_severity_level = 3          # errors only: a missing EP is reported by us, once, on one line
    return so


def _provider_entry(name: str, input_shape: tuple[int, ...], options: OrtOptions):
    if name != "TensorrtExecutionProvider":
        return name
    from aclnet_core.export.engine_cache import default_cache_dir

    def dims(batch: int) -> str:
        return f"{INPUT_NAME}:" + "x".join(map(str, (batch, *input_shape)))
    cache = options.trt_cache_dir or str(default_cache_dir() / "onnxruntime")
    return (name, {"trt_fp16_enable": options.trt_fp16, "trt_engine_cache_enable": True,
                   "trt_engine_cache_path": cache, "trt_profile_min_shapes": dims(1),
                   "trt_profile_opt_shapes": dims(max(1, options.max_batch // 2)),
                   "trt_profile_max_shapes": dims(options.max_batch)})


def open_session(path: str | Path, backend: str = "onnxruntime-cpu", options: OrtOptions | None = None,
                 input_shape: tuple[int, ...] | None = None):
    """An InferenceSession for `backend` (one of PROVIDERS); UserError for a file ONNX Runtime cannot read."""
    ort = _ort()
    options = options or OrtOptions()
    if backend not in PROVIDERS:
        raise UserError(f"unknown ONNX Runtime backend {backend!r}; choose one of {', '.join(PROVIDERS)}")
    wanted = PROVIDERS[backend]
    available = set(ort.get_available_providers())
    providers = [p for p in wanted if p in available] or ["CPUExecutionProvider"]
    input_shape = input_shape or meta_input_shape(path)
    entries = [_provider_entry(p, input_shape, options) for p in providers]
    try:
        return ort.InferenceSession(str(path), session_options(options), providers=entries)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types (Fail, InvalidGraph, …)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: ONNX Runtime cannot load this model ({first[:200]})") from None


def meta_input_shape(path: str | Path) -> tuple[int, ...]:
    """The static (M, T, V, C) of the input, read from the embedded metadata."""
    return read_onnx_metadata(path).input_shape(1)[1:]


def read_onnx_metadata(path: str | Path) -> ModelMetadata:
    """The ModelMetadata stored in the model's metadata_props['aclnet_meta'] (UserError when absent)."""
    import onnx
    path = Path(path)
    if not path.is_file():
        raise UserError(f"model not found: {path}")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - protobuf DecodeError and friends
        raise UserError(f"{path} is not a readable ONNX model ({type(exc).__name__})") from None
    props = {p.key: p.value for p in model.metadata_props}
    if META_KEY not in props:
        raise UserError(f"{path} has no ACLNet metadata ('{META_KEY}'); export it with `main.py export`")
    return ModelMetadata.from_json(props[META_KEY])


def check_session_matches(session, meta: ModelMetadata, path: Path) -> None:
    """UserError when the graph's input/outputs contradict the embedded metadata (a tampered or mixed-up file)."""
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    if INPUT_NAME not in inputs or not set(OUTPUT_NAMES) <= set(outputs):
        raise UserError(f"{path}: the graph has inputs {sorted(inputs)} and outputs {sorted(outputs)}, expected "
                        f"{INPUT_NAME!r} -> {', '.join(OUTPUT_NAMES)}")
    expected = meta.input_shape(1)
    shape = list(inputs[INPUT_NAME].shape)
    static = [(i, d) for i, d in enumerate(shape) if isinstance(d, int) and i > 0]
    if len(shape) != len(expected) or any(d != expected[i] for i, d in static):
        raise UserError(f"{path}: the graph's input shape {shape} contradicts its metadata (N, "
                        f"{', '.join(map(str, expected[1:]))})")
    logits = list(outputs["logits"].shape)
    if len(logits) == 2 and isinstance(logits[1], int) and logits[1] != meta.num_classes:
        raise UserError(f"{path}: the graph has {logits[1]} classes but its metadata lists {meta.num_classes}")


class OnnxRuntime:
    """InferenceRuntime over one ONNX Runtime session."""

    def __init__(self, path: str | Path, backend: str = "onnxruntime-cpu", options: OrtOptions | None = None) -> None:
        self.path = Path(path)
        self.meta = read_onnx_metadata(self.path)
        self.options = options or OrtOptions()
        self._sample_shape = self.meta.input_shape(1)[1:]
        self.session = open_session(self.path, backend, self.options, self._sample_shape)
        check_session_matches(self.session, self.meta, self.path)
        self.providers: list[str] = list(self.session.get_providers())
        self.backend = BACKEND_OF_PROVIDER.get(self.providers[0], self.providers[0])
        self.requested = backend

    def infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 5 or x.shape[1:] != self._sample_shape:
            raise UserError(f"model input must be (N, {', '.join(map(str, self._sample_shape))}), got {x.shape}")
        logits, embedding = self.session.run(OUTPUT_NAMES, {INPUT_NAME: x})
        return logits, embedding
