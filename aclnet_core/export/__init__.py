"""Deployment: ONNX export (onnx_export), the ONNX-TensorRT op list (trt_ops), graph rewrites (graph_passes),
TensorRT engine builds (tensorrt_build, calibration) and their cache (engine_cache). TensorRT is optional.

Submodules are imported explicitly (torch, onnx and tensorrt are heavy); nothing is re-exported here.
"""
