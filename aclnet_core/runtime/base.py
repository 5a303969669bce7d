"""The runtime interface and backend selection."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.model.metadata import ModelMetadata


class InferenceRuntime(Protocol):
    meta: ModelMetadata
    backend: str

    def infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, M, T, V, C) float32 → (logits (N, K), embedding (N, D))."""


def load_runtime(path: str | Path, backend: str = "auto") -> InferenceRuntime:
    """Open a `.pt` checkpoint or an `.onnx` model with the requested backend ('auto' picks the fastest that works)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"model not found: {path}")
    if path.suffix == ".engine":
        from aclnet_core.runtime.tensorrt_runtime import TensorRTRuntime
        return TensorRTRuntime.from_engine_file(path)
    if path.suffix == ".onnx":
        try:
            from aclnet_core.runtime.select import load_onnx_runtime
        except ImportError:
            raise UserError("ONNX models need the ONNX runtime backends (aclnet_core.runtime.select)") from None
        return load_onnx_runtime(path, backend)
    if backend not in ("auto", "torch", "torch-cpu", "torch-cuda"):
        raise UserError(f"backend {backend!r} needs an .onnx model; {path.name} is a checkpoint")
    from aclnet_core.runtime.torch_runtime import TorchRuntime
    device = {"torch-cuda": "cuda", "torch-cpu": "cpu"}.get(backend, "auto")
    return TorchRuntime.from_checkpoint(path, device=device)
