"""The action library: a SQLite file of named custom actions and their example embeddings.

It is the gallery's store (`app.embedding_store`) with its own words, export format and SQLite application id:
one row per action, one unit vector per example (the mean direction of the example's window embeddings), all
from one action encoder (its `model_id`). Where it lives: `--actions PATH`, else $ACLNET_ACTIONS, else
`<user data dir>/aclnet-live/actions.sqlite`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from app.embedding_store import EmbeddingStore, StoreWords, check_name
from app.gallery.paths import resolve_user_file

__all__ = ["ACTIONS_ENV", "ACTION_WORDS", "ActionLibrary", "check_action_name", "resolve_actions_path"]

ACTIONS_ENV = "ACLNET_ACTIONS"
ACTIONS_FILENAME = "actions.sqlite"
ACTION_WORDS = StoreWords("action library", "an action library", "action", "an action", "example embedding",
                          "example embeddings", "action model",
                          "use another --actions library, or teach every action again with this model",
                          "aclnet-live-actions", application_id=0x41434C41)  # "ACLA"


def resolve_actions_path(explicit: str | os.PathLike | None = None) -> Path:
    """--actions PATH, else $ACLNET_ACTIONS, else `<user data dir>/aclnet-live/actions.sqlite`."""
    return resolve_user_file(explicit, ACTIONS_ENV, ACTIONS_FILENAME)


def check_action_name(name: str) -> str:
    """An action's name, stripped; UserError when empty, too long or holding control characters."""
    return check_name(name, ACTION_WORDS)


class ActionLibrary(EmbeddingStore):
    """One connection to an action library file (thread-safe; the GUI and the CLI may share the file)."""

    words = ACTION_WORDS

    def examples(self) -> tuple[np.ndarray, list[str]]:
        """(N, D) example vectors and the action name of each row."""
        return self.template_matrix()
