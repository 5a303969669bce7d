"""`main.py gui` without a display: one line, exit code 2, before Qt is touched; the display check itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.gui.cli import NO_DISPLAY, display_problem

ROOT = Path(__file__).resolve().parents[1]
DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def _headless_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in DISPLAY_VARS}


@pytest.mark.parametrize("argv", [["gui"], [], ["gui", "demo"]])
def test_no_display_prints_a_one_line_hint_and_exits_2(argv):
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), *argv], env=_headless_env(), cwd=ROOT,
                         check=False, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert lines == [f"error: {NO_DISPLAY}"]
    assert "annotate" in lines[0] and "Xvfb" in lines[0]


def test_no_display_check_runs_before_qt_is_imported():
    code = ("import sys, runpy; sys.argv = ['main.py', 'gui']\n"
            "try:\n    runpy.run_path('main.py', run_name='__main__')\n"
            "except SystemExit as e:\n    print(e.code, 'PyQt6.QtWidgets' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code], env=_headless_env(), cwd=ROOT, check=False, capture_output=True, text=True,
                         timeout=60)
    assert run.stdout.split() == ["2", "False"]


@pytest.mark.parametrize(("env", "platform", "problem"), [
    ({}, "linux", NO_DISPLAY),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", None),
    ({"QT_QPA_PLATFORM": "minimal"}, "linux", None),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "linux", None),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", NO_DISPLAY),
    ({"QT_QPA_PLATFORM": "wayland;xcb"}, "linux", NO_DISPLAY),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", None),
    ({"DISPLAY": "remote:10.0"}, "linux", None),
    ({}, "win32", None),
    ({}, "darwin", None),
])
def test_display_problem(env, platform, problem):
    assert display_problem(env, platform) == problem


def test_a_local_display_without_its_x_server_is_reported():
    if not Path("/tmp/.X11-unix").is_dir():
        pytest.skip("no /tmp/.X11-unix here")
    number = next(n for n in range(900, 999) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    problem = display_problem({"DISPLAY": f":{number}"}, "linux")
    assert problem is not None and f"DISPLAY=:{number}" in problem and "annotate" in problem


def test_gui_is_the_default_command_and_a_missing_file_fails_fast(capsys):
    import main

    args = main.build_parser().parse_args(["gui", "demo", "--no-camera-probe", "--settings", "x.ini"])
    assert args.command == "gui" and args.source == "demo" and args.no_camera_probe and args.settings == "x.ini"
    assert main.main(["gui", str(ROOT / "no-such-video.mp4")]) == 2  # offscreen display (conftest): no window
    assert "input not found" in capsys.readouterr().err
