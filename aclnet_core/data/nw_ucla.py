"""Loader for NW-UCLA Multiview Action 3D skeletons (the CTR-GCN json release).

Each ``all_sqe/aXX_sYY_eZZ_vWW.json`` holds ``{"file_name", "skeletons": [T][20][3] (metres, y up),
"label": 1..10}``; XX is the action, YY the subject, ZZ the repetition and WW the view (camera). The cross-view
protocol trains on views 1 and 2 (1020 sequences) and tests on view 3 (464). A sequence's ``name`` is its file
stem, so :func:`parse_nw_ucla_name` recovers the subject and view (e.g. for gait/identity experiments on
'walk around': ``load_nw_ucla(root, 'all', actions=[3], label_by='subject')`` then ``split_by`` the view).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError

__all__ = [
    "NW_UCLA_LABELS",
    "NW_UCLA_SPLITS",
    "NwUclaId",
    "load_nw_ucla",
    "nw_ucla_files",
    "nw_ucla_label_names",
    "parse_nw_ucla_name",
]  # fmt: skip

NW_UCLA_LABELS: tuple[str, ...] = (
    "pick up with one hand", "pick up with two hands", "drop trash", "walk around", "sit down", "stand up",
    "donning", "doffing", "throw", "carry",
)  # fmt: skip
NW_UCLA_SPLITS: dict[str, tuple[int, ...]] = {
    "train": (1, 2), "val": (3,), "all": (1, 2, 3),
    "view1": (1,), "view2": (2,), "view3": (3,),  # one camera each: tune on view1 -> view2, never on view 3
}  # fmt: skip
_ACTION_TO_LABEL = {a: i for i, a in enumerate((1, 2, 3, 4, 5, 6, 8, 9, 11, 12))}  # file action -> 0-based label
_NAME = re.compile(r"^a(\d+)_s(\d+)_e(\d+)_v(\d+)$")
_LAYOUT = "kinect20"


@dataclass(frozen=True)
class NwUclaId:
    action: int  # the file's action number (1..12 without 7 and 10)
    subject: int  # 1..10
    repetition: int
    view: int  # 1..3

    @property
    def label(self) -> int:
        """0-based action label (0..9)."""
        return _ACTION_TO_LABEL[self.action]


def parse_nw_ucla_name(name: str) -> NwUclaId:
    """'a01_s02_e03_v01' (a file stem or sequence name) -> NwUclaId; UserError when it does not match."""
    match = _NAME.match(Path(name).stem if name.endswith(".json") else name)
    if not match:
        raise UserError(f"not an NW-UCLA sequence name (aXX_sYY_eZZ_vWW): {name!r}")
    ident = NwUclaId(*(int(g) for g in match.groups()))
    if ident.action not in _ACTION_TO_LABEL:
        raise UserError(f"unknown NW-UCLA action a{ident.action:02d} in {name!r}")
    return ident


def nw_ucla_label_names(label_by: str = "action") -> list[str]:
    """The 10 action names, or 'subject_01'..'subject_10' when labelling by subject."""
    if label_by == "action":
        return list(NW_UCLA_LABELS)
    if label_by == "subject":
        return [f"subject_{s:02d}" for s in range(1, 11)]
    raise UserError(f"label_by must be 'action' or 'subject', got {label_by!r}")


def nw_ucla_files(root: str | Path) -> list[Path]:
    """The json files of the dataset folder (``root`` or ``root/all_sqe``), sorted by name."""
    root = Path(root)
    folder = root / "all_sqe" if (root / "all_sqe").is_dir() else root
    if not folder.is_dir():
        raise UserError(f"NW-UCLA folder not found: {root}")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise UserError(f"no NW-UCLA json files in {folder}")
    return files


def _read(path: Path, ident: NwUclaId, label: int) -> SkeletonSequence:
    try:
        with path.open("rb") as f:
            record = json.load(f)
        kp = np.asarray(record["skeletons"], dtype=np.float32)
        file_label = int(record["label"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError, OverflowError, MemoryError) as exc:
        raise UserError(f"{path}: not a valid NW-UCLA json ({type(exc).__name__}: {str(exc)[:60]})") from None
    if kp.ndim != 3 or kp.shape[0] < 1 or kp.shape[1:] != (20, 3):
        raise UserError(f"{path}: skeletons must be [T][20][3] with T >= 1, got {kp.shape}")
    if file_label - 1 != ident.label:
        raise UserError(f"{path}: label {file_label} does not match action a{ident.action:02d}")
    return SkeletonSequence(keypoint=kp[None], label=label, layout=_LAYOUT, name=path.stem)


def load_nw_ucla(
    root: str | Path,
    split: str = "train",
    views: Iterable[int] | None = None,
    label_by: str = "action",
    actions: Iterable[int] | None = None,
) -> list[SkeletonSequence]:
    """Load NW-UCLA sequences (kinect20, M = 1, metres, y up), sorted by name.

    split: 'train' (views 1, 2), 'val' (view 3), 'all', or one camera 'view1'..'view3' (a validation protocol
    that keeps the test view out: train on view1, validate on view2); ``views`` overrides the split's views.
    label_by: 'action' (0..9, see NW_UCLA_LABELS) or 'subject' (subject - 1, 0..9).
    actions: keep only these 0-based action labels (e.g. [3] = 'walk around').
    """
    if split not in NW_UCLA_SPLITS:
        raise UserError(f"unknown NW-UCLA split {split!r}; available splits: {', '.join(NW_UCLA_SPLITS)}")
    nw_ucla_label_names(label_by)  # validates label_by
    keep_views = set(NW_UCLA_SPLITS[split] if views is None else views)
    keep_actions = None if actions is None else set(actions)
    sequences = []
    for path in nw_ucla_files(root):
        ident = parse_nw_ucla_name(path.stem)
        if ident.view not in keep_views or (keep_actions is not None and ident.label not in keep_actions):
            continue
        label = ident.label if label_by == "action" else ident.subject - 1
        sequences.append(_read(path, ident, label))
    if not sequences:
        raise UserError(f"NW-UCLA split {split!r} (views {sorted(keep_views)}) is empty in {root}")
    return sequences
