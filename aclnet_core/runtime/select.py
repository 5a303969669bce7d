"""Backend selection for ONNX models: TensorRT → ONNX Runtime CUDA → ONNX Runtime CPU.

An explicitly named backend either runs or fails with a one-line UserError. 'auto' walks the chain and returns the
first backend that REALLY runs (ONNX Runtime's providers are read back from the session, because it drops a
provider it cannot load without an error); when it had to fall back it logs one line saying what runs and why.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aclnet_core.errors import UserError
from aclnet_core.export.tensorrt_build import BackendUnavailable
from aclnet_core.runtime.base import InferenceRuntime
from aclnet_core.runtime.onnx_runtime import PROVIDERS, OnnxRuntime, OrtOptions

log = logging.getLogger(__name__)

ONNX_BACKENDS = ("auto", "tensorrt", "onnxruntime-trt", "onnxruntime-cuda", "onnxruntime-cpu")
AUTO_CHAIN = ("tensorrt", "onnxruntime-cuda", "onnxruntime-cpu")
DEFAULT_MAX_BATCH = 64


def available_onnx_providers() -> list[str]:
    try:
        import onnxruntime
    except ImportError:
        return []
    return list(onnxruntime.get_available_providers())


def _open_tensorrt(path: Path, precision: str, max_batch: int) -> InferenceRuntime:
    from aclnet_core.runtime.tensorrt_runtime import TensorRTRuntime
    return TensorRTRuntime.from_onnx(path, precision=precision, max_batch=max_batch)


def _open_ort(path: Path, backend: str, options: OrtOptions) -> InferenceRuntime:
    wanted = PROVIDERS[backend][0]
    if wanted not in available_onnx_providers():
        raise BackendUnavailable(f"this onnxruntime build has no {wanted} (install onnxruntime-gpu)")
    runtime = OnnxRuntime(path, backend, options)
    if runtime.providers[0] != wanted:     # asked for a GPU provider, ONNX Runtime quietly runs something else
        raise BackendUnavailable(f"ONNX Runtime could not start {wanted} (CUDA/cuDNN/TensorRT libraries missing?) "
                                 f"and would run {runtime.providers[0]}")
    return runtime


def open_backend(path: str | Path, backend: str, *, precision: str = "fp16", max_batch: int = DEFAULT_MAX_BATCH,
                 options: OrtOptions | None = None) -> InferenceRuntime:
    """Open exactly `backend` (not 'auto'); BackendUnavailable (a UserError) saying why it cannot run."""
    path = Path(path)
    if backend == "tensorrt":
        return _open_tensorrt(path, precision, max_batch)
    if backend in PROVIDERS:
        return _open_ort(path, backend, options or OrtOptions(trt_fp16=precision == "fp16", max_batch=max_batch))
    raise UserError(f"unknown backend {backend!r} for an ONNX model; choose one of {', '.join(ONNX_BACKENDS)}")


def load_onnx_runtime(path: str | Path, backend: str = "auto", *, precision: str = "fp16",
                      max_batch: int = DEFAULT_MAX_BATCH, options: OrtOptions | None = None) -> InferenceRuntime:
    """The runtime for an exported `.onnx` model; `runtime.backend` names what really runs.

    'auto' tries TensorRT, then ONNX Runtime CUDA, then ONNX Runtime CPU; `runtime.fallback` lists
    '<backend>: <reason>' for each backend it skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"model not found: {path}")
    if backend not in ONNX_BACKENDS:
        raise UserError(f"unknown backend {backend!r} for an ONNX model; choose one of {', '.join(ONNX_BACKENDS)}")
    if backend != "auto":
        runtime = open_backend(path, backend, precision=precision, max_batch=max_batch, options=options)
        runtime.fallback = []
        return runtime
    skipped: list[str] = []
    for candidate in AUTO_CHAIN:
        try:
            runtime = open_backend(path, candidate, precision=precision, max_batch=max_batch, options=options)
        except BackendUnavailable as exc:
            skipped.append(f"{candidate}: {exc}")
            continue
        runtime.fallback = skipped
        if skipped:
            log.warning("inference backend: %s (fell back; %s)", runtime.backend,
                        "; ".join(s.split(";")[0] for s in skipped))
        return runtime
    raise UserError("no inference backend can run this model: " + "; ".join(skipped))
