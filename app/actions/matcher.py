"""Few-shot recognition: a window embedding's nearest neighbour (cosine) among each custom action's windows.

An example is the set of windows the live app cut from it. A window's score for an action is its highest cosine
similarity to any window of that action's examples (1-nearest neighbour; on real mocap it beat the class
prototype, the mean of the examples, by 6 points of top-1: docs/RESULTS.md). The open-set threshold comes from
leave-one-example-out: each example is left out in turn, each of its windows is scored against the rest, its own
action gives a genuine score and the best other action an impostor score; the threshold is the cut that best
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
    score: float  # cosine similarity to the nearest window of the best action (-1 for an empty library)
    candidate: str | None  # the best action whatever the threshold
    threshold: float

    @property
    def is_known(self) -> bool:
        return self.name is not None


@dataclass(frozen=True)
class Calibration:
    """What leave-one-example-out says about a library."""

    accuracy: float | None  # examples whose windows' mean score picks their own action (None: no action has 2)
    threshold: float  # the open-set threshold it implies
    genuine: np.ndarray = field(repr=False)  # per left-out window: score of its own action
    impostor: np.ndarray = field(repr=False)  # per left-out window: best score among the other actions
    correct: int = 0
    total: int = 0
    per_action: dict[str, float] = field(default_factory=dict)


def _groups(names: Sequence[str], groups: Sequence[str] | None) -> list[tuple[str, str]]:
    """The example key of each row: (action, group); rows without groups are examples of their own."""
    if groups is None:
        return [(n, f"row {i}") for i, n in enumerate(names)]
    if len(groups) != len(names):
        raise UserError("one example key per row is needed")
    return list(zip(names, groups))


def _class_scores(embeddings: np.ndarray, x: np.ndarray, owner: np.ndarray, num_actions: int) -> np.ndarray:
    """(N, A): for each embedding (unit rows) the best cosine to a window (unit rows of x) of each action."""
    sims = embeddings @ x.T
    out = np.full((len(embeddings), num_actions), -1.0)
    for k in range(num_actions):
        cols = owner == k
        if cols.any():
            out[:, k] = sims[:, cols].max(axis=1)
    return out


def _owners(names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    actions = sorted(set(names), key=str.casefold)
    index = {a: i for i, a in enumerate(actions)}
    return np.array([index[n] for n in names], dtype=np.int64), actions


def _best_threshold(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """The cut that maximises (accepted genuine + rejected impostor) / 2; ties: the higher cut."""
    if genuine.size == 0:
        return DEFAULT_THRESHOLD
    if impostor.size == 0:
        return max(MIN_THRESHOLD, float(np.percentile(genuine, 10)) - 0.05)
    values = np.unique(np.concatenate([genuine, impostor]))
    cuts = np.concatenate([(values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]]) if values.size > 1 else values
    g, imp = np.sort(genuine), np.sort(impostor)
    accept = 1.0 - np.searchsorted(g, cuts, side="left") / g.size
    reject = np.searchsorted(imp, cuts, side="left") / imp.size
    balanced = 0.5 * (accept + reject)
    best = int(np.flatnonzero(balanced >= balanced.max() - 1e-12)[-1])
    return max(MIN_THRESHOLD, min(float(cuts[best]), 0.999))


def leave_one_out(vectors: np.ndarray, names: Sequence[str], groups: Sequence[str] | None = None) -> Calibration:
    """Leave-one-example-out accuracy and the threshold it implies (needs no model, only the window vectors)."""
    names = list(names)
    if len(names) == 0:
        return Calibration(None, DEFAULT_THRESHOLD, np.zeros(0), np.zeros(0))
    x = normalize_rows(vectors)
    keys = _groups(names, groups)
    examples: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(keys):
        examples.setdefault(key, []).append(i)
    per_action_examples: dict[str, int] = {}
    for action, _ in examples:
        per_action_examples[action] = per_action_examples.get(action, 0) + 1
    genuine, impostor, per = [], [], {}
    for key, rows in examples.items():
        if per_action_examples[key[0]] < 2:
            continue  # the only example of its action: nothing to compare it with
        rest = [i for i in range(len(names)) if keys[i] != key]
        owner, actions = _owners([names[i] for i in rest])
        scores = _class_scores(x[rows], x[rest], owner, len(actions))
        own = actions.index(key[0])
        genuine.extend(scores[:, own].tolist())
        if len(actions) > 1:
            impostor.extend(np.delete(scores, own, axis=1).max(axis=1).tolist())
        per.setdefault(key[0], []).append(int(np.argmax(scores.mean(0))) == own)
    hits = [h for v in per.values() for h in v]
    accuracy = float(np.mean(hits)) if hits else None
    return Calibration(accuracy, _best_threshold(np.array(genuine), np.array(impostor)), np.array(genuine),
                       np.array(impostor), int(np.sum(hits)), len(hits), {k: float(np.mean(v)) for k, v in per.items()})


class ActionMatcher:
    """A fixed set of custom actions (their examples' windows) and an open-set threshold."""

    def __init__(self, vectors: np.ndarray, names: Sequence[str], threshold: float | None = None,
                 groups: Sequence[str] | None = None) -> None:
        names = list(names)
        self.calibration = leave_one_out(vectors, names, groups) if names else None
        if threshold is not None and not -1.0 <= float(threshold) <= 1.0:
            raise UserError(f"the action threshold is a cosine similarity in [-1, 1], not {threshold}")
        self.threshold = float(threshold) if threshold is not None else (
            self.calibration.threshold if self.calibration is not None else DEFAULT_THRESHOLD)
        if names:
            self.windows = normalize_rows(vectors)
            self.owner, self.actions = _owners(names)
        else:
            self.windows, self.owner, self.actions = np.zeros((0, 0)), np.zeros(0, np.int64), []

    def __len__(self) -> int:
        return len(self.actions)

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """(N, A) each embedding's best cosine to a window of each action."""
        if not self.actions:
            return np.zeros((len(embeddings), 0))
        return _class_scores(normalize_rows(embeddings), self.windows, self.owner, len(self.actions))

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
