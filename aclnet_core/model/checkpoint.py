"""Checkpoint files: save atomically, load with clear errors, build the model they describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from aclnet_core.errors import UserError
from aclnet_core.io_utils import atomic_write, check_not_input
from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.metadata import ModelMetadata
from aclnet_core.safe_load import load_torch_file


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write `payload` (must hold 'meta' and 'model') so the file is complete or absent."""
    if "meta" not in payload or "model" not in payload:
        raise ValueError("a checkpoint needs 'meta' and 'model'")
    with atomic_write(path) as tmp:
        try:
            torch.save(payload, tmp)
        except RuntimeError as exc:        # torch reports a failed write (disk full…) as a RuntimeError
            raise OSError(f"the write failed, disk full? ({str(exc).strip().splitlines()[0][:80]})") from None


def load_checkpoint(path: str | Path, full: bool = False) -> dict[str, Any]:
    """Load a checkpoint; `full=False` keeps only what inference needs (meta + model weights)."""
    path = Path(path)
    payload = load_torch_file(path)      # weights_only=True: no code in the file runs
    if not isinstance(payload, dict) or "meta" not in payload or "model" not in payload:
        raise UserError(f"{path} is not an ACLNet checkpoint (no 'meta'/'model')")
    if not isinstance(payload["meta"], dict) or not isinstance(payload["model"], dict):
        raise UserError(f"{path} is not an ACLNet checkpoint ('meta' and 'model' must be dicts)")
    payload["meta"] = ModelMetadata.from_dict(payload["meta"])
    if not full:
        payload = {"meta": payload["meta"], "model": payload["model"]}
    return payload


def release_checkpoint(src: str | Path, dst: str | Path, notes: dict[str, Any] | None = None) -> Path:
    """Write a deployable copy of a training checkpoint: weights, metadata (with `notes` added to its `extra`)
    and the training config, without optimizer, scheduler, loss or RNG state. Returns `dst`."""
    import dataclasses

    check_not_input(dst, [src])
    payload = load_checkpoint(src, full=True)
    meta = payload["meta"]
    meta = dataclasses.replace(meta, extra={**meta.extra, **(notes or {})})
    released = {"meta": meta.to_dict(), "model": payload["model"]}
    if "config" in payload:
        released["config"] = payload["config"]
    if "epoch" in payload:
        released["meta"]["extra"].setdefault("epoch", int(payload["epoch"]))
    save_checkpoint(dst, released)
    return Path(dst)


def build_model(meta: ModelMetadata) -> ACLNet:
    return ACLNet(meta.num_classes, meta.num_joints, meta.in_channels, meta.preset)


def model_from_checkpoint(path: str | Path) -> tuple[ACLNet, ModelMetadata]:
    """The model in eval mode with its weights, and its metadata."""
    payload = load_checkpoint(path)
    meta = payload["meta"]
    model = build_model(meta)
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise UserError(f"{path}: weights do not match the metadata ({first})") from None
    return model.eval(), meta
