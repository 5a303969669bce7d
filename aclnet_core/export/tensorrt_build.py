"""Build TensorRT engines from the exported ONNX model with the TensorRT Python API (an optional extra).

Every `tensorrt` import goes through `import_tensorrt()`, so this module imports fine without it. An engine is
built with an explicit batch dimension and one optimisation profile over batch 1 … max_batch (opt = max_batch/2),
in FP16 (default), FP32 or INT8 (entropy-calibrated from skeleton clips, see calibration.py). Engines land in the
EngineCache; `get_or_build_engine` only builds on a cache miss.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import onnx

from aclnet_core.errors import UserError
from aclnet_core.export.engine_cache import EngineCache, EngineKey, file_sha256

log = logging.getLogger(__name__)

PRECISIONS = ("fp16", "fp32", "int8")
INPUT_NAME = "skeleton"
TENSORRT_HINT = "install the optional extra (pip install 'aclnet-live[tensorrt]') on a machine with an NVIDIA GPU"


class BackendUnavailable(UserError):
    """A backend cannot run here (missing package, no GPU, failed build); the message says why, on one line.

    A UserError, so an explicitly requested backend that cannot run ends the CLI with that one line."""


def import_tensorrt() -> ModuleType:
    """The `tensorrt` module, or BackendUnavailable naming what is missing."""
    try:
        import tensorrt
    except ImportError as exc:
        raise BackendUnavailable(f"tensorrt is not installed ({exc.msg}); {TENSORRT_HINT}") from None
    except OSError as exc:          # the wheel is there but libnvinfer / CUDA libraries are not
        raise BackendUnavailable(f"tensorrt cannot load its libraries ({exc})") from None
    return tensorrt


def cuda_device_name(device: int = 0) -> str:
    """The GPU's name as torch reports it; BackendUnavailable without a CUDA device."""
    try:
        import torch
    except ImportError:
        raise BackendUnavailable("torch is needed for CUDA device buffers") from None
    if not torch.cuda.is_available():
        raise BackendUnavailable("no CUDA GPU is visible (torch.cuda.is_available() is False)")
    return torch.cuda.get_device_name(device)


@dataclass
class BuildOptions:
    precision: str = "fp16"
    max_batch: int = 64
    workspace_mb: int = 1024
    calibration: np.ndarray | None = None     # (K, M, T, V, C) float32 clips, INT8 only
    calib_batch: int = 16

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise UserError(f"unknown precision {self.precision!r}; choose one of {', '.join(PRECISIONS)}")
        if int(self.max_batch) < 1:
            raise UserError(f"max batch must be >= 1, got {self.max_batch}")
        if self.precision == "int8" and (self.calibration is None or len(self.calibration) == 0):
            raise UserError("INT8 needs calibration clips (--calib recordings or a .npy of prepared clips)")

    def calib_id(self) -> str:
        if self.precision != "int8" or self.calibration is None:
            return ""
        return hashlib.sha256(np.ascontiguousarray(self.calibration, np.float32).tobytes()).hexdigest()[:16]


def onnx_input_shape(onnx_path: str | Path) -> tuple[int, ...]:
    """The static (M, T, V, C) part of the model input 'skeleton' (the batch axis is dynamic)."""
    model = onnx.load(str(onnx_path), load_external_data=False)
    for graph_input in model.graph.input:
        if graph_input.name == INPUT_NAME:
            dims = graph_input.type.tensor_type.shape.dim
            return tuple(int(d.dim_value) for d in dims[1:])
    raise UserError(f"{onnx_path} has no input named {INPUT_NAME!r}")


def profile_shapes(sample_shape: tuple[int, ...], max_batch: int) -> tuple[tuple[int, ...], ...]:
    """(min, opt, max) input shapes: batch 1, max_batch/2 (at least 1), max_batch."""
    opt = max(1, max_batch // 2)
    return tuple((b, *sample_shape) for b in (1, opt, max_batch))


def build_engine(onnx_path: str | Path, options: BuildOptions, trt: ModuleType | None = None) -> bytes:
    """Parse the ONNX file and build a serialized engine; BackendUnavailable with the parser/builder errors."""
    trt = trt or import_tensorrt()
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    explicit = getattr(trt.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH", None)
    if explicit is not None and _major(trt.__version__) < 10:      # TensorRT 10 is always explicit-batch
        flags |= 1 << int(explicit)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(Path(onnx_path).read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise BackendUnavailable(f"TensorRT cannot parse {Path(onnx_path).name}: {errors or 'unknown error'}")

    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(options.workspace_mb) << 20)
    sample_shape = onnx_input_shape(onnx_path)
    shape_min, shape_opt, shape_max = profile_shapes(sample_shape, int(options.max_batch))
    profile = builder.create_optimization_profile()
    profile.set_shape(INPUT_NAME, shape_min, shape_opt, shape_max)
    config.add_optimization_profile(profile)
    if options.precision in ("fp16", "int8"):
        config.set_flag(trt.BuilderFlag.FP16)          # INT8 layers TensorRT cannot quantise fall back to FP16
    if options.precision == "int8":
        from aclnet_core.export.calibration import make_entropy_calibrator
        config.set_flag(trt.BuilderFlag.INT8)
        calib_batch = min(int(options.calib_batch), int(options.max_batch), len(options.calibration))
        config.int8_calibrator = make_entropy_calibrator(trt, options.calibration, calib_batch)
        if hasattr(config, "set_calibration_profile"):
            # TensorRT calibrates at the calibration profile's opt shape: pin it to the calibration batch.
            calib_profile = builder.create_optimization_profile()
            calib_shape = (calib_batch, *sample_shape)
            calib_profile.set_shape(INPUT_NAME, calib_shape, calib_shape, calib_shape)
            config.set_calibration_profile(calib_profile)
    log.info("building TensorRT %s engine for %s (batch 1..%d); this takes a while once, then it is cached",
             options.precision, Path(onnx_path).name, options.max_batch)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise BackendUnavailable("TensorRT failed to build the engine (see the TensorRT log above)")
    return bytes(serialized)


def engine_key(onnx_path: str | Path, options: BuildOptions, trt_version: str, gpu_name: str) -> EngineKey:
    return EngineKey(file_sha256(onnx_path), trt_version, gpu_name, options.precision, int(options.max_batch),
                     options.calib_id())


def get_or_build_engine(onnx_path: str | Path, options: BuildOptions, cache: EngineCache | None = None,
                        trt: ModuleType | None = None, gpu_name: str | None = None) -> tuple[Path, EngineKey, bool]:
    """(engine path, its key, cache hit?) for this ONNX file, TensorRT version, GPU and precision."""
    trt = trt or import_tensorrt()
    gpu_name = gpu_name if gpu_name is not None else cuda_device_name()
    key = engine_key(onnx_path, options, str(trt.__version__), gpu_name)
    cache = cache or EngineCache()
    path, hit = cache.get_or_build(key, lambda: build_engine(onnx_path, options, trt))
    log.info("TensorRT engine %s (%s)", path, "cached" if hit else "built")
    return path, key, hit


def _major(version: str) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return 0
