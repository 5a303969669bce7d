"""`main.py gui`: the desktop window (the default command). Checks for a display before Qt is touched.

Without a display Qt would abort the process; instead the command prints one line pointing to `annotate`
(or to a desktop / Xvfb) and exits with 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from aclnet_core.cli_types import source_arg
from aclnet_core.errors import UserError

NO_DISPLAY = "no display found: use 'python main.py annotate …' for files, or run under a desktop / Xvfb"
DISPLAYLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb")


def display_problem(env: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why no window can be shown (one line), or None when a display is there.

    Linux/BSD need DISPLAY or WAYLAND_DISPLAY, unless QT_QPA_PLATFORM names a platform without one
    (offscreen, minimal, vnc, eglfs, linuxfb). A local X display (DISPLAY=:N) must have its server socket.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None  # Windows and macOS always have a window system
    requested = [p.split(":", 1)[0].strip().lower() for p in env.get("QT_QPA_PLATFORM", "").split(";") if p.strip()]
    if any(p in DISPLAYLESS_PLATFORMS for p in requested):
        return None
    if env.get("WAYLAND_DISPLAY", "").strip():
        return None
    display = env.get("DISPLAY", "").strip()
    if not display:
        return NO_DISPLAY
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if local and Path("/tmp/.X11-unix").is_dir() and not Path(f"/tmp/.X11-unix/X{local.group(1)}").exists():
        return f"no X server answers at DISPLAY={display}: " + NO_DISPLAY.split(": ", 1)[1]
    return None


def add_gui_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "gui", help="the desktop window (default): live camera, files, the demo clip, gallery, export",
        description="Open the ACLNet Live window: skeletons, action labels and identities on a camera, a video "
                    "file, a skeleton recording, the shipped demo clip (the default without a camera) or the synthetic stream.")
    parser.add_argument("source", nargs="?", type=source_arg, help="what to show first: a video file, a recording (.npz), "
                        "a camera index, a stream URL, 'demo' (the shipped clip) or 'synthetic' (default: the first "
                        "camera, else the demo clip)")
    parser.add_argument("--settings", metavar="INI", help="keep the settings in this INI file instead of the "
                        "user's settings store")
    parser.add_argument("--no-camera-probe", action="store_true", help="do not look for cameras at start-up")
    parser.set_defaults(func=run_gui)
    return parser


def run_gui(args: argparse.Namespace) -> int:
    problem = display_problem()
    if problem:
        raise UserError(problem)
    source = getattr(args, "source", None)
    if source:
        from app.gui.source_spec import SourceSpec

        spec = SourceSpec.parse(source)
        if spec.kind in ("file", "recording") and not Path(spec.value).is_file():
            raise UserError(f"input not found: {spec.value}")
        source = spec
    from app.gui.application import run_app

    return run_app(source=source, settings_path=args.settings, probe_cameras=not args.no_camera_probe)
