"""Recordings folders without train/val subfolders: split by source video, and resample to one frame rate.

`record` (and the GUI's recorder) name a file `<video stem>-<YYYYmmdd-HHMMSS>-track<N>.npz`. Clips of one video
are correlated (same person, place, light), so a folder is split by video: every recording of a video lands on
the same side. Each action keeps at least one video for training; an action recorded from a single video has
none held out. The split is seeded and does not depend on the order of files on disk.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["RecordingSplit", "resample_time", "source_of", "split_by_source"]

_TRACK = re.compile(r"-track\d+$")
_STAMP = re.compile(r"-\d{8}-\d{6}$")
_CAMERA = re.compile(r"^camera\d+$")


def source_of(path: str | Path) -> str:
    """The video a recording came from: its file stem without the track number (and without the time stamp,
    except for cameras, where the time stamp is what tells two sessions apart)."""
    stem = _TRACK.sub("", Path(path).stem)
    bare = _STAMP.sub("", stem)
    return stem if _CAMERA.match(bare) else bare


@dataclass(frozen=True)
class RecordingSplit:
    train: list[int]  # indices into the files
    val: list[int]
    held_out: bool  # False: no video could be held out, val is the training set


def split_by_source(files: Sequence[str | Path], labels: Sequence[str], seed: int = 0,
                    val_fraction: float = 0.2) -> RecordingSplit:
    """Hold out about `val_fraction` of each action's videos (never its last one) for validation."""
    groups: dict[str, list[int]] = {}
    for i, path in enumerate(files):
        groups.setdefault(source_of(path), []).append(i)
    by_label: dict[str, list[str]] = {}
    for source in sorted(groups):
        label = Counter(labels[i] for i in groups[source]).most_common(1)[0][0]
        by_label.setdefault(label, []).append(source)
    rng = np.random.default_rng(seed)
    val_sources: set[str] = set()
    for label in sorted(by_label):
        sources = list(by_label[label])
        rng.shuffle(sources)
        n_val = min(len(sources) - 1, int(np.floor(len(sources) * val_fraction + 0.5)))
        if n_val == 0 and len(sources) >= 3:
            n_val = 1
        val_sources.update(sources[:n_val])
    val = sorted(i for s in val_sources for i in groups[s])
    train = sorted(i for s in groups if s not in val_sources for i in groups[s])
    if not val:
        return RecordingSplit(train, list(train), False)
    return RecordingSplit(train, val, True)


def resample_time(keypoint: np.ndarray, score: np.ndarray | None, fps_from: float,
                  fps_to: float) -> tuple[np.ndarray, np.ndarray | None]:
    """(M, T, V, C) at `fps_from` -> the same span at `fps_to` (linear interpolation along T)."""
    num = keypoint.shape[1]
    if num < 2 or abs(fps_from - fps_to) < 1e-9:
        return keypoint, score
    src = np.arange(num) / fps_from
    dst = np.arange(int(np.floor(src[-1] * fps_to + 1e-6)) + 1) / fps_to

    def interp(a: np.ndarray) -> np.ndarray:
        flat = np.moveaxis(a, 1, -1).reshape(-1, num)
        out = np.stack([np.interp(dst, src, row) for row in flat])
        return np.moveaxis(out.reshape(a.shape[:1] + a.shape[2:] + (len(dst),)), -1, 1).astype(np.float32)

    return interp(keypoint), None if score is None else interp(score)
