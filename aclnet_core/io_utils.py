"""Atomic file writes: what the product writes is complete or absent."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from aclnet_core.errors import UserError

PART_SUFFIX = ".part"


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on failure it is removed.

    `mode` (e.g. 0o600 for biometric data) is applied before the file becomes visible under its final name;
    by default the file gets the usual permissions (0o666 minus the umask), not mkstemp's 0o600.
    The temp file is locked while it is written, so temp files of killed writers (no lock) are removed by the
    next write to the same target. An OSError while writing (disk full, quota, I/O error) is a UserError.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(path)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PART_SUFFIX + path.suffix, dir=parent)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    _lock(fd)                                  # held until the file is replaced or removed
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


def _lock(fd: int) -> bool:
    """An exclusive, non-blocking advisory lock on `fd`; False when another process holds one."""
    try:
        import fcntl
    except ImportError:                       # Windows: no advisory locks; stale files are judged by age
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def remove_stale_parts(path: str | Path, min_age_s: float = 5.0) -> list[Path]:
    """Remove temp files that `atomic_write` left beside `path` when its writer was killed (SIGKILL, power loss).

    A temp file is stale when no process holds its lock (where locks exist) and it is at least `min_age_s` old
    (where they do not: one hour). Returns the removed paths.
    """
    import time

    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        import fcntl  # noqa: F401
        min_age = min_age_s
    except ImportError:
        min_age = 3600.0
    removed = []
    for part in parent.glob(f".{glob_escape(path.name)}.*{PART_SUFFIX}{glob_escape(path.suffix)}"):
        try:
            if time.time() - part.stat().st_mtime < min_age:
                continue
            fd = os.open(part, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _lock(fd):
                part.unlink(missing_ok=True)
                removed.append(part)
        finally:
            os.close(fd)
    return removed


def glob_escape(text: str) -> str:
    """`text` with glob wildcards escaped."""
    import glob

    return glob.escape(text)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def check_writable(path: str | Path) -> None:
    """Fail early, with a one-line error, when `path` cannot be created."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError(f"cannot write {path}: it is a directory")
    if parent.exists() and not parent.is_dir():
        raise UserError(f"cannot write {path}: {parent} is not a directory")
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise UserError(f"cannot write {path}: permission denied")


def check_not_input(output: str | Path, inputs: Iterable[str | Path | None], flag: str = "-o") -> None:
    """UserError when `output` is one of the `inputs` (same file, or the same resolved path): a product never
    overwrites what it reads."""
    out = Path(output)
    for item in inputs:
        if item is None or str(item) == "":
            continue
        src = Path(item)
        same = False
        try:
            same = out.exists() and src.exists() and os.path.samefile(out, src)
        except OSError:
            pass
        if same or out.expanduser().resolve() == src.expanduser().resolve():
            raise UserError(f"refusing to write {out}: it is the input {src} (choose another {flag})")


def check_output_dir(folder: str | Path) -> None:
    """Create `folder` if needed and prove a file can be written in it; a one-line UserError otherwise (a file in
    the way, a read-only place). Call it before long work whose results go there."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"cannot write into {folder}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UserError(f"cannot write into {folder}: {exc.strerror or exc}") from None
