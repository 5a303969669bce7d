"""Where the gallery lives: --gallery, else $ACLNET_GALLERY, else the user data directory."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "aclnet-live"
GALLERY_ENV = "ACLNET_GALLERY"
GALLERY_FILENAME = "gallery.sqlite"


def default_gallery_path() -> Path:
    """`<user data dir>/aclnet-live/gallery.sqlite` (platformdirs: ~/.local/share on Linux, AppData on Windows)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / GALLERY_FILENAME


def resolve_gallery_path(explicit: str | os.PathLike | None = None) -> Path:
    """The gallery path to use: an explicit path wins, then the ACLNET_GALLERY variable, then the default."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(GALLERY_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return default_gallery_path()
