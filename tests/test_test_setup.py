"""The test set-up itself (tests/conftest.py): where shared data is found, and that slow tests are opt-in."""

from __future__ import annotations

from conftest import ROOT, SLOW_ENV, slow_enabled


def test_the_shared_data_folder_follows_the_environment(monkeypatch, tmp_path):
    """Data-dependent tests find ../shared, or $ACLNET_SHARED when set (tests/conftest.py)."""
    from conftest import SHARED_ENV, shared_root

    monkeypatch.setenv(SHARED_ENV, str(tmp_path))
    assert shared_root() == tmp_path
    monkeypatch.delenv(SHARED_ENV)
    assert shared_root() == ROOT.parent / "shared"


def test_slow_tests_are_opt_in(monkeypatch, pytestconfig):
    monkeypatch.delenv(SLOW_ENV, raising=False)
    assert slow_enabled(pytestconfig) is bool(pytestconfig.getoption("--runslow"))
    monkeypatch.setenv(SLOW_ENV, "1")
    assert slow_enabled(pytestconfig)
    monkeypatch.setenv(SLOW_ENV, "0")
    assert slow_enabled(pytestconfig) is bool(pytestconfig.getoption("--runslow"))
