"""GUI settings (models, pose, windows, thresholds, backend, persons, folders), persisted with QSettings.

`GuiSettings` is a plain dataclass; `load_settings` / `save_settings` move it in and out of a QSettings store
(the user's native store by default, an INI file when a path is given, as the tests do).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from PyQt6.QtCore import QSettings

ORGANIZATION = "ACLNet"
APPLICATION = "ACLNet Live"
BACKENDS = ("auto", "tensorrt", "onnxruntime-trt", "onnxruntime-cuda", "onnxruntime-cpu", "torch", "torch-cpu",
            "torch-cuda")
POSE_MODELS = ("lite", "full")
_GROUP = "settings"


@dataclass(frozen=True)
class GuiSettings:
    """Everything the settings dialog edits. Empty paths mean "the default"."""

    action_model: str = ""  # '' = the shipped assets/models/action.*
    gait_model: str = ""  # '' = the shipped assets/models/gait.*
    gallery: str = ""  # '' = $ACLNET_GALLERY or the user data directory
    backend: str = "auto"
    pose_model: str = "lite"  # 'lite' | 'full' (lite keeps up on a laptop CPU)
    num_persons: int = 2  # several people: VIDEO mode + IMAGE-mode re-detection, merged; 1: VIDEO mode only
    window: int = 0  # samples per window; 0 = the model's
    stride: int = 8  # samples between two windows of a track
    label_threshold: float = 0.5  # smoothed probability needed to show a label
    exit_threshold: float = 0.35  # a shown label is kept while it stays above this
    identity_threshold: float | None = None  # None = the gait model's calibrated threshold
    recordings_dir: str = ""  # '' = <user data dir>/aclnet-live/recordings
    enrol_seconds: float = 10.0
    enrol_countdown: int = 3
    last_dir: str = ""  # folder of the last opened file

    def validated(self) -> GuiSettings:
        """The same settings with every value clamped into its valid range."""
        enter = min(0.99, max(0.01, float(self.label_threshold)))
        identity = self.identity_threshold
        if identity is not None:
            identity = min(1.0, max(-1.0, float(identity)))
        return replace(
            self,
            backend=self.backend if self.backend in BACKENDS else "auto",
            pose_model=self.pose_model if self.pose_model in POSE_MODELS or Path(self.pose_model).suffix == ".task"
            else "lite",
            num_persons=min(8, max(1, int(self.num_persons))),
            window=0 if int(self.window) <= 0 else min(512, max(4, int(self.window))),
            stride=min(256, max(1, int(self.stride))),
            label_threshold=enter,
            exit_threshold=min(enter, max(0.0, float(self.exit_threshold))),
            identity_threshold=identity,
            enrol_seconds=min(120.0, max(1.0, float(self.enrol_seconds))),
            enrol_countdown=min(10, max(0, int(self.enrol_countdown))),
        )

    def smoothing(self):
        from app.smoothing import SmoothingOptions

        return SmoothingOptions(enter_threshold=self.label_threshold, exit_threshold=self.exit_threshold)

    def recogniser_options(self):
        from app.recogniser import RecogniserOptions

        return RecogniserOptions(stride=self.stride, smoothing=self.smoothing())

    def pose_options(self):
        from app.pose import PoseOptions

        return PoseOptions(model=self.pose_model, num_poses=self.num_persons)

    def gallery_path(self) -> Path:
        from app.gallery.paths import resolve_gallery_path

        return resolve_gallery_path(self.gallery or None)

    def recordings_path(self) -> Path:
        if self.recordings_dir:
            return Path(self.recordings_dir).expanduser()
        from platformdirs import user_data_dir

        from app.gallery.paths import APP_NAME

        return Path(user_data_dir(APP_NAME, appauthor=False)) / "recordings"


def open_store(path: str | Path | None = None) -> QSettings:
    """The QSettings store: the user's native one, or an INI file at `path`."""
    if path is None:
        return QSettings(ORGANIZATION, APPLICATION)
    return QSettings(str(path), QSettings.Format.IniFormat)


def load_settings(store: QSettings) -> GuiSettings:
    """Read the settings (missing or malformed values fall back to the defaults)."""
    defaults = GuiSettings()
    values = {}
    store.beginGroup(_GROUP)
    try:
        for f in fields(GuiSettings):
            if not store.contains(f.name):
                continue
            raw = store.value(f.name)
            default = getattr(defaults, f.name)
            try:
                values[f.name] = _parse(raw, default, f.name)
            except (TypeError, ValueError):
                continue
    finally:
        store.endGroup()
    return replace(defaults, **values).validated()


def _parse(raw, default, name: str):
    if name == "identity_threshold":
        return None if raw in (None, "", "auto") else float(raw)
    if isinstance(default, bool):
        return str(raw).lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(float(raw))
    if isinstance(default, float):
        return float(raw)
    return "" if raw is None else str(raw)


def save_settings(settings: GuiSettings, store: QSettings) -> None:
    """Write the settings and flush them to disk."""
    store.beginGroup(_GROUP)
    try:
        for f in fields(GuiSettings):
            value = getattr(settings, f.name)
            store.setValue(f.name, "auto" if value is None else value)
    finally:
        store.endGroup()
    store.sync()
