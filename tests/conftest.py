"""Test set-up: headless Qt, a fixed torch thread count, and the path to ../shared (may be absent)."""

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"


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
