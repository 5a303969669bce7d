"""Cohort score normalisation (s-norm) for open-set gait identification, and the cohort shipped with a gait model.

A raw cosine between a probe and a template says little on its own: some walks look like everybody (every score
is high), others like nobody. S-norm (speaker verification) measures each side against a cohort of impostor
templates, people who are neither of them, and reports how many cohort deviations the pair stands above both:

    s_norm(p, t) = 0.5 · ((s − μ_p) / σ_p + (s − μ_t) / σ_t)

with μ, σ the mean and deviation of the side's cosine to the cohort (adaptive s-norm: its ``top_k`` most similar
cohort templates). The cohort travels inside the gait model's metadata (``meta.extra['identity_cohort']``: float16
rows, base64), built from training identities only, so a gallery and its model can never disagree on it.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["COHORT_META_KEY", "SNORM_THRESHOLD_KEY", "cohort_from_meta", "cohort_stats", "decode_cohort",
           "encode_cohort", "snorm_scores"]

COHORT_META_KEY = "identity_cohort"  # {'rows': base64 float16, 'shape': [C, D], 'top_k': k, 'built_from': …}
SNORM_THRESHOLD_KEY = "identity_threshold_snorm"  # the open-set threshold on s-normalised scores


def encode_cohort(cohort: np.ndarray, top_k: int = 0, built_from: str = "") -> dict[str, Any]:
    c = np.asarray(cohort, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] < 2 or not np.isfinite(c).all():
        raise UserError(f"a cohort is at least 2 finite (C, D) rows, got shape {c.shape}")
    c = c / np.linalg.norm(c, axis=1, keepdims=True)
    raw = c.astype("<f2").tobytes()
    return {"rows": base64.b64encode(raw).decode("ascii"), "shape": list(c.shape), "top_k": int(top_k),
            "built_from": built_from}


def decode_cohort(entry: Any) -> tuple[np.ndarray, int]:
    try:
        shape = tuple(int(v) for v in entry["shape"])
        rows = np.frombuffer(base64.b64decode(entry["rows"]), dtype="<f2").astype(np.float64).reshape(shape)
        top_k = int(entry.get("top_k", 0))
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"the gait model's identity cohort is malformed ({type(exc).__name__})") from None
    if len(shape) != 2 or shape[0] < 2 or not np.isfinite(rows).all():
        raise UserError("the gait model's identity cohort is malformed")
    return rows / np.linalg.norm(rows, axis=1, keepdims=True), top_k


def cohort_from_meta(meta: Any) -> tuple[np.ndarray | None, int]:
    """(cohort (C, D) unit rows, top_k) shipped with a gait model, or (None, 0)."""
    entry = (getattr(meta, "extra", None) or {}).get(COHORT_META_KEY)
    if not entry:
        return None, 0
    return decode_cohort(entry)


def cohort_stats(x: np.ndarray, cohort: np.ndarray, top_k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and deviation of each row's cosine to the cohort (its ``top_k`` highest when 0 < top_k < C)."""
    s = np.atleast_2d(np.asarray(x, np.float64)) @ np.asarray(cohort, np.float64).T
    if 0 < top_k < s.shape[1]:
        s = -np.sort(-s, axis=1)[:, :top_k]
    return s.mean(1), np.maximum(s.std(1), 1e-3)


def snorm_scores(probes: np.ndarray, templates: np.ndarray, cohort: np.ndarray, top_k: int = 0) -> np.ndarray:
    """(P, D), (G, D) unit rows -> (P, G) s-normalised scores against the cohort (C, D)."""
    probes, templates = np.atleast_2d(probes), np.atleast_2d(templates)
    raw = np.asarray(probes, np.float64) @ np.asarray(templates, np.float64).T
    mp, sp = cohort_stats(probes, cohort, top_k)
    mt, st = cohort_stats(templates, cohort, top_k)
    return 0.5 * ((raw - mp[:, None]) / sp[:, None] + (raw - mt[None]) / st[None])
