"""PyTorch backend (CPU or CUDA, FP16 on CUDA). On the CPU it runs `traced_for_inference(model)`: the
same function with BN folded and the 1×1 convolutions as matrix products, traced per input shape
(docs/RESULTS.md, "Encoder speed")."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from aclnet_core.errors import UserError
from aclnet_core.model.checkpoint import model_from_checkpoint
from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.metadata import ModelMetadata

TRACE_ENV = "ACLNET_TORCH_TRACE"     # 0: run the fast form eagerly, without TorchScript traces


class TorchRuntime:
    def __init__(self, model: ACLNet, meta: ModelMetadata, device: str = "auto", half: bool | None = None) -> None:
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cuda" and not torch.cuda.is_available():
            raise UserError("backend torch-cuda asked for, but torch sees no CUDA device")
        self.device = torch.device(device)
        self.half = (self.device.type == "cuda") if half is None else half
        self.model = model.to(self.device).eval()
        if self.half:
            self.model = self.model.half()
        self.meta = meta
        self.backend = f"torch-{self.device.type}" + ("-fp16" if self.half else "")
        self._forward = self.model.inference_forward
        if self.device.type == "cpu" and not self.half:
            from aclnet_core.model.fast_inference import fuse_for_inference, traced_for_inference
            trace = os.environ.get(TRACE_ENV, "1").strip() != "0"
            # the batch-1 window is traced now (about 0.5 s): the live app's common case; other batches run eagerly
            self._forward = (traced_for_inference(self.model, meta.input_shape(1)) if trace
                             else fuse_for_inference(self.model))

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto") -> TorchRuntime:
        model, meta = model_from_checkpoint(path)
        return cls(model, meta, device)

    @torch.inference_mode()
    def infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
        if self.half:
            t = t.half()
        logits, embedding = self._forward(t)
        return logits.float().cpu().numpy(), embedding.float().cpu().numpy()
