"""The app's recording format: one ``.npz`` per sequence.

Keys: ``keypoint`` (M, T, V, C) float32, ``score`` (M, T, V) optional, ``label_name`` (str), ``layout`` (str),
``fps`` (float). Files are written atomically and read with ``allow_pickle=False`` (safe for untrusted files).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError
from aclnet_core.io_utils import atomic_write
from aclnet_core.skeleton.layouts import get_layout

__all__ = ["Recording", "load_recording", "load_recordings", "recording_files", "save_recording"]


@dataclass
class Recording:
    """One recording file as read: the sequence (label -1), its label name and frame rate."""

    sequence: SkeletonSequence
    label_name: str
    fps: float


def save_recording(path: str | Path, seq: SkeletonSequence, label_name: str, fps: float) -> Path:
    """Write ``seq`` atomically as ``path`` (.npz is appended when missing); returns the final path."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    layout = get_layout(seq.layout)
    if seq.keypoint.shape[2] != layout.num_joints:
        raise UserError(f"sequence has {seq.keypoint.shape[2]} joints but layout {layout.name} has {layout.num_joints}")
    if not (np.isfinite(fps) and fps > 0):
        raise UserError(f"fps must be a positive number, got {fps}")
    arrays = {
        "keypoint": np.asarray(seq.keypoint, dtype=np.float32),
        "label_name": np.asarray(str(label_name)),
        "layout": np.asarray(layout.name),
        "fps": np.asarray(float(fps)),
    }
    if seq.score is not None:
        arrays["score"] = np.asarray(seq.score, dtype=np.float32)
    with atomic_write(path) as tmp, tmp.open("wb") as f:
        np.savez_compressed(f, **arrays)
    return path


def load_recording(path: str | Path) -> Recording:
    """Read one recording; the sequence's label is -1 (labels are assigned by :func:`load_recordings`)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"recording not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in ("keypoint", "label_name", "layout", "fps") if k not in npz.files]
            if missing:
                raise UserError(f"{path}: not a recording, missing {', '.join(missing)}")
            kp = np.asarray(npz["keypoint"], dtype=np.float32)
            score = np.asarray(npz["score"], dtype=np.float32) if "score" in npz.files else None
            label_name, layout_name, fps = str(npz["label_name"]), str(npz["layout"]), float(npz["fps"])
    except UserError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise UserError(f"{path}: not a readable .npz recording ({type(exc).__name__})") from None
    if not (np.isfinite(fps) and fps > 0):
        raise UserError(f"{path}: fps must be a positive number, got {fps}")
    layout = get_layout(layout_name)
    if kp.ndim != 4 or kp.shape[2] != layout.num_joints or kp.shape[1] == 0:
        raise UserError(f"{path}: keypoint {kp.shape} is not (M, T>0, {layout.num_joints}, C) for {layout.name}")
    seq = SkeletonSequence(keypoint=kp, label=-1, layout=layout.name, name=path.stem, score=score)
    return Recording(seq, label_name, fps)


def recording_files(dir_or_files: str | Path | Iterable[str | Path]) -> list[Path]:
    """A folder (its ``*.npz``, sorted, recursively) or an explicit list of files."""
    if isinstance(dir_or_files, (str, Path)):
        root = Path(dir_or_files)
        if root.is_dir():
            files = sorted(root.rglob("*.npz"))
        elif root.is_file():
            files = [root]
        else:
            raise UserError(f"recordings not found: {root}")
    else:
        files = [Path(p) for p in dir_or_files]
    if not files:
        raise UserError(f"no .npz recordings in {dir_or_files}")
    return files


def load_recordings(
    dir_or_files: str | Path | Iterable[str | Path],
    label_names: Sequence[str] | None = None,
    layout: str | None = None,
    fps: float | None = None,
) -> tuple[list[SkeletonSequence], list[str]]:
    """Load recordings; labels index ``label_names`` (default: the sorted distinct label names found).

    All files must share one layout (``layout`` when given). With ``fps`` every recording is resampled from its
    own frame rate to that one.
    """
    records = [load_recording(p) for p in recording_files(dir_or_files)]
    if fps is not None:
        from aclnet_core.data.recording_split import resample_time

        for r in records:
            r.sequence.keypoint, r.sequence.score = resample_time(r.sequence.keypoint, r.sequence.score, r.fps, fps)
            r.fps = float(fps)
    layouts = sorted({r.sequence.layout for r in records})
    if layout is not None:
        layout = get_layout(layout).name
        if layouts != [layout]:
            raise UserError(f"recordings have layout {', '.join(layouts)} but {layout} was requested")
    elif len(layouts) > 1:
        raise UserError(f"recordings mix layouts: {', '.join(layouts)}")
    names = sorted({r.label_name for r in records}) if label_names is None else list(label_names)
    index = {n: i for i, n in enumerate(names)}
    unknown = sorted({r.label_name for r in records} - set(index))
    if unknown:
        raise UserError(f"recordings use labels not in the label list: {', '.join(unknown)}")
    sequences = []
    for r in records:
        r.sequence.label = index[r.label_name]
        sequences.append(r.sequence)
    return sequences, names
