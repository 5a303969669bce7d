"""Inference runtimes: one interface over torch, ONNX Runtime and TensorRT backends."""

from aclnet_core.runtime.base import InferenceRuntime, load_runtime

__all__ = ["InferenceRuntime", "load_runtime"]
