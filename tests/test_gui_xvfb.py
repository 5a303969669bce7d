"""A real X window renders: start Xvfb (skipped when it is not installed), run tests/xvfb_check.py on it, and
check that the screenshot taken from the X server is not blank (tests/artifacts/xvfb_window.png)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
XVFB = shutil.which("Xvfb")
pytestmark = pytest.mark.skipif(XVFB is None, reason="Xvfb is not installed (apt-get install xvfb)")


def _free_display(first: int = 99) -> int:
    for number in range(first, first + 50):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    pytest.skip("no free X display number")


@pytest.fixture
def xvfb_display():
    number = _free_display()
    server = subprocess.Popen([XVFB, f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if server.poll() is not None:
                pytest.fail(f"Xvfb :{number} exited: {server.stderr.read().decode(errors='replace')[-500:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"Xvfb :{number} did not start within 15 s")
            time.sleep(0.05)
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def test_a_real_x_window_renders_under_xvfb(xvfb_display, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb")
    out = ROOT / "tests" / "artifacts" / "xvfb_window.png"
    out.unlink(missing_ok=True)
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "xvfb_check.py"), "--out", str(out), "--models",
                          str(tmp_path)], env=env, cwd=ROOT, check=False, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, (f"xvfb_check failed (rc {run.returncode}); Qt's xcb plugin needs libxcb-cursor0 "
                                 f"and friends (see .ci/run):\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["platform"] == "xcb" and report["labelled"]
    assert report["spread"] > 10 and report["size"][0] >= 640 and out.is_file()


def test_main_py_gui_opens_on_x_and_ctrl_c_closes_it_cleanly(xvfb_display, tmp_path):
    import signal

    sys.path.insert(0, str(ROOT / "tests"))
    from test_gui_support import tiny_models

    from app.gui.settings import GuiSettings, open_store, save_settings

    action, gait = tiny_models(tmp_path)
    settings = tmp_path / "settings.ini"
    save_settings(GuiSettings(action_model=str(action), gait_model=str(gait), gallery=str(tmp_path / "g.sqlite")),
                  open_store(settings))
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=xvfb_display)
    log = tmp_path / "gui.log"
    with log.open("w") as sink:
        gui = subprocess.Popen([sys.executable, "main.py", "gui", "demo", "--no-camera-probe", "--settings",
                                str(settings)], env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while "loaded gait model" not in log.read_text() and gui.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert gui.poll() is None, log.read_text()
            time.sleep(1.0)  # let it play a little
            gui.send_signal(signal.SIGINT)
            assert gui.wait(30) == 0, log.read_text()
        finally:
            if gui.poll() is None:
                gui.kill()
                gui.wait(5)
    assert "Traceback" not in log.read_text()
