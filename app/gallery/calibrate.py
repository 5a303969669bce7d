"""Choosing the open-set threshold: genuine/impostor score distributions -> the threshold at a target FAR.

The computation itself lives in `aclnet_core.eval.identification` (sklearn's `roc_curve`), so the offline
evaluation and the app calibrate the same way. A calibrated threshold travels with the gait model as
`meta.extra['identity_threshold']` (see `app.gallery.matcher.resolve_threshold`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.eval.identification import cosine_similarity, genuine_impostor_scores, roc_operating_point

__all__ = ["Calibration", "calibrate_from_embeddings", "calibrate_threshold", "tar_at_far"]


@dataclass(frozen=True)
class Calibration:
    threshold: float  # accept a match when its score >= threshold
    tar: float  # true accept rate at the threshold
    far: float  # false accept rate reached (<= target_far)
    target_far: float
    eer: float
    auc: float
    num_genuine: int
    num_impostor: int

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (f"threshold {self.threshold:.3f}: TAR {self.tar:.2%} at FAR {self.far:.2%} (target "
                f"{self.target_far:.2%}), EER {self.eer:.2%}, AUC {self.auc:.3f}; {self.num_genuine} genuine / "
                f"{self.num_impostor} impostor scores")


def calibrate_threshold(genuine: np.ndarray, impostor: np.ndarray, target_far: float = 0.01) -> Calibration:
    """The highest-TAR threshold whose false accept rate on `impostor` is at most `target_far`.

    With n impostor scores the smallest FAR that can be told apart is 1/n: a FAR of 1 % needs at least 100
    impostor scores to mean anything, so fewer raise UserError.
    """
    genuine = np.asarray(genuine, dtype=np.float64).reshape(-1)
    impostor = np.asarray(impostor, dtype=np.float64).reshape(-1)
    if target_far > 0 and impostor.size < int(np.ceil(1.0 / target_far)):
        raise UserError(f"calibrating at FAR {target_far:.2%} needs at least {int(np.ceil(1 / target_far))} "
                        f"impostor scores, got {impostor.size}")
    point = roc_operating_point(genuine, impostor, target_far)
    threshold = point.threshold
    if not np.isfinite(threshold):  # nothing can be accepted at this FAR: just above the best impostor
        threshold = float(np.nextafter(impostor.max(), np.inf))
    return Calibration(threshold=float(threshold), tar=point.tar, far=point.far, target_far=target_far,
                       eer=point.eer, auc=point.auc, num_genuine=int(genuine.size), num_impostor=int(impostor.size))


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray, target_far: float = 0.01) -> float:
    return roc_operating_point(genuine, impostor, target_far).tar


def calibrate_from_embeddings(gallery_emb: np.ndarray, gallery_labels: np.ndarray, probe_emb: np.ndarray,
                              probe_labels: np.ndarray, target_far: float = 0.01) -> Calibration:
    """Calibrate on held-out people: probes scored against a gallery with the matcher's best-per-person rule."""
    genuine, impostor = genuine_impostor_scores(cosine_similarity(probe_emb, gallery_emb), gallery_labels,
                                                probe_labels)
    return calibrate_threshold(genuine, impostor, target_far)
