"""Show the real main window on an X server and save a screenshot taken from the X server's root window.

    DISPLAY=:99 QT_QPA_PLATFORM=xcb python tests/xvfb_check.py --out tests/artifacts/xvfb_window.png

Runs the synthetic stream with tiny random models (written to --models), waits until a person with a label is on
screen, grabs the window's area of the X screen and prints one JSON line: the Qt platform, the screenshot's pixel
spread (0 = blank) and its size. Exits 1 when the screenshot is blank. tests/test_gui_xvfb.py starts Xvfb and
runs this.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

MIN_SPREAD = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "artifacts" / "xvfb_window.png")
    parser.add_argument("--models", type=Path, help="folder for the tiny models (default: a temporary one)")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        print("xvfb_check: DISPLAY is not set", file=sys.stderr)
        return 2
    folder = args.models or Path(tempfile.mkdtemp(prefix="aclnet-xvfb-"))

    from PyQt6.QtCore import QEventLoop
    from PyQt6.QtWidgets import QApplication
    from test_gui_support import image_spread, tiny_models

    from app.gui.main_window import MainWindow
    from app.gui.settings import GuiSettings, open_store, save_settings
    from app.gui.source_spec import SourceSpec

    action, gait = tiny_models(folder)
    store_path = folder / "settings.ini"
    save_settings(GuiSettings(action_model=str(action), gait_model=str(gait), gallery=str(folder / "gallery.sqlite")),
                  open_store(store_path))
    app = QApplication([sys.argv[0]])
    window = MainWindow(open_store(store_path), source=SourceSpec.synthetic(), probe_cameras=False)
    window.resize(1024, 640)
    window.show()

    def spin(seconds: float, until=lambda: False) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if until():
                return True
        return until()

    def labelled() -> bool:
        view = window.last_view
        return view is not None and any(p.label for p in view.result.predictions.values())

    try:
        ready = spin(args.timeout, labelled)
        spin(0.5)  # let the last frame reach the X server
        geometry = window.frameGeometry()
        shot = window.screen().grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shot.save(str(args.out))
        spread = image_spread(shot.toImage())
        print(json.dumps({"platform": app.platformName(), "spread": round(spread, 2), "labelled": ready,
                          "size": [shot.width(), shot.height()], "frames": window.video.frames_shown,
                          "screenshot": str(args.out)}))
    finally:
        window.close()
    return 0 if spread > MIN_SPREAD and ready else 1


if __name__ == "__main__":
    sys.exit(main())
