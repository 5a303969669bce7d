"""Custom actions in the live recogniser: merge the library's matches with the shipped classifier.

A window close enough to a custom action (cosine to its nearest example window >= the threshold) gets that
action with a confidence that grows from CONFIDENCE_AT_THRESHOLD at the threshold to 1 at a perfect match; the
shipped classes share the rest. Otherwise the shipped classifier's probabilities are kept as they are. The custom
actions are appended after the shipped labels, so the track smoothers see one probability vector.
The library file is re-read whenever any program changes it (an action taught in the GUI or the CLI is
recognised from the next window on).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from aclnet_core.errors import UserError
from app.actions.library import ActionLibrary
from app.actions.matcher import ActionMatcher, CustomMatch

__all__ = ["CONFIDENCE_AT_THRESHOLD", "CustomActions", "merge_probabilities"]

log = logging.getLogger(__name__)

CONFIDENCE_AT_THRESHOLD = 0.6


def custom_confidence(score: float, threshold: float) -> float:
    """Probability given to a matched custom action: 0.6 at the threshold, 1.0 at cosine 1."""
    span = max(1e-6, 1.0 - threshold)
    return float(np.clip(CONFIDENCE_AT_THRESHOLD + (1 - CONFIDENCE_AT_THRESHOLD) * (score - threshold) / span,
                         CONFIDENCE_AT_THRESHOLD, 1.0))


def merge_probabilities(shipped: np.ndarray, actions: list[str], matches: list[CustomMatch]) -> np.ndarray:
    """(N, K) shipped probabilities + one match per row -> (N, K + A) probabilities over shipped + custom."""
    shipped = np.asarray(shipped, dtype=np.float64)
    out = np.zeros((shipped.shape[0], shipped.shape[1] + len(actions)))
    out[:, : shipped.shape[1]] = shipped
    for i, m in enumerate(matches):
        if m.name is None:
            continue
        c = custom_confidence(m.score, m.threshold)
        out[i, : shipped.shape[1]] *= 1 - c
        out[i, shipped.shape[1] + actions.index(m.name)] = c
    return out


@dataclass(frozen=True)
class MergedOutput:
    labels: list[str]  # shipped labels, then the custom actions
    probabilities: np.ndarray  # (N, K + A)
    matches: list[CustomMatch]


class CustomActions:
    """An action library watched for changes, for one action model (its model_id)."""

    def __init__(self, library: ActionLibrary, model_id: str, threshold: float | None = None) -> None:
        if not model_id:
            raise UserError("the action model has no model_id; custom actions need one")
        library.check_model(model_id)
        self.library = library
        self.model_id = model_id
        self.threshold = threshold
        self.tap = None  # an app.actions.tap.WindowTap while the GUI may teach from the stream
        self._lock = threading.Lock()
        self._revision: tuple[int, int] | None = None
        self._matcher = ActionMatcher(np.zeros((0, 0)), [])

    @property
    def matcher(self) -> ActionMatcher:
        self._refresh()
        return self._matcher

    def _refresh(self) -> None:
        with self._lock:
            revision = self.library.revision()
            if revision == self._revision:
                return
            self._revision = revision
            if self.library.model_id not in (None, self.model_id):
                log.warning("the action library now holds examples of model %s, not %s: custom actions are off",
                            self.library.model_id, self.model_id)
                self._matcher = ActionMatcher(np.zeros((0, 0)), [])
                return
            vectors, names, groups = self.library.examples()
            self._matcher = ActionMatcher(vectors, names, self.threshold, groups)

    def merge(self, labels: list[str], probabilities: np.ndarray, embeddings: np.ndarray,
              windows: list | None = None) -> MergedOutput:
        """Shipped labels + custom actions; `windows` (app.records.Window, one per row) also go to the tap."""
        tap = self.tap
        if tap is not None and windows is not None:
            for window, embedding in zip(windows, embeddings):
                tap.feed(window.track_id, window.start_time, window.end_time, embedding)
        matcher = self.matcher
        if len(matcher) == 0:
            return MergedOutput(list(labels), np.asarray(probabilities), [])
        matches = matcher.match_many(embeddings)
        return MergedOutput(list(labels) + matcher.actions,
                            merge_probabilities(probabilities, matcher.actions, matches), matches)
