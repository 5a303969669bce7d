"""Screenshots of the real window for docs/ (run under Xvfb; not a test):

    xvfb-run -a -s "-screen 0 1400x900x24" python tests/xvfb_screenshots.py --out docs/screenshots

Uses the shipped models and MediaPipe on the shipped demo clip, and the two-person clip from ../shared/media
when it is there (research-licensed footage: its picture is masked in the shot, only the skeletons show). Each shot is grabbed from the X server (QScreen.grabWindow) and saved as a small PNG.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TWO_PEOPLE = ROOT.parent / "shared" / "media" / "mmaction2_demo_skeleton.mp4"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from PyQt6.QtCore import QEventLoop
    from PyQt6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow
    from app.gui.settings import GuiSettings, open_store, save_settings
    from app.gui.source_spec import SourceSpec

    tmp = Path(tempfile.mkdtemp(prefix="aclnet-shots-"))
    os.environ["ACLNET_EXPORT_DIR"] = str(tmp / "Videos")
    store = tmp / "settings.ini"
    save_settings(GuiSettings(gallery=str(tmp / "gallery.sqlite"), recordings_dir=str(tmp / "rec")), open_store(store))
    app = QApplication([sys.argv[0]])
    window = MainWindow(open_store(store), source=SourceSpec.demo(), probe_cameras=False)
    window.resize(1280, 760)
    window.move(0, 0)
    window.show()

    def spin(seconds: float, until=lambda: False) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if until():
                return True
        return until()

    def shot(name: str, widget=None) -> None:
        spin(0.4)
        widget = widget or window
        geometry = widget.frameGeometry()
        pixmap = app.primaryScreen().grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
        path = args.out / name
        pixmap.scaledToWidth(min(800, pixmap.width())).save(str(path))
        print(f"{path}: {path.stat().st_size // 1024} KiB")

    def people(n: int) -> bool:
        view = window.last_view
        return view is not None and not view.preview and len(view.result.tracks) >= n

    def labelled() -> bool:
        view = window.last_view
        return view is not None and any(p.label for p in view.result.predictions.values())

    try:
        started = time.perf_counter()
        spin(10, lambda: window.last_view is not None)
        print(f"first frame after {time.perf_counter() - started:.2f} s")
        window.seek(11.0)
        spin(60, lambda: labelled() and window.last_view.position > 14)
        shot("gui_demo_clip.png")
        window.controls.play_button.click()  # pause
        window.seek(12.0)
        spin(20, lambda: people(1) and abs(window.last_view.position - 12.0) < 0.2)
        shot("gui_paused_seek.png")
        window.controls.play_button.click()  # play again
        if TWO_PEOPLE.is_file():  # research-licensed footage: only the skeletons are shown, the picture is masked
            from app.gui import worker

            render = worker.render_result

            def masked(result, *a, **k):
                if result.frame.image is not None and "mmaction2" in str(window.session.spec.value):
                    result.frame.image[:] = (48, 48, 48)
                return render(result, *a, **k)

            worker.render_result = masked
            window.open_path(TWO_PEOPLE)
            window.set_speed(0.25)
            spin(60, lambda: people(2) and window.last_view.position > 0.6)
            window.controls.play_button.click()
            shot("gui_two_people.png")
            window.controls.play_button.click()
            window.set_speed(1.0)
        window.start_source(SourceSpec.demo())
        spin(20, lambda: people(1))
        dialog = window.open_export_dialog()
        dialog.start_button.click()
        dialog.reject()  # hidden: the export goes on, the status bar shows it
        spin(20, lambda: window.export_status.bar.value() > 20)
        shot("gui_export_background.png")
        dialog.cancel()
        spin(5, lambda: not dialog.running)
        settings = window.open_settings_dialog()
        settings.backend.showPopup()
        spin(1.0)
        shot("gui_settings_backends.png")
        settings.backend.hidePopup()
        settings.reject()
        window.start_recording("walk", tmp / "rec", min_frames=4)
        spin(10, lambda: window.recorder is not None and window.recorder.frames > 20)
        shot("gui_recording.png")
        window.stop_recording()
        broken = tmp / "broken.mp4"
        broken.write_bytes(b"not a video" * 100)
        window.open_path(broken)
        spin(10, lambda: window.last_error is not None)
        for widget in app.topLevelWidgets():  # the message box about it
            if widget is not window and widget.isVisible() and widget.windowTitle() == "ACLNet Live":
                widget.move(420, 300)
        shot("gui_failed_source.png")
    finally:
        window.close()
        spin(1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
