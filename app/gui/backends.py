"""Which inference backends this machine can run, and what to install for the others (the Settings list)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class BackendChoice:
    name: str
    available: bool
    hint: str = ""  # why it is not available / what to install


def _torch_cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001 - a broken torch means no CUDA
        return False


def backend_choices() -> list[BackendChoice]:
    """Every backend of app.gui.settings.BACKENDS with whether it can run here."""
    from aclnet_core.runtime.select import available_onnx_providers

    providers = set(available_onnx_providers())
    has_ort = bool(providers)
    has_trt = importlib.util.find_spec("tensorrt") is not None
    has_torch = importlib.util.find_spec("torch") is not None
    gpu_hint = 'needs ONNX Runtime with CUDA: pip install ".[gpu]" (uninstall onnxruntime first) and an NVIDIA GPU'
    return [
        BackendChoice("auto", True, "the fastest available: TensorRT → ONNX Runtime CUDA → ONNX Runtime CPU → torch"),
        BackendChoice("tensorrt", has_trt, "" if has_trt else
                      'needs TensorRT: pip install --extra-index-url https://pypi.nvidia.com ".[tensorrt]"'),
        BackendChoice("onnxruntime-trt", "TensorrtExecutionProvider" in providers,
                      "" if "TensorrtExecutionProvider" in providers else gpu_hint + " with TensorRT"),
        BackendChoice("onnxruntime-cuda", "CUDAExecutionProvider" in providers,
                      "" if "CUDAExecutionProvider" in providers else gpu_hint),
        BackendChoice("onnxruntime-cpu", has_ort, "" if has_ort else "needs onnxruntime: pip install onnxruntime"),
        BackendChoice("torch", has_torch, "" if has_torch else "needs torch"),
        BackendChoice("torch-cpu", has_torch, "" if has_torch else "needs torch"),
        BackendChoice("torch-cuda", has_torch and _torch_cuda(),
                      "" if has_torch and _torch_cuda() else "needs a CUDA build of torch and an NVIDIA GPU"),
    ]
