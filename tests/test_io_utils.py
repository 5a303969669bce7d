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


def test_stale_temp_files_of_killed_writers_are_removed(tmp_path):
    """A writer killed with SIGKILL leaves its hidden temp file; the next write to that target removes it, but
    never the temp file of a writer that is still running (it holds a lock)."""
    import subprocess
    import sys
    import time

    target = tmp_path / "model.onnx"
    code = ("import sys, time; sys.path.insert(0, sys.argv[2]); from aclnet_core.io_utils import atomic_write\n"
            "with atomic_write(sys.argv[1]) as tmp:\n    tmp.write_text('half'); print('ready', flush=True); "
            "time.sleep(60)\n")
    root = str(__import__("pathlib").Path(__file__).resolve().parents[1])
    proc = subprocess.Popen([sys.executable, "-c", code, str(target), root], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    [part] = list(tmp_path.glob(".model.onnx.*.part.onnx"))
    old = time.time() - 60
    os.utime(part, (old, old))
    with atomic_write(target) as tmp:               # the writer still runs: its temp file stays
        tmp.write_text("one")
    assert part.exists()
    proc.kill()
    proc.wait()
    other = tmp_path / ".other.onnx.x.part.onnx"     # another target's temp file is not touched
    other.write_text("x")
    os.utime(other, (old, old))
    with atomic_write(target) as tmp:
        tmp.write_text("two")
    assert not part.exists() and other.exists() and target.read_text() == "two"


def test_oserror_while_writing_is_a_one_line_user_error(tmp_path):
    import errno

    from aclnet_core.errors import UserError

    target = tmp_path / "out.json"
    with pytest.raises(UserError, match="cannot write .*No space left on device"), atomic_write(target) as tmp:
        tmp.write_text("x")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_an_input_is_refused(tmp_path):
    from aclnet_core.errors import UserError
    from aclnet_core.io_utils import check_not_input

    src = tmp_path / "in.mp4"
    src.write_text("video")
    (tmp_path / "link.mp4").symlink_to(src)
    for out in (src, tmp_path / "." / "in.mp4", tmp_path / "link.mp4"):
        with pytest.raises(UserError, match="refusing to write"):
            check_not_input(out, [None, src])
    check_not_input(tmp_path / "out.mp4", [src])
