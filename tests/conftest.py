"""Test set-up: headless Qt, a fixed torch thread count, where the shared data lives, and opt-in slow tests.

Shared data (real clips, NW-UCLA) is looked up in `$ACLNET_SHARED`, else in `../shared` beside the repository.
Tests that need it use `needs_shared(...)` (a skipif mark) or `skip_without_shared(...)`; both skip with a reason
that starts with `MISSING_DATA`, and the end of the session lists every test skipped that way, so a CI run on a
machine without the data says what it did not check.

Tests marked `@pytest.mark.slow` (minutes: the headline-number regressions) run only with `--runslow` or
`ACLNET_SLOW=1`; a plain `python -m pytest -q` skips them and says how to run them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED_ENV = "ACLNET_SHARED"
SLOW_ENV = "ACLNET_SLOW"
MISSING_DATA = "missing shared data:"
SLOW_REASON = f"slow: run with --runslow or {SLOW_ENV}=1"


def shared_root() -> Path:
    """The shared data folder: $ACLNET_SHARED, else ../shared beside the repository (it may not exist)."""
    env = os.environ.get(SHARED_ENV, "").strip()
    return Path(env).expanduser() if env else ROOT.parent / "shared"


SHARED = shared_root()


def _missing(parts: tuple[str, ...]) -> str | None:
    absent = [p for p in parts if not (SHARED / p).exists()]
    if not absent:
        return None
    return f"{MISSING_DATA} {', '.join(absent)} not in {SHARED} (set {SHARED_ENV} to the shared data folder)"


def needs_shared(*parts: str) -> pytest.MarkDecorator:
    """A skipif mark for a test that reads these paths (relative to the shared folder)."""
    reason = _missing(parts)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def skip_without_shared(*parts: str) -> Path:
    """Inside a test: skip unless the paths exist; returns the shared folder."""
    reason = _missing(parts)
    if reason is not None:
        pytest.skip(reason)
    return SHARED


def shipped_model(task: str):
    """(path, ModelMetadata) of the shipped model of a task (assets/models/<task>.onnx, else .pt). The models are
    part of the product: a missing one fails, it does not skip."""
    from app.recogniser import default_model_path

    path = default_model_path(task)
    if path.suffix == ".onnx":
        from aclnet_core.runtime.onnx_runtime import read_onnx_metadata
        return path, read_onnx_metadata(path)
    from aclnet_core.model.checkpoint import load_checkpoint
    return path, load_checkpoint(path)["meta"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False,
                     help=f"also run tests marked slow (the same as {SLOW_ENV}=1)")


def slow_enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("--runslow")) or os.environ.get(SLOW_ENV, "") not in ("", "0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if slow_enabled(config):
        return
    skip_slow = pytest.mark.skip(reason=SLOW_REASON)
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip_slow)


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    missing = [(r.nodeid, _skip_reason(r)) for r in skipped if MISSING_DATA in _skip_reason(r)]
    slow = [r.nodeid for r in skipped if SLOW_REASON in _skip_reason(r)]
    if missing:
        terminalreporter.section(f"skipped for missing shared data ({SHARED})")
        for nodeid, reason in missing:
            terminalreporter.line(f"{nodeid}: {reason.split(MISSING_DATA, 1)[1].strip()}")
    if slow:
        terminalreporter.section("slow tests not run")
        terminalreporter.line(f"{len(slow)} slow tests skipped ({SLOW_REASON}): " + ", ".join(slow))


@pytest.fixture(scope="session", autouse=True)
def _torch_threads():
    """One torch thread: on a shared 2-core machine an OpenMP barrier waiting for a descheduled thread costs
    seconds per forward pass; no result depends on the thread count."""
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    yield


@pytest.fixture
def shared_dir() -> Path:
    return SHARED


@pytest.fixture(autouse=True)
def _private_action_library(tmp_path, monkeypatch):
    """Every test gets its own action library (the GUI opens one at start), never the user's."""
    monkeypatch.setenv("ACLNET_ACTIONS", str(tmp_path / "actions.sqlite"))
    yield
