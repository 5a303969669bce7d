"""The gallery file: a foreign or empty file is refused unchanged; a gallery is created whole; never exported
onto itself."""

import hashlib
import os
import sqlite3

import pytest

from aclnet_core.errors import UserError
from app.gallery.store import GalleryStore


def _state(path):
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mode & 0o777, sorted(p.name for p in path.parent.iterdir())


def test_foreign_sqlite_file_is_refused_unchanged(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    os.chmod(path, 0o644)
    before = _state(path)
    with pytest.raises(UserError, match="not a gallery"):
        GalleryStore(path)
    assert _state(path) == before
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


@pytest.mark.parametrize("content", [b"", b"hello, not a database", b"SQLite format 3\x00" + b"\x00" * 84])
def test_non_gallery_files_are_refused_unchanged(tmp_path, content):
    path = tmp_path / "g.sqlite"
    path.write_bytes(content)
    os.chmod(path, 0o644)
    before = _state(path)
    with pytest.raises(UserError):
        GalleryStore(path)
    assert _state(path) == before


def test_new_gallery_is_created_whole_and_private(tmp_path):
    path = tmp_path / "sub" / "g.sqlite"
    with GalleryStore(path) as store:
        assert len(store) == 0
    assert path.stat().st_mode & 0o777 == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".part")]
    GalleryStore(path).close()                       # opens again as a gallery


def test_gallery_is_never_exported_onto_itself(tmp_path):
    path = tmp_path / "g.sqlite"
    GalleryStore(path).close()
    before = path.read_bytes()
    with GalleryStore(path) as store, pytest.raises(UserError, match="refusing to write"):
        store.export(path)
    assert path.read_bytes() == before
