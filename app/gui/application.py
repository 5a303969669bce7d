"""The Qt application around the main window: excepthook (errors are shown, never a crash) and Ctrl+C."""

from __future__ import annotations

import logging
import signal
import sys
import traceback
from pathlib import Path

log = logging.getLogger(__name__)


def install_excepthook(window) -> object:
    """Unexpected exceptions in Qt callbacks: logged with their traceback and shown in one line in the window.

    (PyQt6 aborts the process on an exception in a slot unless sys.excepthook is replaced.) Returns the old hook.
    """
    previous = sys.excepthook

    def hook(exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            window.close()
            return
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        try:
            window.show_error(f"unexpected error: {exc_type.__name__}: {exc}", dialog=True)
        except Exception:
            log.debug("could not show the error in the window", exc_info=True)

    sys.excepthook = hook
    return previous


def run_app(source=None, settings_path: str | Path | None = None, probe_cameras: bool = True) -> int:
    """Show the main window until it is closed; returns the exit code."""
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow
    from app.gui.settings import APPLICATION, ORGANIZATION, open_store

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    window = MainWindow(open_store(settings_path), source=source, probe_cameras=probe_cameras)
    previous = install_excepthook(window)
    signal.signal(signal.SIGINT, lambda *_: window.close())  # Ctrl+C in the terminal closes cleanly
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)  # lets Python see the signal while Qt's loop runs
    ticker.start(200)
    window.show()
    try:
        return int(app.exec())
    finally:
        sys.excepthook = previous
        ticker.stop()
