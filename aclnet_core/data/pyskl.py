"""Loader for PYSKL skeleton pickles.

Format: ``{'split': {name: [frame_dir, ...]}, 'annotations': [{'frame_dir', 'label', 'keypoint' (M, T, V, C),
'keypoint_score' (M, T, V) optional, 'total_frames'}, ...]}``. As in PYSKL, a sample may be named by 'filename'
instead of 'frame_dir', and a split keeps only its names that have an annotation (a note on stderr counts the rest).

Security: a pickle can run arbitrary code when it is loaded, so files are read with a restricted unpickler that
admits only numpy arrays and builtin containers (`aclnet_core.safe_load`); ``--trust-pickle`` lifts that for
files you trust.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError
from aclnet_core.safe_load import load_pickle
from aclnet_core.skeleton.layouts import get_layout

MAX_CLASSES = 100_000     # a larger label is a corrupt file (and would allocate per-class tables of that size)

__all__ = ["load_pyskl", "pyskl_label_names", "pyskl_sequences", "read_label_names_file", "read_pyskl"]


def read_pyskl(path: str | Path) -> dict:
    """Unpickle a PYSKL file (numpy data only unless trusted, see `aclnet_core.safe_load`) and check its top level."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"pyskl file not found: {path}")
    try:
        with path.open("rb") as f:
            data = load_pickle(f)
    except UserError:
        raise
    except MemoryError:
        raise UserError(f"{path}: not enough memory to load the pickle") from None
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
        raise UserError(f"{path}: not a readable pickle ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a dict with 'split' and 'annotations', got {type(data).__name__}")
    for key in ("split", "annotations"):
        if key not in data:
            raise UserError(f"{path}: missing key {key!r} (a pyskl file has 'split' and 'annotations')")
    if not isinstance(data["split"], dict):
        raise UserError(f"{path}: 'split' must map split names to lists of frame_dir")
    if not isinstance(data["annotations"], (list, tuple)):
        raise UserError(f"{path}: 'annotations' must be a list")
    return data


def _identifier(ann: dict) -> str | None:
    """An annotation's name: 'frame_dir', or 'filename' where a file names its samples that way (as PYSKL reads);
    None when it has neither."""
    for key in ("frame_dir", "filename"):
        if key in ann:
            return str(ann[key])
    return None


def _to_sequence(ann: object, layout_name: str, num_joints: int, source: str) -> SkeletonSequence:
    if not isinstance(ann, dict):
        raise UserError(f"{source}: an annotation is a {type(ann).__name__}, expected a dict")
    name = _identifier(ann)
    if name is None:
        raise UserError(f"{source}: an annotation has no 'frame_dir' (nor 'filename') to name it")
    for key in ("label", "keypoint"):
        if key not in ann:
            raise UserError(f"{source}: annotation {name!r} has no {key!r}")
    try:
        kp = np.asarray(ann["keypoint"], dtype=np.float32)
        label = int(ann["label"])
    except (TypeError, ValueError) as exc:
        raise UserError(f"{source}: annotation {name!r} is malformed ({exc})") from None
    if kp.ndim != 4 or kp.shape[-1] not in (2, 3):
        raise UserError(f"{source}: annotation {name!r} keypoint must be (M, T, V, 2|3), got {kp.shape}")
    if kp.shape[2] != num_joints:
        raise UserError(
            f"{source}: annotation {name!r} has {kp.shape[2]} joints but layout {layout_name} has {num_joints}"
        )
    if kp.shape[1] == 0:
        raise UserError(f"{source}: annotation {name!r} is empty (keypoint shape {kp.shape})")
    if not 0 <= label < MAX_CLASSES:
        raise UserError(f"{source}: annotation {name!r} has label {label}, outside 0..{MAX_CLASSES - 1}")
    score = ann.get("keypoint_score")
    if score is not None:
        score = np.asarray(score, dtype=np.float32)
        if score.shape != kp.shape[:3]:
            raise UserError(f"{source}: annotation {name!r} keypoint_score {score.shape} != {kp.shape[:3]}")
    if kp.shape[0] == 0:  # nobody detected in the clip (PYSKL pads it to zeros): one person, every joint missing
        kp = np.zeros((1, *kp.shape[1:]), np.float32)
        score = None if score is None else np.zeros(kp.shape[:3], np.float32)
    return SkeletonSequence(keypoint=kp, label=label, layout=layout_name, name=name, score=score)


def pyskl_sequences(data: dict, split: str, layout: str, source: str = "pyskl") -> list[SkeletonSequence]:
    """The sequences of one split of an already read pyskl dict ('all' = every annotation if no such split)."""
    lay = get_layout(layout)
    splits = data["split"]
    annotations = data["annotations"]
    if split in splits:
        wanted = [str(n) for n in splits[split]]
        by_name = {n: a for a in annotations if isinstance(a, dict) and (n := _identifier(a)) is not None}
        absent = [n for n in wanted if n not in by_name]
        if absent and len(absent) == len(wanted):
            raise UserError(f"{source}: none of the {len(wanted)} names of split {split!r} has an annotation, "
                            f"e.g. {absent[0]!r}")
        if absent:       # PYSKL keeps the split's names that have an annotation; say how many were dropped
            print(f"note: {source}: {len(absent)} of {len(wanted)} names of split {split!r} have no annotation "
                  f"and are skipped, e.g. {absent[0]!r}", file=sys.stderr)
        chosen = [by_name[n] for n in wanted if n in by_name]
    elif split == "all":
        chosen = list(annotations)
    else:
        available = ", ".join(sorted(map(str, splits))) or "none"
        raise UserError(f"{source}: unknown split {split!r}; available splits: {available}")
    if not chosen:
        raise UserError(f"{source}: split {split!r} is empty")
    sequences = [_to_sequence(a, lay.name, lay.num_joints, source) for a in chosen]
    nobody = [s.name for s in sequences if not s.keypoint.any()]
    if nobody:
        print(f"note: {source}: {len(nobody)} of {len(sequences)} samples of split {split!r} hold no detected "
              f"joint (kept, as all-missing skeletons), e.g. {nobody[0]!r}", file=sys.stderr)
    return sequences


def load_pyskl(path: str | Path, split: str, layout: str) -> list[SkeletonSequence]:
    """Load one split of a PYSKL pickle as sequences of ``layout``; UserError on any malformed input.

    Only load trusted files: unpickling can execute code.
    """
    return pyskl_sequences(read_pyskl(path), split, layout, source=str(path))


def read_label_names_file(path: str | Path) -> list[str]:
    """One label name per line (blank lines ignored)."""
    path = Path(path)
    try:
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read label names from {path}: {exc}") from None
    if not names:
        raise UserError(f"{path}: no label names in file")
    return names


def pyskl_label_names(data: dict, names: list[str] | None = None) -> list[str]:
    """Names for every label of the file: ``names`` (checked to cover every label), else the names the file holds
    (a top-level 'label_names'/'classes' list, or each annotation's 'label_name'), else 'class_0', 'class_1', …"""
    labels = []
    for ann in data["annotations"]:
        if isinstance(ann, dict) and "label" in ann:
            try:
                label = int(ann["label"])
            except (TypeError, ValueError, OverflowError):
                raise UserError(f"annotation {ann.get('frame_dir', '?')!r} has a malformed label "
                                f"{str(ann['label'])[:40]!r}") from None
            if not 0 <= label < MAX_CLASSES:
                raise UserError(f"annotation {ann.get('frame_dir', '?')!r} has label {label}, outside "
                                f"0..{MAX_CLASSES - 1}")
            labels.append(label)
    num_classes = max(labels, default=-1) + 1
    if names is None:
        names = _names_in_file(data, num_classes)
    if names is None:
        return [f"class_{i}" for i in range(num_classes)]
    if len(names) < num_classes:
        raise UserError(f"{len(names)} label names given but the data has labels up to {num_classes - 1}")
    return list(names)


def _names_in_file(data: dict, num_classes: int) -> list[str] | None:
    """Label names stored in the file itself, when they cover every label; else None."""
    for key in ("label_names", "classes"):
        stored = data.get(key)
        if isinstance(stored, (list, tuple)) and len(stored) >= num_classes and all(isinstance(n, str) for n in stored):
            return [str(n) for n in stored]
    by_label: dict[int, str] = {}
    for ann in data["annotations"]:
        if isinstance(ann, dict) and isinstance(ann.get("label_name"), str):
            by_label.setdefault(int(ann["label"]), ann["label_name"])
    if num_classes and len(by_label) == num_classes:
        return [by_label[i] for i in range(num_classes)]
    return None
