"""TensorRT backend: runs a serialized engine on its own CUDA stream with preallocated device buffers.

Device buffers are torch CUDA tensors (torch is on every GPU machine this app targets): the input and both outputs
are allocated once for the engine's max batch, and each call binds slices of them with `set_tensor_address`,
enqueues `execute_async_v3` on a torch CUDA stream and synchronises that stream only. Batches larger than the
engine's profile are run in chunks. TensorRT itself is imported through `import_tensorrt` (an optional extra).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.export.engine_cache import EngineCache
from aclnet_core.export.tensorrt_build import (
    INPUT_NAME,
    BackendUnavailable,
    BuildOptions,
    cuda_device_name,
    get_or_build_engine,
    import_tensorrt,
)
from aclnet_core.model.metadata import ModelMetadata

OUTPUT_NAMES = ("logits", "embedding")


def sidecar_path(engine_path: str | Path) -> Path:
    """`model.engine` → `model.engine.json` (metadata and cache key of a stand-alone engine file)."""
    engine_path = Path(engine_path)
    return engine_path.with_name(engine_path.name + ".json")


def _torch_dtype(trt, dtype):
    import torch
    table = {trt.DataType.FLOAT: torch.float32, trt.DataType.HALF: torch.float16, trt.DataType.INT32: torch.int32}
    if dtype not in table:
        raise BackendUnavailable(f"unsupported engine I/O type {dtype}")
    return table[dtype]


class TensorRTRuntime:
    """InferenceRuntime over a TensorRT engine (one execution context, one stream)."""

    backend = "tensorrt"

    def __init__(self, engine: bytes, meta: ModelMetadata, device: int = 0, precision: str = "") -> None:
        import torch
        trt = import_tensorrt()
        cuda_device_name(device)                      # BackendUnavailable without a GPU
        self.meta, self.precision, self.trt = meta, precision, trt
        self.device = torch.device("cuda", device)
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        self.engine = self._runtime.deserialize_cuda_engine(engine)
        if self.engine is None:
            raise BackendUnavailable("TensorRT could not deserialize the engine (built by another TensorRT or GPU?)")
        self.context = self.engine.create_execution_context()
        self.stream = torch.cuda.Stream(device=self.device)
        self.max_batch = int(self.engine.get_tensor_profile_shape(INPUT_NAME, 0)[2][0])
        self._sample_shape = tuple(meta.input_shape(1)[1:])
        self._buffers = {}
        for index in range(self.engine.num_io_tensors):
            name = self.engine.get_tensor_name(index)
            dtype = _torch_dtype(trt, self.engine.get_tensor_dtype(name))
            if name == INPUT_NAME:
                shape = (self.max_batch, *self._sample_shape)
            else:
                self.context.set_input_shape(INPUT_NAME, (self.max_batch, *self._sample_shape))
                shape = tuple(self.context.get_tensor_shape(name))
            self._buffers[name] = torch.empty(shape, dtype=dtype, device=self.device)
        missing = {INPUT_NAME, *OUTPUT_NAMES} - set(self._buffers)
        if missing:
            raise BackendUnavailable(f"the engine lacks tensors {', '.join(sorted(missing))}")

    @classmethod
    def from_onnx(cls, onnx_path: str | Path, precision: str = "fp16", max_batch: int = 64,
                  cache: EngineCache | None = None, calibration: np.ndarray | None = None) -> TensorRTRuntime:
        """Build (or fetch from the engine cache) an engine for an exported ONNX model and open it."""
        from aclnet_core.runtime.onnx_runtime import read_onnx_metadata
        meta = read_onnx_metadata(onnx_path)
        options = BuildOptions(precision=precision, max_batch=max_batch, calibration=calibration)
        engine_path, _, _ = get_or_build_engine(onnx_path, options, cache)
        return cls(engine_path.read_bytes(), meta, precision=precision)

    @classmethod
    def from_engine_file(cls, engine_path: str | Path) -> TensorRTRuntime:
        """Open a stand-alone engine written by `main.py export --format tensorrt` (needs its .json sidecar)."""
        engine_path, sidecar = Path(engine_path), sidecar_path(engine_path)
        if not engine_path.is_file():
            raise UserError(f"engine not found: {engine_path}")
        try:
            info = json.loads(sidecar.read_text())
            meta = ModelMetadata.from_dict(info["meta"])
        except (OSError, ValueError, KeyError, TypeError):
            raise UserError(f"{engine_path}: missing or unreadable metadata file {sidecar.name}") from None
        return cls(engine_path.read_bytes(), meta, precision=info.get("key", {}).get("precision", ""))

    def infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 5 or x.shape[1:] != self._sample_shape:
            raise UserError(f"model input must be (N, {', '.join(map(str, self._sample_shape))}), got {x.shape}")
        parts = [self._run(x[i:i + self.max_batch]) for i in range(0, len(x), self.max_batch)]
        if len(parts) == 1:
            return parts[0]
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(2))  # type: ignore[return-value]

    def _run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch
        n = len(x)
        with torch.cuda.stream(self.stream):
            source = torch.from_numpy(x)
            if self.device.type == "cuda":
                source = source.pin_memory()
            staged = self._buffers[INPUT_NAME][:n]
            staged.copy_(source, non_blocking=True)
            self.context.set_input_shape(INPUT_NAME, tuple(staged.shape))
            for name, buffer in self._buffers.items():
                self.context.set_tensor_address(name, int(buffer.data_ptr()))
            if not self.context.execute_async_v3(self.stream.cuda_stream):
                raise RuntimeError("TensorRT execution failed")
            outputs = [self._buffers[name][:n].float().to("cpu", non_blocking=True) for name in OUTPUT_NAMES]
        self.stream.synchronize()
        return outputs[0].numpy(), outputs[1].numpy()
