"""One entry point for every dataset kind: ``load_dataset(DatasetSpec) -> LoadedDataset``.

Kinds: 'pyskl' (PYSKL pickle, trusted files only), 'nw_ucla' (json folder), 'recordings' (the app's .npz
files) and 'synthetic' (generated: ``aclnet_core.data.synthetic_dataset.load_synthetic_split``, the trainer's
loader). ``load_dataset`` returns a ``LoadedDataset`` named
tuple, so ``sequences, label_names = load_dataset(spec)`` works.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, NamedTuple

from aclnet_core.data.nw_ucla import load_nw_ucla, nw_ucla_label_names
from aclnet_core.data.pyskl import pyskl_label_names, pyskl_sequences, read_label_names_file, read_pyskl
from aclnet_core.data.recording import load_recordings
from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError

__all__ = ["DATASET_KINDS", "DatasetSpec", "LoadedDataset", "load_dataset", "relabel", "split_by"]

DATASET_KINDS = ("pyskl", "nw_ucla", "recordings", "synthetic")


# kind-specific settings accepted in DatasetSpec.options
OPTIONS: dict[str, dict[str, str]] = {
    "pyskl": {"label_names_file": "a file with one label name per line"},
    "nw_ucla": {
        "label_by": "'action' (default) or 'subject'",
        "actions": "keep only these 0-based action labels, e.g. [3] = walk around",
        "views": "override the split's camera views, e.g. [1, 2]",
    },
    "recordings": {"label_names_file": "a file with one label name per line",
                   "fps": "resample every recording to this frame rate (what the model's windows sample)",
                   "split_seed": "seed of the split by source video of a folder without split subfolders",
                   "val_fraction": "share of each action's videos held out for validation (default 0.2)"},
    "synthetic": {},  # passed through to the synthetic loader as is
}


@dataclass(frozen=True)
class DatasetSpec:
    kind: str  # 'pyskl' | 'nw_ucla' | 'recordings' | 'synthetic'
    path: str | None = None  # file (pyskl), folder (nw_ucla, recordings)
    split: str = "train"  # pyskl: a key of 'split' (or 'all'); nw_ucla: train|val|all|view1..3; recordings: subfolder|all
    layout: str | None = None  # required for pyskl; nw_ucla is kinect20; recordings: checked when given
    label_names: tuple[str, ...] | None = None  # explicit label list (index = label)
    options: dict[str, Any] = field(default_factory=dict, hash=False)  # kind-specific, see OPTIONS

    def __post_init__(self) -> None:
        if self.kind not in DATASET_KINDS:
            raise UserError(f"unknown dataset kind {self.kind!r}; known kinds: {', '.join(DATASET_KINDS)}")
        if self.label_names is not None and not isinstance(self.label_names, tuple):
            object.__setattr__(self, "label_names", tuple(str(n) for n in self.label_names))
        if not isinstance(self.options, dict):
            raise UserError(f"dataset options must be a mapping, got {type(self.options).__name__}")
        known = OPTIONS[self.kind]
        unknown = sorted(set(self.options) - set(known)) if self.kind != "synthetic" else []
        if unknown:
            hint = ", ".join(known) or "none"
            raise UserError(f"unknown {self.kind} dataset option {unknown[0]!r}; known options: {hint}")

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["label_names"] = None if self.label_names is None else list(self.label_names)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DatasetSpec:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise UserError(f"unknown dataset settings: {', '.join(sorted(unknown))}")
        if "kind" not in d:
            raise UserError("dataset settings need a 'kind'")
        return cls(**{**d, "options": dict(d.get("options") or {})})


class LoadedDataset(NamedTuple):
    """Unpacks as ``sequences, label_names = load_dataset(spec)``."""

    sequences: list[SkeletonSequence]
    label_names: list[str]

    @property
    def layout(self) -> str:
        return self.sequences[0].layout if self.sequences else ""


def _explicit_names(spec: DatasetSpec) -> list[str] | None:
    names_file = spec.option("label_names_file")
    if spec.label_names is not None and names_file is not None:
        raise UserError("give label_names or the label_names_file option, not both")
    if names_file is not None:
        return read_label_names_file(names_file)
    return None if spec.label_names is None else list(spec.label_names)


def _need_path(spec: DatasetSpec) -> Path:
    if not spec.path:
        raise UserError(f"dataset kind {spec.kind!r} needs a path")
    return Path(spec.path)


def _load_pyskl(spec: DatasetSpec) -> LoadedDataset:
    if spec.layout is None:
        raise UserError("a pyskl dataset needs a layout (e.g. ntu25, coco17)")
    path = _need_path(spec)
    data = read_pyskl(path)
    sequences = pyskl_sequences(data, spec.split, spec.layout, source=str(path))
    return LoadedDataset(sequences, pyskl_label_names(data, _explicit_names(spec)))


def _load_nw_ucla(spec: DatasetSpec) -> LoadedDataset:
    if spec.layout not in (None, "kinect20"):
        raise UserError(f"NW-UCLA skeletons are kinect20, not {spec.layout}")
    label_by = spec.option("label_by", "action")
    sequences = load_nw_ucla(_need_path(spec), spec.split, spec.option("views"), label_by, spec.option("actions"))
    default = nw_ucla_label_names(label_by)
    names = _explicit_names(spec) or default
    if len(names) != len(default):
        raise UserError(f"NW-UCLA labelled by {label_by} needs {len(default)} label names, got {len(names)}")
    return LoadedDataset(sequences, names)


SPLIT_FOLDERS = ("train", "val", "test")


def _load_recordings(spec: DatasetSpec) -> LoadedDataset:
    """A split subfolder when the folder has them; else the folder split by source video (recording_split)."""
    root = _need_path(spec)
    fps = spec.option("fps")
    if fps is not None and not (isinstance(fps, (int, float)) and 0 < fps < 1e4):
        raise UserError(f"recordings option fps must be a positive number, not {fps!r}")
    auto_split = False
    if spec.split not in ("all", "") and root.is_dir():
        if (root / spec.split).is_dir():
            root = root / spec.split
        elif any((root / s).is_dir() for s in SPLIT_FOLDERS):
            raise UserError(f"no {spec.split!r} subfolder in {root} (use split 'all' for the whole folder)")
        else:
            auto_split = True
    sequences, names = load_recordings(root, _explicit_names(spec), spec.layout, fps)
    if auto_split:
        from aclnet_core.data.recording import recording_files
        from aclnet_core.data.recording_split import split_by_source

        fraction = float(spec.option("val_fraction", 0.2))
        if not 0 <= fraction < 1:
            raise UserError(f"recordings option val_fraction must be in [0, 1), not {fraction}")
        split = split_by_source(recording_files(root), [names[s.label] for s in sequences],
                                int(spec.option("split_seed", 0)), fraction)
        chosen = split.train if spec.split == "train" else split.val
        sequences = [sequences[i] for i in chosen]
    return LoadedDataset(sequences, names)


def _load_synthetic(spec: DatasetSpec) -> LoadedDataset:
    """The generator's split, as the trainer loads it (options: aclnet_core.data.synthetic_dataset)."""
    from aclnet_core.data.synthetic_dataset import load_synthetic_split

    sequences, names = load_synthetic_split(replace(spec, layout=spec.layout or "mediapipe33"), spec.split)
    return LoadedDataset(list(sequences), list(names))


_LOADERS: dict[str, Callable[[DatasetSpec], LoadedDataset]] = {
    "pyskl": _load_pyskl,
    "nw_ucla": _load_nw_ucla,
    "recordings": _load_recordings,
    "synthetic": _load_synthetic,
}


def load_dataset(spec: DatasetSpec | dict) -> LoadedDataset:
    """Load the sequences and label names a spec describes; UserError on bad input."""
    if isinstance(spec, dict):
        spec = DatasetSpec.from_dict(spec)
    return _LOADERS[spec.kind](spec)


def split_by(
    sequences: Iterable[SkeletonSequence], key: Callable[[SkeletonSequence], Hashable]
) -> dict[Hashable, list[SkeletonSequence]]:
    """Group sequences by ``key(seq)`` (e.g. the NW-UCLA view via ``parse_nw_ucla_name(s.name).view``)."""
    groups: dict[Hashable, list[SkeletonSequence]] = {}
    for seq in sequences:
        groups.setdefault(key(seq), []).append(seq)
    return groups


def relabel(
    sequences: Iterable[SkeletonSequence], key: Callable[[SkeletonSequence], Hashable]
) -> tuple[list[SkeletonSequence], list[str]]:
    """New copies of the sequences labelled by ``key(seq)``; labels index the sorted distinct keys (as str)."""
    sequences = list(sequences)
    keys = [key(s) for s in sequences]
    names = sorted(set(keys), key=lambda k: (str(type(k)), k))
    index = {k: i for i, k in enumerate(names)}
    return [replace(s, label=index[k]) for s, k in zip(sequences, keys)], [str(k) for k in names]
