"""From window embeddings to gait templates: the mean direction of L2-normalised embeddings (the app's enrolment,
re-exported by `app.gallery.templates`; `aclnet_core.eval.identification` builds person templates with it).

Outlier rejection drops windows that point away from the others (a stumble, a turn, a pose glitch): with the
robust centre c (the normalised mean), a window whose cosine to c is below both `min_cosine` and
median - `mad_k` · MAD is left out, and the template is the (weighted) mean of the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["TemplateResult", "build_template", "normalize_rows", "split_into_templates"]


@dataclass(frozen=True)
class TemplateResult:
    vector: np.ndarray  # (D,) float32, unit length
    num_windows: int  # windows given
    used: np.ndarray  # (N,) bool: windows kept after outlier rejection
    consistency: float  # mean cosine of the kept windows to the template (1 = identical windows)

    @property
    def num_used(self) -> int:
        return int(self.used.sum())


def normalize_rows(embeddings: np.ndarray) -> np.ndarray:
    """(N, D) -> rows of unit length (float64); UserError for zero or non-finite rows."""
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise UserError(f"expected a non-empty (N, D) array of embeddings, got shape {np.shape(embeddings)}")
    if not np.isfinite(x).all():
        raise UserError("embeddings hold non-finite values")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise UserError("an embedding is all zeros")
    return x / norms


def _mean_direction(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    mean = (x * w[:, None]).sum(0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 0 else x[int(np.argmax(w))]


def build_template(
    embeddings: np.ndarray,
    weights: np.ndarray | None = None,
    reject_outliers: bool = True,
    min_cosine: float = 0.5,
    mad_k: float = 3.0,
) -> TemplateResult:
    """Aggregate (N, D) window embeddings into one unit template.

    weights: optional (N,) non-negative quality weights (e.g. the window's fill or mean visibility).
    Outliers are only rejected when at least 3 windows are given, and at least half are always kept.
    """
    x = normalize_rows(embeddings)
    n = x.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise UserError(f"quality weights must be {n} non-negative numbers with a positive sum")
    used = w > 0
    centre = _mean_direction(x[used], w[used])
    if reject_outliers and used.sum() >= 3:
        cos = x @ centre
        med = float(np.median(cos[used]))
        mad = float(np.median(np.abs(cos[used] - med)))
        outlier = (cos < min_cosine) & (cos < med - mad_k * max(mad, 1e-6))
        keep = used & ~outlier
        if keep.sum() >= max(1, used.sum() // 2):
            used = keep
            centre = _mean_direction(x[used], w[used])
    consistency = float(np.mean(x[used] @ centre))
    return TemplateResult(vector=centre.astype(np.float32), num_windows=n, used=used, consistency=consistency)


def split_into_templates(
    embeddings: np.ndarray, windows_per_template: int = 0, weights: np.ndarray | None = None, **options
) -> list[TemplateResult]:
    """Consecutive groups of windows -> one template each (0 = all windows in one template).

    Several templates from one walk cover its different directions and views; the matcher keeps the best
    template per person. A short last group (fewer than half a group) is merged into the one before.
    """
    x = normalize_rows(embeddings)
    n = x.shape[0]
    if windows_per_template <= 0 or n <= windows_per_template:
        return [build_template(x, weights, **options)]
    bounds = list(range(0, n, windows_per_template)) + [n]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < (windows_per_template + 1) // 2:
        del bounds[-2]
    w = None if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if w is not None and w.shape != (n,):
        raise UserError(f"quality weights must be {n} numbers, got {w.shape[0]}")
    return [build_template(x[a:b], None if w is None else w[a:b], **options) for a, b in pairwise(bounds)]
