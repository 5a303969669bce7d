"""Real time in the real window (not a test; numbers for docs/RESULTS.md):

    QT_QPA_PLATFORM=offscreen python tests/gui_realtime_check.py [--seconds 20] [--speed 1] [--clip PATH]
        [--num-persons 2] [--pose-model full] [--load N]

Opens the window on the shipped demo clip (or --clip) with the shipped models and MediaPipe, and reports the time
to the first frame, the time to the first posed frame, how much clip time passed per wall second, the frames
shown, and the dropped frames the Stats panel reports (each shown or dropped frame is counted once, so shown +
dropped must add up to the frames the clip played). --load N runs N busy processes meanwhile.
"""

from __future__ import annotations

import time

PROCESS_T0 = time.perf_counter()  # before Qt and the app are imported

import argparse
import json
import multiprocessing
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _burn(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10000))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--clip")
    parser.add_argument("--num-persons", type=int, default=2)
    parser.add_argument("--pose-model", default="full")
    parser.add_argument("--load", type=int, default=0)
    args = parser.parse_args()
    from PyQt6.QtCore import QEventLoop
    from PyQt6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow
    from app.gui.settings import GuiSettings, open_store, save_settings
    from app.gui.source_spec import SourceSpec

    tmp = Path(tempfile.mkdtemp(prefix="aclnet-rt-"))
    store = tmp / "settings.ini"
    save_settings(GuiSettings(gallery=str(tmp / "g.sqlite"), num_persons=args.num_persons,
                              pose_model=args.pose_model), open_store(store))
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=_burn, args=(stop,), daemon=True) for _ in range(args.load)]
    for p in burners:
        p.start()
    app = QApplication([sys.argv[0]])
    spec = SourceSpec.parse(args.clip) if args.clip else SourceSpec.demo()
    started = time.perf_counter()
    window = MainWindow(open_store(store), source=spec, probe_cameras=False)
    window.set_speed(args.speed)
    window.resize(1280, 760)
    window.show()

    def spin(seconds: float, until=lambda: False) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if until():
                return True
        return until()

    report: dict = {"clip": spec.label, "speed": args.speed, "num_persons": args.num_persons,
                    "pose_model": args.pose_model, "load_processes": args.load}
    spin(30, lambda: window.last_view is not None)
    report["first_frame_s"] = round(time.perf_counter() - started, 2)
    report["first_frame_from_imports_s"] = round(time.perf_counter() - PROCESS_T0, 2)
    spin(60, lambda: window.last_view is not None and not window.last_view.preview)
    report["first_posed_frame_s"] = round(time.perf_counter() - started, 2)
    spin(1.0)  # the Stats panel updates twice a second
    dropped0 = int(window.stats_panel.text("dropped"))
    shown0, p0, t0 = window.video.frames_shown, window.last_view.position, time.perf_counter()
    spin(args.seconds)
    elapsed = time.perf_counter() - t0
    p1 = window.last_view.position
    report.update(wall_s=round(elapsed, 2), clip_s=round(p1 - p0, 2), clip_per_wall=round((p1 - p0) / elapsed, 3),
                  frames_shown=window.video.frames_shown - shown0,
                  shown_fps=round((window.video.frames_shown - shown0) / elapsed, 1),
                  dropped=int(window.stats_panel.text("dropped")) - dropped0,
                  stats_fps=window.stats_panel.text("fps"), pose_ms=window.stats_panel.text("pose"))
    fps = window.session_info.fps if window.session_info else None
    if fps:
        report["clip_frames_played"] = round((p1 - p0) * fps)
    window.close()
    stop.set()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
