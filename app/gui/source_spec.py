"""What the user picked as input (demo, camera, file, recording, stream) and how to open it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from aclnet_core.errors import UserError
from app.sources import RECORDING_SUFFIXES, STREAM_SCHEMES, CaptureSource, Source, SyntheticSource

DEMO_SIZE = (640, 480)
KINDS = ("demo", "camera", "file", "recording", "stream")


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # one of KINDS
    value: str = ""  # path, camera index, URL, or the demo's seed

    @property
    def seekable(self) -> bool:
        """Files and recordings: play/pause, seek and speed. The others are live: start/stop."""
        return self.kind in ("file", "recording")

    @property
    def label(self) -> str:
        if self.kind == "demo":
            return "Demo (synthetic person)"
        if self.kind == "camera":
            return f"Camera {self.value}"
        if self.kind in ("file", "recording"):
            return Path(self.value).name
        return self.value

    @classmethod
    def demo(cls, seed: int = 0) -> SourceSpec:
        return cls("demo", str(seed))

    @classmethod
    def camera(cls, index: int) -> SourceSpec:
        return cls("camera", str(int(index)))

    @classmethod
    def parse(cls, text: str | Path) -> SourceSpec:
        """From a command-line or dropped string: 'demo', a camera index, a stream URL, a recording or a video."""
        value = str(text).strip()
        if not value:
            raise UserError("no source given")
        if value.lower() in ("demo", "synthetic") or value.lower().startswith("synthetic:"):
            return cls.demo(int(value.split(":", 1)[1]) if ":" in value else 0)
        if re.fullmatch(r"\d{1,2}", value):
            return cls.camera(int(value))
        if value.lower().startswith(STREAM_SCHEMES):
            return cls("stream", value)
        if value.startswith("file://"):
            from urllib.parse import unquote, urlparse

            value = unquote(urlparse(value).path)
        path = Path(value).expanduser()
        kind = "recording" if path.suffix.lower() in RECORDING_SUFFIXES else "file"
        return cls(kind, str(path))

    def open(self, control=None, start: float = 0.0) -> Source:
        """The opened source (UserError on bad input). Files and recordings play through `control`."""
        if self.kind == "demo":
            source: Source = SyntheticSource(seed=int(self.value or 0), size=DEMO_SIZE, realtime=True)
        elif self.kind == "camera":
            source = CaptureSource(int(self.value))
        elif self.kind == "stream":
            source = CaptureSource(self.value)
        elif self.kind in ("file", "recording"):
            from app.gui.playback import PlaybackControl, PlaybackSource
            from app.sources import SkeletonReplaySource, VideoFileSource

            inner = VideoFileSource(self.value, start=start) if self.kind == "file" else SkeletonReplaySource(self.value)
            source = PlaybackSource(inner, control or PlaybackControl(), start)
        else:
            raise UserError(f"unknown source kind {self.kind!r}")
        return source.open()
