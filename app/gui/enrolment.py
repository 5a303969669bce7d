"""Enrolment from the running pipeline: the gait embeddings of one track are tapped while they are computed.

`TappedIdentity` stands in for `app.identity.IdentityService` as the recogniser's identity provider: it does
what `IdentityService.update_many` does (embed, buffer, match) and hands every embedding to an `EnrolmentTap`.
(A thin adapter: IdentityService has no per-embedding callback.) `enrol_person` stores the templates the same
way `main.py gallery enrol` does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from aclnet_core.errors import UserError
from app.identity import IdentityService

WINDOWS_PER_TEMPLATE = 8  # as `gallery enrol --per-template`


@dataclass(frozen=True)
class TapResult:
    track_id: int | None
    embeddings: list[np.ndarray]
    tracks_seen: int
    tracked_seconds: float = 0.0  # how long the enrolled person was tracked while collecting
    rejected: str = ""  # why the quality gate refused the walk ('' = accepted or not checked)
    note: str = ""  # a warning that did not refuse the walk (e.g. the person hardly walked)


class EnrolmentTap:
    """Collects gait embeddings per track between `start()` and `finish()`; fed from the inference thread.

    With a gait runtime (`set_gait_runtime`) it also keeps every tracked frame it is shown (`observe`, from the
    pipeline thread) and `finish()` embeds the enrolled person's whole tracked walk as `gallery enroll` does
    (`app.gallery.enrol.embed_track`): a walk shorter than a live window still enrols, and a refusal says how
    long the person was tracked.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = False
        self._wanted: int | None = None
        self._per_track: dict[int, list[np.ndarray]] = {}
        self._histories: dict[int, Any] = {}
        self._runtime: Any = None
        self.min_stride_m = 0.0  # walking check at finish(): 0 = warn only (TapResult.note)

    def set_gait_runtime(self, runtime: Any) -> None:
        self._runtime = runtime

    def observe(self, result: Any) -> None:
        """Record the tracked people of one FrameResult (cheap when not collecting)."""
        if not self._active:
            return
        from app.gallery.enrol import TrackHistory

        with self._lock:
            if not self._active:
                return
            t = float(result.frame.timestamp)
            for tracked in result.tracks:
                history = self._histories.get(tracked.track_id)
                if history is None:
                    history = self._histories[tracked.track_id] = TrackHistory()
                history.add(t, tracked.skeleton, getattr(tracked, "box", None))

    def _chosen_history(self) -> tuple[int | None, Any]:
        if self._wanted is not None and self._wanted in self._histories:
            return self._wanted, self._histories[self._wanted]
        if not self._histories:
            return None, None
        tid = max(self._histories, key=lambda k: self._histories[k].seconds)
        return tid, self._histories[tid]

    def tracked_seconds(self) -> float:
        """How long the person being enrolled has been tracked so far (0 without observed frames)."""
        with self._lock:
            _, history = self._chosen_history()
            return 0.0 if history is None else float(history.seconds)

    @property
    def active(self) -> bool:
        return self._active

    def start(self, track_id: int | None = None) -> None:
        """Begin collecting; `track_id` is the person to enrol (None: whoever is seen longest)."""
        with self._lock:
            self._active, self._wanted, self._per_track, self._histories = True, track_id, {}, {}

    def feed(self, track_id: int, embedding: np.ndarray) -> None:
        if not self._active:
            return
        with self._lock:
            if self._active:
                self._per_track.setdefault(int(track_id), []).append(np.asarray(embedding, np.float32).reshape(-1))

    def _chosen(self) -> int | None:
        if self._wanted is not None and self._per_track.get(self._wanted):
            return self._wanted
        return max(self._per_track, key=lambda k: len(self._per_track[k])) if self._per_track else None

    def count(self) -> int:
        """Windows collected so far for the person being enrolled (live windows, else those its track gives)."""
        with self._lock:
            chosen = self._chosen()
            live = 0 if chosen is None else len(self._per_track[chosen])
            if live or self._runtime is None:
                return live
            from app.gallery.enrol import MIN_WALK_FRACTION, _window_spec

            _, history = self._chosen_history()
            if history is None:
                return 0
            length, rate = _window_spec(self._runtime)
            return int(history.seconds + 1.0 / rate >= MIN_WALK_FRACTION * (length - 1) / rate)

    def finish(self) -> TapResult:
        """Stop collecting; the chosen track's embeddings (the wanted track, else the one seen longest).

        With a gait runtime and observed frames, the embeddings come from every tracked frame of that person
        (after the quality gate); otherwise they are the live windows' embeddings.
        """
        with self._lock:
            self._active = False
            chosen = self._chosen()
            embeddings = list(self._per_track.get(chosen, [])) if chosen is not None else []
            tracks_seen = max(len(self._per_track), len(self._histories))
            tid, history = self._chosen_history()
            self._per_track, self._histories = {}, {}
        if history is None or self._runtime is None:
            return TapResult(chosen, embeddings, tracks_seen)
        from app.gallery.enrol import MIN_STRIDE_M, GaitCollection, embed_track

        # The GUI's walking check only warns (min_stride_m=0 here): the person enrolling is watching the window,
        # and the demo stream's people do actions rather than walk. The CLI refuses (--min-stride).
        collection = embed_track(history, self._runtime, GaitCollection(embeddings=[], track_id=tid),
                                 min_stride_m=self.min_stride_m)
        note = ""
        if collection.embeddings and collection.stride_m < MIN_STRIDE_M:
            note = (f"the person hardly walked (feet apart by {collection.stride_m:.2f} m at most): the templates "
                    "may match poorly; enrol a walk across the view")
        return TapResult(tid, collection.embeddings, tracks_seen, collection.tracked_seconds, collection.rejected,
                         note)

    def cancel(self) -> None:
        with self._lock:
            self._active, self._per_track, self._histories = False, {}, {}


class TappedIdentity:
    """The recogniser's IdentityProvider: an IdentityService whose embeddings also go to an EnrolmentTap."""

    def __init__(self, service: IdentityService, tap: EnrolmentTap) -> None:
        self.service = service
        self.tap = tap

    def update_many(self, windows: dict[int, Any]) -> dict[int, Any]:
        ids = list(windows)
        embeddings = self.service.embed([windows[i] for i in ids])
        matches = {}
        for track_id, embedding in zip(ids, embeddings):
            self.tap.feed(track_id, embedding)
            matches[track_id] = self.service.update_embedding(track_id, embedding)
        return matches

    def drop(self, track_id: int) -> None:
        self.service.drop(track_id)

    def reset(self) -> None:
        self.service.reset()


def enrol_person(store, name: str, embeddings: list[np.ndarray], model_id: str, source: str = "gui",
                 windows_per_template: int = WINDOWS_PER_TEMPLATE):
    """Turn window embeddings into templates and add them to `name` in the gallery; returns the PersonRecord."""
    from app.gallery.store import check_name
    from app.gallery.templates import split_into_templates

    name = check_name(name)
    if not embeddings:
        raise UserError("no gait windows were collected: walk in view until the progress bar fills")
    templates = split_into_templates(np.stack(embeddings), windows_per_template)
    store.check_model(model_id)
    return store.add_templates(name, (t.vector for t in templates), model_id, source=source,
                               num_windows=int(np.mean([t.num_used for t in templates])))
