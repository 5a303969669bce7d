"""Open-set identification: cosine similarity to every template, the best template per person, a threshold.

A probe whose best person scores below the threshold is "unknown" (`IdentityMatch.name is None`); the best
candidate is still reported so the GUI can show "unknown (closest: Ada 0.41)".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.eval.identification import THRESHOLD_META_KEY, max_per_identity
from app.gallery.store import GalleryStore
from app.gallery.templates import normalize_rows

__all__ = [
    "DEFAULT_THRESHOLD",
    "THRESHOLD_META_KEY",
    "GalleryMatcher",
    "IdentityMatch",
    "Matcher",
    "resolve_threshold",
]

log = logging.getLogger(__name__)

# Until a gait model carries a calibrated threshold (meta.extra['identity_threshold']) this one is used.
DEFAULT_THRESHOLD = 0.7


@dataclass(frozen=True)
class IdentityMatch:
    name: str | None  # the matched person, None = unknown (below the threshold or an empty gallery)
    score: float  # cosine similarity of the best person (their best template); -1 for an empty gallery
    candidate: str | None  # the best person whatever the threshold
    runner_up: str | None = None  # the second-best person
    runner_up_score: float | None = None
    threshold: float = DEFAULT_THRESHOLD

    @property
    def is_known(self) -> bool:
        return self.name is not None

    @property
    def label(self) -> str:
        return self.name if self.name is not None else "unknown"

    @property
    def margin(self) -> float | None:
        """Best minus second-best person score (None with fewer than two persons)."""
        return None if self.runner_up_score is None else self.score - self.runner_up_score


def resolve_threshold(explicit: float | None, meta: Any = None) -> float:
    """The threshold to use: an explicit value, else the gait model's calibrated one, else DEFAULT_THRESHOLD."""
    value = explicit
    if value is None and meta is not None:
        value = (getattr(meta, "extra", None) or {}).get(THRESHOLD_META_KEY)
    value = DEFAULT_THRESHOLD if value is None else float(value)
    if not -1.0 <= value <= 1.0:
        raise UserError(f"the identity threshold is a cosine similarity in [-1, 1], not {value}")
    return value


class Matcher:
    """A fixed set of templates (rows of `templates`, owned by `names`) and a threshold."""

    def __init__(self, templates: np.ndarray, names: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = resolve_threshold(threshold)
        names = list(names)
        if len(names) == 0:
            self.templates = np.zeros((0, 0), np.float32)
            self.persons: list[str] = []
            self._owner = np.zeros(0, np.int64)
            return
        if len(names) != len(templates):
            raise ValueError(f"{len(templates)} templates but {len(names)} names")
        self.templates = normalize_rows(templates).astype(np.float32)
        self.persons = list(dict.fromkeys(names))  # first-seen order
        index = {name: i for i, name in enumerate(self.persons)}
        self._owner = np.array([index[n] for n in names], dtype=np.int64)

    @classmethod
    def from_store(cls, store: GalleryStore, threshold: float = DEFAULT_THRESHOLD,
                   model_id: str | None = None) -> Matcher:
        if model_id is not None:
            store.check_model(model_id)
        templates, names = store.template_matrix()
        return cls(templates, names, threshold)

    @property
    def empty(self) -> bool:
        return not self.persons

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """(N, D) or (D,) probes -> (N, P) best cosine per person (columns in `self.persons` order)."""
        probes = normalize_rows(embeddings)
        if self.empty:
            return np.zeros((probes.shape[0], 0))
        if probes.shape[1] != self.templates.shape[1]:
            raise UserError(f"the probe embedding has {probes.shape[1]} values but the gallery templates have "
                            f"{self.templates.shape[1]}: wrong gait model for this gallery")
        return max_per_identity(probes @ self.templates.T.astype(np.float64), self._owner, len(self.persons))

    def match(self, embedding: np.ndarray) -> IdentityMatch:
        return self.match_many(np.asarray(embedding).reshape(1, -1))[0]

    def match_many(self, embeddings: np.ndarray) -> list[IdentityMatch]:
        per_person = self.scores(embeddings)
        if self.empty:
            return [IdentityMatch(None, -1.0, None, threshold=self.threshold) for _ in range(per_person.shape[0])]
        order = np.argsort(-per_person, axis=1, kind="stable")
        out = []
        for row, ranked in zip(per_person, order):
            best = int(ranked[0])
            score = float(row[best])
            second = int(ranked[1]) if len(ranked) > 1 else None
            out.append(IdentityMatch(
                name=self.persons[best] if score >= self.threshold else None, score=score,
                candidate=self.persons[best],
                runner_up=None if second is None else self.persons[second],
                runner_up_score=None if second is None else float(row[second]),
                threshold=self.threshold))
        return out


class GalleryMatcher:
    """A Matcher that follows a gallery file: it reloads when any program (GUI or CLI) changes the gallery.

    A gallery of another gait model is refused at construction (UserError). If it becomes one later (everyone
    removed and re-enrolled with another model), matching answers 'unknown' and `problem` says why.
    """

    def __init__(self, store: GalleryStore, model_id: str, threshold: float = DEFAULT_THRESHOLD) -> None:
        store.check_model(model_id)
        self.store = store
        self.model_id = model_id
        self.threshold = resolve_threshold(threshold)
        self.problem: str | None = None
        self._revision: tuple[int, int] | None = None
        self._matcher = Matcher(np.zeros((0, 0)), [], self.threshold)

    def matcher(self) -> Matcher:
        revision = self.store.revision()
        if revision != self._revision:
            self._revision = revision
            try:
                self._matcher = Matcher.from_store(self.store, self.threshold, self.model_id)
                self.problem = None
            except UserError as exc:
                log.warning("%s", exc)
                self.problem = str(exc)
                self._matcher = Matcher(np.zeros((0, 0)), [], self.threshold)
        return self._matcher

    def set_threshold(self, threshold: float) -> None:
        self.threshold = resolve_threshold(threshold)
        self._revision = None

    def match(self, embedding: np.ndarray) -> IdentityMatch:
        return self.matcher().match(embedding)
