"""The gallery file on disk: created whole when absent, and checked read-only before it is opened for writing.

A file that is not a gallery (another program's SQLite database, an empty file, anything else) is refused
before anything about it changes: no journal mode switch, no chmod, no schema.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path

from aclnet_core.errors import UserError


def create_gallery_file(path: Path, schema: str, version: int, mode: int, *, kind: str = "gallery",
                        application_id: int = 0) -> None:
    """Create a complete, empty gallery (or another `kind` of store) at `path` unless a file is already there
    (then leave it alone). `application_id` tells the kinds of store apart (SQLite PRAGMA application_id).

    The database is built in a private temp file and hard-linked into place, so `path` never holds a
    half-made gallery and a gallery another process created meanwhile is never replaced.
    """
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=parent)
    except OSError as exc:
        raise UserError(f"cannot create {kind} {path}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, mode)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.executescript(schema)
            conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute(f"PRAGMA application_id = {int(application_id)}")
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass                                           # someone else created it first: theirs stays
        except OSError:                                    # no hard links here: create-if-absent by rename
            if not path.exists():
                os.replace(tmp, path)
    except (OSError, sqlite3.Error) as exc:
        raise UserError(f"cannot create {kind} {path}: {getattr(exc, 'strerror', None) or exc}") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def check_gallery_file(path: Path, version: int, *, kind: str = "gallery", a_kind: str = "a gallery",
                       option: str = "--gallery", application_id: int = 0) -> None:
    """UserError unless `path` is a gallery (or another `kind` of store, told apart by `application_id`) of
    schema <= `version`; reads only (the file is not changed)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserError(f"cannot open {kind} {path}: {exc.strerror or exc}") from None
    if size == 0:
        raise UserError(f"{path} is an empty file, not {a_kind} (remove it or choose another {option})")
    try:
        with path.open("rb") as f:
            header = f.read(16)
    except OSError as exc:
        raise UserError(f"cannot open {kind} {path}: {exc.strerror or exc}") from None
    if header != b"SQLite format 3\x00":
        raise UserError(f"{path} is not {a_kind} file (not an SQLite database)")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise UserError(f"cannot open {kind} {path}: {exc}") from None
    try:
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise UserError(f"{path} is not {a_kind} file ({exc})") from None
    finally:
        conn.close()
    if found >= 1 and app_id != application_id:
        raise UserError(f"{path} is not {a_kind} file (it belongs to another kind of store)")
    if found > version:
        raise UserError(f"{path} was written by a newer ACLNet Live ({kind} schema {found}, this version reads "
                        f"{version})")
    if found < 1 or not {"settings", "persons", "templates"} <= tables:
        raise UserError(f"{path} is a SQLite file but not {a_kind}")
