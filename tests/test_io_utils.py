"""atomic_write: complete or absent, usual permissions unless a mode is asked for."""

import os

import pytest

from aclnet_core.io_utils import atomic_write


def test_default_mode_is_umask_based_and_explicit_mode_wins(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "a.txt") as tmp:
            tmp.write_text("x")
        with atomic_write(tmp_path / "b.txt", mode=0o600) as tmp:
            tmp.write_text("y")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.txt").stat().st_mode & 0o777 == 0o600


def test_failure_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "c.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["c.txt"]
