"""Input modalities (PYSKL GenSkeFeat): joints, bones, skip-bones and their frame-to-frame motion.

* ``j``: joints as they are.
* ``b``: joint minus parent (zero at the layout's root).
* ``k``: joint minus grandparent (zero at the root; the root's children get joint minus root).
* ``jm``, ``bm``, ``km``: frame t+1 minus frame t of j, b, k; the last frame is zero.

A bone is zero when either end is missing (all-zero), and motion is zero when either frame is missing, so
missing persons and joints never turn into large spurious vectors.
"""

from __future__ import annotations

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.skeleton.layouts import SkeletonLayout, get_layout

__all__ = ["MODALITIES", "apply_modality", "bones", "motion", "skip_bones"]

MODALITIES: tuple[str, ...] = ("j", "b", "k", "jm", "bm", "km")


def _relative(x: np.ndarray, ancestors: np.ndarray) -> np.ndarray:
    present = np.any(x != 0, axis=-1, keepdims=True)  # (M, T, V, 1)
    out = x - x[:, :, ancestors]
    out *= present & present[:, :, ancestors]
    return out


def bones(x: np.ndarray, layout: SkeletonLayout) -> np.ndarray:
    """(M, T, V, C) -> joint minus parent."""
    return _relative(x, np.asarray(layout.parents))


def skip_bones(x: np.ndarray, layout: SkeletonLayout) -> np.ndarray:
    """(M, T, V, C) -> joint minus grandparent."""
    return _relative(x, layout.grandparents)


def motion(x: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """(M, T, V, C) -> x[t+1] - x[t], zero at the last frame and wherever a frame is missing.

    ``present`` (M, T) marks present frames; by default a frame is present when any value is non-zero.
    """
    if present is None:
        present = np.any(x != 0, axis=(-1, -2))
    out = np.zeros_like(x)
    out[:, :-1] = x[:, 1:] - x[:, :-1]
    both = np.zeros_like(present)
    both[:, :-1] = present[:, 1:] & present[:, :-1]
    out *= both[:, :, None, None]
    return out


def apply_modality(x: np.ndarray, name: str, layout: str | SkeletonLayout) -> np.ndarray:
    """(M, T, V, C) joints -> the same shape in modality ``name`` (one of MODALITIES)."""
    layout = get_layout(layout)
    if name not in MODALITIES:
        raise UserError(f"unknown modality {name!r}; known modalities: {', '.join(MODALITIES)}")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4 or x.shape[2] != layout.num_joints:
        raise UserError(f"expected {layout.name} input (M, T, {layout.num_joints}, C), got {x.shape}")
    base = name[0]
    if base == "j":
        out = x.copy()
    elif base == "b":
        out = bones(x, layout)
    else:
        out = skip_bones(x, layout)
    if name.endswith("m"):
        out = motion(out, present=np.any(x != 0, axis=(-1, -2)))
    return out
