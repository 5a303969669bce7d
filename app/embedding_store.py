"""A private SQLite file of named entries and their unit embedding vectors, all from one model.

The gait gallery (people and gait templates, `app.gallery.store`) and the action library (custom actions and
their example embeddings, `app.actions.library`) are both this store; `StoreWords` gives each its own words in
messages, its own export format and its own SQLite `application_id`, so a file of one is refused as the other.

The file is private (mode 0600, and SQLite gives its -wal/-shm files the same mode), `remove` overwrites what it
deletes (`secure_delete`) and then truncates the write-ahead log, and every change is one transaction: a process
killed half-way leaves the old state. WAL mode and a busy timeout let the GUI and the CLI use one file at once.
All vectors of a file come from one model (its `model_id`); vectors of another model are refused.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.io_utils import atomic_write, check_not_input
from app.gallery.gallery_file import check_gallery_file, create_gallery_file

__all__ = ["FILE_MODE", "SCHEMA_VERSION", "EmbeddingStore", "PersonRecord", "StoreWords", "TemplateRecord", "check_name"]

SCHEMA_VERSION = 1
FILE_MODE = 0o600
MAX_NAME_LENGTH = 100
_CONFLICT_POLICIES = ("error", "merge", "replace")

_SCHEMA = """
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE templates (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,          -- float32 little-endian, L2-normalised
    num_windows INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX templates_person ON templates(person_id);
"""


@dataclass(frozen=True)
class StoreWords:
    """What a store holds, in the words of its messages, and how its files are told apart."""

    store: str  # "gallery"
    a_store: str  # "a gallery"
    item: str  # "person"
    a_item: str  # "a person"
    vector: str  # "gait template"
    vectors: str  # "gait templates"
    model: str  # "gait model"
    mixing_hint: str  # what to do about vectors of another model
    export_format: str  # the "format" of an exported JSON file
    application_id: int = 0  # SQLite PRAGMA application_id (0: the gallery, which predates it)
    option: str = "--gallery"  # the command-line option that names the file


GALLERY_WORDS = StoreWords("gallery", "a gallery", "person", "a person", "gait template", "gait templates",
                           "gait model", "use another --gallery, or re-enrol everyone with one model",
                           "aclnet-live-gallery")


@dataclass(frozen=True)
class PersonRecord:
    name: str
    num_templates: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class TemplateRecord:
    id: int
    person: str
    vector: np.ndarray  # (D,) float32, unit length
    model_id: str
    num_windows: int
    source: str
    created_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_name(name: str, words: StoreWords | None = None) -> str:
    w = words or GALLERY_WORDS
    """A person's name, stripped; UserError when empty, too long or holding control characters."""
    if not isinstance(name, str):
        raise UserError(f"{w.a_item}'s name must be text")
    clean = name.strip()
    if not clean:
        raise UserError(f"{w.a_item}'s name cannot be empty")
    if len(clean) > MAX_NAME_LENGTH:
        raise UserError(f"{w.a_item}'s name can have at most {MAX_NAME_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in clean):
        raise UserError(f"{w.a_item}'s name cannot hold control characters: {clean!r}")
    return clean


def _as_template(vector: Any, dim: int | None, w: StoreWords) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float64).reshape(-1)
    if v.size == 0 or not np.isfinite(v).all():
        raise UserError(f"a {w.vector} must be a non-empty vector of finite numbers")
    if dim is not None and v.size != dim:
        raise UserError(f"a {w.vector} has {v.size} values but this {w.store}'s {w.vectors} have {dim}")
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        raise UserError(f"a {w.vector} cannot be all zeros")
    return (v / norm).astype("<f4")


def _private(path: Path) -> None:
    """chmod 0600 where we can (a file of someone else's is left as it is)."""
    with contextlib.suppress(FileNotFoundError, PermissionError, NotImplementedError):
        if (path.stat().st_mode & 0o777) != FILE_MODE:
            os.chmod(path, FILE_MODE)


class EmbeddingStore:
    """One connection to a store file. Thread-safe (one lock); open one per process or share it."""

    words: StoreWords = GALLERY_WORDS

    def __init__(self, path: str | os.PathLike, *, create: bool = True, timeout: float = 10.0) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise UserError(f"{self.words.store} path is a directory: {self.path}")
        if not self.path.exists():
            if not create:
                raise UserError(f"{self.words.store} not found: {self.path}")
            create_gallery_file(self.path, _SCHEMA, SCHEMA_VERSION, FILE_MODE, kind=self.words.store,
                                application_id=self.words.application_id)
        check_gallery_file(self.path, SCHEMA_VERSION, kind=self.words.store, a_kind=self.words.a_store,
                           option=self.words.option, application_id=self.words.application_id)
        # (read-only: a foreign file is refused unchanged)
        self._lock = threading.RLock()
        self._own_changes = 0
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as exc:
            raise UserError(f"cannot open {self.words.store} {self.path}: {exc}") from None
        try:
            self._configure(timeout)
            self._init_schema()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise UserError(f"{self.path} is not {self.words.a_store} file ({exc})") from None
        self._secure_sidecars()

    # ------------------------------------------------------------------------------------------ set-up
    def _configure(self, timeout: float) -> None:
        c = self._conn
        _private(self.path)
        c.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        c.execute("PRAGMA secure_delete = ON")
        c.execute("PRAGMA foreign_keys = ON")
        mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise UserError(f"cannot use write-ahead logging for {self.path} (journal mode {mode})")
        c.execute("PRAGMA synchronous = FULL")

    def _init_schema(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
        if version and app_id != self.words.application_id:
            raise UserError(f"{self.path} is not {self.words.a_store} file (it belongs to another kind of store)")
        if version == SCHEMA_VERSION:
            return  # the common case needs no write lock: readers open while another program writes
        with self._write() as c:
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                tables = c.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
                if tables:
                    raise UserError(f"{self.path} is a SQLite file but not {self.words.a_store}")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                c.execute(f"PRAGMA application_id = {int(self.words.application_id)}")
            elif version > SCHEMA_VERSION:
                raise UserError(f"{self.path} was written by a newer ACLNet Live ({self.words.store} schema {version}, "
                                f"this version reads {SCHEMA_VERSION})")

    def _secure_sidecars(self) -> None:
        for suffix in ("-wal", "-shm", "-journal"):
            _private(Path(f"{self.path}{suffix}"))

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE takes the write lock at once, waiting up to the timeout)."""
        with self._lock:
            c = self._conn
            try:
                c.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise UserError(f"{self.words.store} {self.path} is busy ({exc}); try again") from None
            try:
                yield c
                c.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    c.execute("ROLLBACK")
                raise
            self._own_changes += 1
        self._secure_sidecars()

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs."""
        with self._lock:
            c = self._conn
            c.execute("BEGIN")
            try:
                yield c
            finally:
                c.execute("COMMIT")

    # ------------------------------------------------------------------------------------------ queries
    @property
    def model_id(self) -> str | None:
        """The gait model whose templates this gallery holds (None while it holds none)."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM settings WHERE key = 'model_id'").fetchone()
        return row[0] if row else None

    def revision(self) -> tuple[int, int]:
        """Changes when anyone (this or another connection) commits: reload cached templates when it does."""
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0]), self._own_changes

    def persons(self) -> list[PersonRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT p.name, count(t.id), p.created_at, p.updated_at FROM persons p "
                "LEFT JOIN templates t ON t.person_id = p.id GROUP BY p.id ORDER BY p.name COLLATE NOCASE"
            ).fetchall()
        return [PersonRecord(*row) for row in rows]

    def __contains__(self, name: str) -> bool:
        with self._lock:
            return self._person_id(self._conn, name.strip()) is not None

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM persons").fetchone()[0])

    def templates(self, name: str | None = None) -> list[TemplateRecord]:
        """Every template (or one person's), ordered by person and insertion."""
        query = ("SELECT t.id, p.name, t.vector, t.model_id, t.num_windows, t.source, t.created_at "
                 "FROM templates t JOIN persons p ON p.id = t.person_id")
        args: tuple = ()
        if name is not None:
            query += " WHERE p.name = ?"
            args = (name.strip(),)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY p.name COLLATE NOCASE, t.id", args).fetchall()
        return [TemplateRecord(row[0], row[1], np.frombuffer(row[2], dtype="<f4").astype(np.float32), *row[3:])
                for row in rows]

    def template_matrix(self) -> tuple[np.ndarray, list[str]]:
        """All templates as one (N, D) float32 matrix and the owner's name of each row."""
        records = self.templates()
        if not records:
            return np.zeros((0, 0), np.float32), []
        return np.stack([r.vector for r in records]), [r.person for r in records]

    def check_model(self, model_id: str) -> None:
        """UserError when this gallery's templates come from another gait model than `model_id`."""
        current = self.model_id
        if current is not None and model_id != current:
            raise UserError(f"{self.words.store} {self.path} holds {self.words.vectors} of {self.words.model} {current}, not of model "
                            f"{model_id or '(no id)'}: {self.words.vectors} of different models cannot be compared "
                            f"({self.words.mixing_hint})")

    # ------------------------------------------------------------------------------------------ changes
    @staticmethod
    def _person_id(c: sqlite3.Connection, name: str) -> int | None:
        row = c.execute("SELECT id FROM persons WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])

    def _gallery_dim(self, c: sqlite3.Connection) -> int | None:
        row = c.execute("SELECT dim FROM templates LIMIT 1").fetchone()
        return None if row is None else int(row[0])

    def _claim_model(self, c: sqlite3.Connection, model_id: str) -> None:
        if not model_id:
            raise UserError(f"the {self.words.model} has no model_id; re-save it with a current version of the trainer")
        row = c.execute("SELECT value FROM settings WHERE key = 'model_id'").fetchone()
        if row is None:
            c.execute("INSERT INTO settings(key, value) VALUES ('model_id', ?)", (model_id,))
        elif row[0] != model_id:
            raise UserError(f"{self.words.store} {self.path} holds {self.words.vectors} of {self.words.model} {row[0]}; these {self.words.vectors} come "
                            f"from model {model_id} and cannot be mixed with them ({self.words.mixing_hint})")

    def _forget_model_if_empty(self, c: sqlite3.Connection) -> None:
        if c.execute("SELECT count(*) FROM templates").fetchone()[0] == 0:
            c.execute("DELETE FROM settings WHERE key = 'model_id'")

    def _insert_templates(self, c: sqlite3.Connection, person_id: int, vectors: Iterable[Any], model_id: str,
                          source: str, num_windows: int, created_at: str | None = None) -> int:
        count = 0
        dim = self._gallery_dim(c)
        for vector in vectors:
            v = _as_template(vector, dim, self.words)
            dim = v.size
            c.execute("INSERT INTO templates(person_id, model_id, dim, vector, num_windows, source, created_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (person_id, model_id, int(v.size), v.tobytes(), int(num_windows), str(source),
                       created_at or _now()))
            count += 1
        return count

    def add_templates(self, name: str, templates: Iterable[Any], model_id: str, *, source: str = "",
                      num_windows: int = 0, create: bool = True, exists_ok: bool = True,
                      sources: list[str] | None = None) -> PersonRecord:
        """Add templates to a person (created when new, unless create=False), all in one transaction.

        `templates` may be a generator: it is consumed inside the transaction, so nothing is stored unless
        every template is (a crash half-way leaves the gallery as it was).
        """
        name = check_name(name, self.words)
        with self._write() as c:
            self._claim_model(c, model_id)
            now = _now()
            person_id = self._person_id(c, name)
            if person_id is not None and not exists_ok:
                raise UserError(f"the {self.words.store} already has {self.words.a_item} named {name!r}")
            if person_id is None:
                if not create:
                    raise UserError(f"no {self.words.item} named {name!r} in the {self.words.store}")
                person_id = c.execute("INSERT INTO persons(name, created_at, updated_at) VALUES (?, ?, ?)",
                                      (name, now, now)).lastrowid
            if sources is None:
                added = self._insert_templates(c, person_id, templates, model_id, source, num_windows, now)
            else:
                templates = list(templates)
                if len(sources) != len(templates):
                    raise UserError("one source per template is needed")
                added = sum(self._insert_templates(c, person_id, [t], model_id, s, num_windows, now)
                            for t, s in zip(templates, sources))
            if added == 0:
                raise UserError(f"no {self.words.vectors} to store for {name!r}")
            c.execute("UPDATE persons SET updated_at = ? WHERE id = ?", (now, person_id))
        return self._person(name)

    def _person(self, name: str) -> PersonRecord:
        for person in self.persons():
            if person.name.casefold() == name.casefold():
                return person
        raise UserError(f"no {self.words.item} named {name!r} in the {self.words.store}")

    def rename(self, old: str, new: str) -> PersonRecord:
        old, new = check_name(old, self.words), check_name(new, self.words)
        with self._write() as c:
            person_id = self._person_id(c, old)
            if person_id is None:
                raise UserError(f"no {self.words.item} named {old!r} in the {self.words.store}")
            other = self._person_id(c, new)
            if other is not None and other != person_id:
                raise UserError(f"the {self.words.store} already has {self.words.a_item} named {new!r}")
            c.execute("UPDATE persons SET name = ?, updated_at = ? WHERE id = ?", (new, _now(), person_id))
        return self._person(new)

    def remove(self, name: str) -> bool:
        """Delete a person and every template of theirs, overwriting the freed bytes.

        Returns True when the deleted data is also gone from the write-ahead log; False when another program
        has the gallery open and the log could not be wiped yet (it will be at a later checkpoint).
        """
        name = check_name(name, self.words)
        with self._write() as c:
            person_id = self._person_id(c, name)
            if person_id is None:
                raise UserError(f"no {self.words.item} named {name!r} in the {self.words.store}")
            c.execute("DELETE FROM templates WHERE person_id = ?", (person_id,))
            c.execute("DELETE FROM persons WHERE id = ?", (person_id,))
            self._forget_model_if_empty(c)
        return self.checkpoint()

    def checkpoint(self) -> bool:
        """Copy the log into the file and truncate the log; True when that fully succeeded."""
        with self._lock:
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0

    # ------------------------------------------------------------------------------------ export/import
    def export(self, path: str | os.PathLike) -> int:
        """Write every person and template to a JSON file (atomically, mode 0600); returns the person count."""
        check_not_input(path, [self.path], flag="export file")
        with self._read() as c:
            model_id = c.execute("SELECT value FROM settings WHERE key = 'model_id'").fetchone()
            people = c.execute("SELECT id, name, created_at, updated_at FROM persons ORDER BY id").fetchall()
            rows = c.execute("SELECT person_id, model_id, vector, num_windows, source, created_at FROM templates "
                             "ORDER BY id").fetchall()
        by_person: dict[int, list[dict[str, Any]]] = {}
        for person_id, mid, blob, num_windows, source, created_at in rows:
            vector = np.frombuffer(blob, dtype="<f4")
            by_person.setdefault(person_id, []).append(
                {"model_id": mid, "num_windows": num_windows, "source": source, "created_at": created_at,
                 "vector": [float(x) for x in vector]})
        document = {"format": self.words.export_format, "version": SCHEMA_VERSION, "exported_at": _now(),
                    "model_id": model_id[0] if model_id else None,
                    "persons": [{"name": name, "created_at": created, "updated_at": updated,
                                 "templates": by_person.get(pid, [])} for pid, name, created, updated in people]}
        with atomic_write(path, mode=FILE_MODE) as tmp:
            tmp.write_text(json.dumps(document, indent=1))
        return len(people)

    def import_(self, path: str | os.PathLike, on_conflict: str = "error") -> int:
        """Add the people of an exported file in one transaction; returns how many were imported.

        on_conflict (a name already in the gallery): 'error' refuses the whole import, 'merge' adds the
        templates to that person, 'replace' drops the person's old templates first.
        """
        if on_conflict not in _CONFLICT_POLICIES:
            raise UserError(f"on_conflict must be one of {', '.join(_CONFLICT_POLICIES)}, not {on_conflict!r}")
        persons, file_model = _read_export(Path(path), self.words)
        with self._write() as c:
            for person in persons:
                name = person["name"]
                person_id = self._person_id(c, name)
                if person_id is not None and on_conflict == "error":
                    raise UserError(f"{path}: {name!r} is already in the {self.words.store} (use --merge or --replace)")
                if not person["templates"]:
                    continue
                self._claim_model(c, file_model)
                now = _now()
                if person_id is None:
                    person_id = c.execute("INSERT INTO persons(name, created_at, updated_at) VALUES (?, ?, ?)",
                                          (name, person.get("created_at") or now, now)).lastrowid
                elif on_conflict == "replace":
                    c.execute("DELETE FROM templates WHERE person_id = ?", (person_id,))
                for t in person["templates"]:
                    self._insert_templates(c, person_id, [t["vector"]], file_model, str(t.get("source", "")),
                                           int(t.get("num_windows", 0)), t.get("created_at"))
                c.execute("UPDATE persons SET updated_at = ? WHERE id = ?", (now, person_id))
        if on_conflict == "replace":
            self.checkpoint()
        return sum(1 for p in persons if p["templates"])

    # ------------------------------------------------------------------------------------------ closing
    def integrity_check(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None  # type: ignore[assignment]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _read_export(path: Path, words: StoreWords) -> tuple[list[dict[str, Any]], str]:
    """Parse and validate an exported gallery file; returns its persons and its model id."""
    if not path.is_file():
        raise UserError(f"{words.store} export not found: {path}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError, MemoryError) as exc:   # ValueError: bad JSON/UTF-8/huge ints
        raise UserError(f"{path} is not {words.a_store} export ({type(exc).__name__})") from None
    if not isinstance(document, dict) or document.get("format") != words.export_format:
        raise UserError(f"{path} is not an ACLNet Live {words.store} export")
    version = document.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise UserError(f"{path}: 'version' must be an integer, got {version!r}")
    if version > SCHEMA_VERSION:
        raise UserError(f"{path} was exported by a newer ACLNet Live (format {document.get('version')})")
    persons = document.get("persons")
    model_id = document.get("model_id") or ""
    if not isinstance(persons, list):
        raise UserError(f"{path}: 'persons' must be a list")
    seen: set[str] = set()
    for person in persons:
        if not isinstance(person, dict) or not isinstance(person.get("templates"), list):
            raise UserError(f"{path}: every {words.item} needs a name and a list of {words.vectors}")
        person["name"] = check_name(person.get("name", ""), words)
        key = person["name"].casefold()
        if key in seen:
            raise UserError(f"{path}: {person['name']!r} appears twice")
        seen.add(key)
        for t in person["templates"]:
            if not isinstance(t, dict) or not isinstance(t.get("vector"), list):
                raise UserError(f"{path}: a {words.vector} of {person['name']!r} has no vector")
            if t.get("model_id", model_id) != model_id:
                raise UserError(f"{path}: a {words.vector} of {person['name']!r} comes from model {t.get('model_id')}, "
                                f"not from the file's model {model_id}")
            if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in t["vector"]):
                raise UserError(f"{path}: a {words.vector} of {person['name']!r} holds non-numbers")
    return persons, model_id
