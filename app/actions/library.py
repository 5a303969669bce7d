"""The action library: a SQLite file of named custom actions and their example embeddings.

It is the gallery's store (`app.embedding_store`) with its own words, export format and SQLite application id:
one row per action, one unit vector per window of each example, all from one action encoder (its `model_id`).
The windows of one example share its `source` text (unique per example), so calibration can leave a whole
example out and the example count is the number of distinct sources. Where it lives: `--actions PATH`, else $ACLNET_ACTIONS, else
`<user data dir>/aclnet-live/actions.sqlite`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from app.embedding_store import EmbeddingStore, PersonRecord, StoreWords, check_name
from app.gallery.paths import resolve_user_file

__all__ = ["ACTIONS_ENV", "ACTION_WORDS", "ActionLibrary", "check_action_name", "example_key", "resolve_actions_path"]

ACTIONS_ENV = "ACLNET_ACTIONS"
ACTIONS_FILENAME = "actions.sqlite"
ACTION_WORDS = StoreWords("action library", "an action library", "action", "an action", "example embedding",
                          "example embeddings", "action model",
                          "use another --actions library, or teach every action again with this model",
                          "aclnet-live-actions", application_id=0x41434C41, option="--actions")  # "ACLA"


def resolve_actions_path(explicit: str | os.PathLike | None = None) -> Path:
    """--actions PATH, else $ACLNET_ACTIONS, else `<user data dir>/aclnet-live/actions.sqlite`."""
    return resolve_user_file(explicit, ACTIONS_ENV, ACTIONS_FILENAME)


def example_key(description: str) -> str:
    """A unique source text for one example's windows: the description and a short random id."""
    import uuid

    return f"{description} #{uuid.uuid4().hex[:8]}"


def check_action_name(name: str) -> str:
    """An action's name, stripped; UserError when empty, too long or holding control characters."""
    return check_name(name, ACTION_WORDS)


class ActionLibrary(EmbeddingStore):
    """One connection to an action library file (thread-safe; the GUI and the CLI may share the file)."""

    words = ACTION_WORDS

    def examples(self) -> tuple[np.ndarray, list[str], list[str]]:
        """(N, D) window vectors, the action of each row and the example it belongs to (rows without a source
        are examples of their own)."""
        records = self.templates()
        if not records:
            return np.zeros((0, 0), np.float32), [], []
        return (np.stack([r.vector for r in records]), [r.person for r in records],
                [r.source or f"row {r.id}" for r in records])

    def persons(self) -> list[PersonRecord]:
        """The actions; `num_templates` counts examples (distinct sources), not windows."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT p.name, count(DISTINCT CASE WHEN t.source = '' THEN 'row ' || t.id ELSE t.source END), "
                "p.created_at, p.updated_at FROM persons p LEFT JOIN templates t ON t.person_id = p.id "
                "GROUP BY p.id ORDER BY p.name COLLATE NOCASE").fetchall()
        return [PersonRecord(*row) for row in rows]
