"""INT8 calibration data for TensorRT: prepared skeleton clips and an IInt8EntropyCalibrator2 that feeds them.

Clips come from the app's `.npz` recordings (read with aclnet_core.data.recording and prepared with the model's own
PreprocessConfig, exactly as the live app does) or from a `.npy` / `.npz` array of already prepared clips
(K, M, T, V, C). The calibrator copies each batch into one torch CUDA tensor and hands TensorRT its pointer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.io_utils import atomic_write
from aclnet_core.model.metadata import ModelMetadata

ARRAY_KEYS = ("clips", "x", "data")        # keys tried in a .npz of prepared clips


def _check_clips(clips: np.ndarray, meta: ModelMetadata, source: str) -> np.ndarray:
    clips = np.ascontiguousarray(clips, dtype=np.float32)
    expected = meta.input_shape(1)[1:]
    if clips.ndim != 5 or clips.shape[1:] != expected:
        wanted = ", ".join(map(str, expected))
        raise UserError(f"{source}: calibration clips have shape {clips.shape}, the model needs (K, {wanted})")
    if not np.isfinite(clips).all():
        raise UserError(f"{source}: calibration clips hold NaN or inf values")
    return clips


def _array_file(path: Path) -> np.ndarray | None:
    """Prepared clips stored as an array, or None when `path` is a recording."""
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    with np.load(path, allow_pickle=False) as npz:
        if "keypoint" in npz.files:
            return None
        for key in ARRAY_KEYS:
            if key in npz.files:
                return np.asarray(npz[key])
    raise UserError(f"{path}: neither a recording (keypoint) nor prepared clips ({', '.join(ARRAY_KEYS)})")


def load_calibration_clips(sources: np.ndarray | Sequence[str | Path] | str | Path, meta: ModelMetadata,
                           limit: int = 512, seed: int = 0) -> np.ndarray:
    """(K, M, T, V, C) float32 clips for INT8 calibration, K <= limit (a seeded random subset when more)."""
    if isinstance(sources, np.ndarray):
        clips = _check_clips(sources, meta, "calibration array")
    else:
        paths = [Path(sources)] if isinstance(sources, (str, Path)) else [Path(p) for p in sources]
        files: list[Path] = []
        for path in paths:
            if path.is_dir():
                files += sorted(p for p in path.rglob("*") if p.suffix in (".npz", ".npy"))
            elif path.is_file():
                files.append(path)
            else:
                raise UserError(f"calibration data not found: {path}")
        if not files:
            raise UserError(f"no .npz/.npy calibration files in {', '.join(map(str, paths))}")
        parts = []
        for path in files:
            try:
                array = _array_file(path)
            except (OSError, ValueError) as exc:
                raise UserError(f"{path}: not a readable calibration file ({type(exc).__name__})") from None
            parts.append(_clip_from_recording(path, meta) if array is None else _check_clips(array, meta, str(path)))
        clips = np.concatenate(parts)
    if len(clips) == 0:
        raise UserError("no calibration clips")
    if len(clips) > limit:
        clips = clips[np.sort(np.random.default_rng(seed).choice(len(clips), limit, replace=False))]
    return clips


def _clip_from_recording(path: Path, meta: ModelMetadata) -> np.ndarray:
    from aclnet_core.data.preprocess import prepare_clip
    from aclnet_core.data.recording import load_recording
    seq = load_recording(path).sequence
    if seq.layout != meta.layout:
        raise UserError(f"{path}: recording layout {seq.layout} but the model expects {meta.layout}")
    clip = prepare_clip(seq.keypoint, meta.preprocess_config(), seq.score)
    return _check_clips(clip[None], meta, str(path))


class ClipBatcher:
    """Full batches of `batch` clips in order, then None (TensorRT's end-of-data signal)."""

    def __init__(self, clips: np.ndarray, batch: int) -> None:
        if batch < 1 or len(clips) < batch:
            raise ValueError(f"need at least one batch of {batch} clips, have {len(clips)}")
        self.clips = np.ascontiguousarray(clips, dtype=np.float32)
        self.batch = batch
        self.position = 0

    def __len__(self) -> int:
        return len(self.clips) // self.batch

    def next(self) -> np.ndarray | None:
        if self.position + self.batch > len(self.clips):
            return None
        chunk = self.clips[self.position:self.position + self.batch]
        self.position += self.batch
        return chunk


def make_entropy_calibrator(trt: ModuleType, clips: np.ndarray, batch: int, cache_file: str | Path | None = None):
    """An IInt8EntropyCalibrator2 over `clips`; device memory is one torch CUDA tensor reused for every batch."""
    import torch

    class EntropyCalibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self) -> None:
            trt.IInt8EntropyCalibrator2.__init__(self)
            self.batcher = ClipBatcher(clips, batch)
            self.device_input = torch.empty((batch, *clips.shape[1:]), dtype=torch.float32, device="cuda")
            self.cache_file = Path(cache_file) if cache_file else None

        def get_batch_size(self) -> int:
            return batch

        def get_batch(self, names):  # one input: `names` is always ['skeleton']
            chunk = self.batcher.next()
            if chunk is None:
                return None
            self.device_input.copy_(torch.from_numpy(chunk))
            torch.cuda.synchronize()
            return [int(self.device_input.data_ptr())]

        def read_calibration_cache(self):
            if self.cache_file is not None and self.cache_file.is_file():
                return self.cache_file.read_bytes()
            return None

        def write_calibration_cache(self, cache) -> None:
            if self.cache_file is not None:
                with atomic_write(self.cache_file) as tmp:
                    tmp.write_bytes(bytes(cache))

    return EntropyCalibrator()
