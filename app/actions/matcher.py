"""Few-shot recognition: cosine similarity of a window embedding to each custom action's class prototype.

A class's score is the cosine to its prototype (the normalised mean of its example vectors). The open-set
threshold comes from leave-one-example-out: each example is scored against the library without it, its own
class gives a genuine score and the best other class an impostor score; the threshold is the one that best
separates the two (balanced accuracy), never below MIN_THRESHOLD. A window below it is not a custom action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from aclnet_core.errors import UserError
from app.gallery.templates import normalize_rows

__all__ = ["DEFAULT_THRESHOLD", "MIN_THRESHOLD", "ActionMatcher", "Calibration", "CustomMatch", "leave_one_out"]

DEFAULT_THRESHOLD = 0.8  # with too few examples to calibrate
MIN_THRESHOLD = 0.5


@dataclass(frozen=True)
class CustomMatch:
    name: str | None  # the custom action, None = not close enough to any
    score: float  # cosine similarity to the best action's prototype (-1 for an empty library)
    candidate: str | None  # the best action whatever the threshold
    threshold: float

    @property
    def is_known(self) -> bool:
        return self.name is not None


@dataclass(frozen=True)
class Calibration:
    """What leave-one-example-out says about a library."""

    accuracy: float | None  # top-1 of each left-out example among the actions (None: no action has 2 examples)
    threshold: float  # the open-set threshold it implies
    genuine: np.ndarray = field(repr=False)  # score of each left-out example's own action
    impostor: np.ndarray = field(repr=False)  # best score among the other actions
    correct: int = 0
    total: int = 0
    per_action: dict[str, float] = field(default_factory=dict)


def _prototypes(vectors: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    actions = sorted(set(names), key=str.casefold)
    owner = np.array([actions.index(n) for n in names])
    protos = np.stack([vectors[owner == k].mean(0) for k in range(len(actions))])
    return normalize_rows(protos), actions


def _best_threshold(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """The cut that maximises (accepted genuine + rejected impostor) / 2; ties: the higher cut."""
    if genuine.size == 0:
        return DEFAULT_THRESHOLD
    if impostor.size == 0:
        return max(MIN_THRESHOLD, float(genuine.min()) - 0.05)
    values = np.unique(np.concatenate([genuine, impostor]))
    cuts = np.concatenate([(values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]]) if values.size > 1 else values
    best, best_t = -1.0, DEFAULT_THRESHOLD
    for t in cuts:
        balanced = 0.5 * (float((genuine >= t).mean()) + float((impostor < t).mean()))
        if balanced >= best:
            best, best_t = balanced, float(t)
    return max(MIN_THRESHOLD, min(best_t, 0.999))


def leave_one_out(vectors: np.ndarray, names: Sequence[str]) -> Calibration:
    """Leave-one-example-out accuracy and the threshold it implies (needs no model, only the example vectors)."""
    names = list(names)
    if len(names) == 0:
        return Calibration(None, DEFAULT_THRESHOLD, np.zeros(0), np.zeros(0))
    x = normalize_rows(vectors)
    genuine, impostor, hits, per = [], [], [], {}
    for i, name in enumerate(names):
        keep = np.arange(len(names)) != i
        if not any(n == name for j, n in enumerate(names) if keep[j]):
            continue  # the only example of its action: nothing to compare it with
        protos, actions = _prototypes(x[keep], [n for j, n in enumerate(names) if keep[j]])
        scores = protos @ x[i]
        own = actions.index(name)
        genuine.append(float(scores[own]))
        others = np.delete(scores, own)
        if others.size:
            impostor.append(float(others.max()))
        hit = int(np.argmax(scores)) == own
        hits.append(hit)
        per.setdefault(name, []).append(hit)
    g, imp = np.array(genuine), np.array(impostor)
    accuracy = float(np.mean(hits)) if hits else None
    return Calibration(accuracy, _best_threshold(g, imp), g, imp, int(np.sum(hits)), len(hits),
                       {k: float(np.mean(v)) for k, v in per.items()})


class ActionMatcher:
    """A fixed set of custom actions (class prototypes) and an open-set threshold."""

    def __init__(self, vectors: np.ndarray, names: Sequence[str], threshold: float | None = None) -> None:
        names = list(names)
        self.calibration = leave_one_out(vectors, names) if names else None
        if threshold is not None and not -1.0 <= float(threshold) <= 1.0:
            raise UserError(f"the action threshold is a cosine similarity in [-1, 1], not {threshold}")
        self.threshold = float(threshold) if threshold is not None else (
            self.calibration.threshold if self.calibration is not None else DEFAULT_THRESHOLD)
        if names:
            self.prototypes, self.actions = _prototypes(normalize_rows(vectors), names)
        else:
            self.prototypes, self.actions = np.zeros((0, 0)), []

    def __len__(self) -> int:
        return len(self.actions)

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """(N, A) cosine of each embedding to each action's prototype."""
        if not self.actions:
            return np.zeros((len(embeddings), 0))
        return normalize_rows(embeddings) @ self.prototypes.T

    def match_many(self, embeddings: np.ndarray) -> list[CustomMatch]:
        s = self.scores(np.asarray(embeddings).reshape(len(embeddings), -1))
        out = []
        for row in s:
            if row.size == 0:
                out.append(CustomMatch(None, -1.0, None, self.threshold))
                continue
            k = int(np.argmax(row))
            best = float(row[k])
            out.append(CustomMatch(self.actions[k] if best >= self.threshold else None, best, self.actions[k],
                                   self.threshold))
        return out

    def match(self, embedding: np.ndarray) -> CustomMatch:
        return self.match_many(np.asarray(embedding)[None])[0]
