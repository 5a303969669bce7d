"""The enrolment gallery: a SQLite file of named people and their gait templates.

Gait templates are biometric data, so the file is private (mode 0600, and SQLite gives its -wal/-shm files the
same mode), `remove` overwrites what it deletes (`secure_delete`) and then truncates the write-ahead log, and
every change is one transaction: a process killed half-way leaves the old state. WAL mode and a busy timeout
let the GUI and the CLI use one gallery at the same time. The storage is `app.embedding_store.EmbeddingStore`,
shared with the action library.

All templates of a gallery come from one gait model (its `model_id`); templates of another model are refused.
"""

from __future__ import annotations

from app.embedding_store import (
    FILE_MODE,
    GALLERY_WORDS,
    MAX_NAME_LENGTH,
    SCHEMA_VERSION,
    EmbeddingStore,
    PersonRecord,
    TemplateRecord,
)
from app.embedding_store import check_name as _check_name

__all__ = ["EXPORT_FORMAT", "FILE_MODE", "MAX_NAME_LENGTH", "SCHEMA_VERSION", "GalleryStore", "PersonRecord",
           "TemplateRecord", "check_name"]

EXPORT_FORMAT = GALLERY_WORDS.export_format


def check_name(name: str) -> str:
    """A person's name, stripped; UserError when empty, too long or holding control characters."""
    return _check_name(name, GALLERY_WORDS)


class GalleryStore(EmbeddingStore):
    """One connection to a gallery file. Thread-safe (one lock); open one per process or share it."""

    words = GALLERY_WORDS
