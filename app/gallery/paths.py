"""Where the gallery (and the action library) live: an option, else an environment variable, else the user data
directory."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "aclnet-live"
GALLERY_ENV = "ACLNET_GALLERY"
GALLERY_FILENAME = "gallery.sqlite"


def user_data_file(filename: str) -> Path:
    """`<user data dir>/aclnet-live/FILENAME` (platformdirs: ~/.local/share on Linux, AppData on Windows)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / filename


def resolve_user_file(explicit: str | os.PathLike | None, env: str, filename: str) -> Path:
    """An explicit path wins, then the environment variable `env`, then `<user data dir>/aclnet-live/FILENAME`."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(env, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return user_data_file(filename)


def default_gallery_path() -> Path:
    """`<user data dir>/aclnet-live/gallery.sqlite`."""
    return user_data_file(GALLERY_FILENAME)


def resolve_gallery_path(explicit: str | os.PathLike | None = None) -> Path:
    """The gallery path to use: an explicit path wins, then the ACLNET_GALLERY variable, then the default."""
    return resolve_user_file(explicit, GALLERY_ENV, GALLERY_FILENAME)
