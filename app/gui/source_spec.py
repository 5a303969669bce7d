"""What the user picked as input (demo clip, synthetic stream, camera, file, recording, stream) and how to open it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from aclnet_core.errors import UserError
from app.sources import RECORDING_SUFFIXES, STREAM_SCHEMES, CaptureSource, Source, SyntheticSource

DEMO_SIZE = (640, 480)
KINDS = ("demo", "synthetic", "camera", "file", "recording", "stream")


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # one of KINDS
    value: str = ""  # path, camera index, URL, or the synthetic stream's seed (the demo clip: empty)

    @property
    def seekable(self) -> bool:
        """Files, recordings and the demo clip: play/pause, seek and speed. The others are live: start/stop."""
        return self.kind in ("file", "recording", "demo")

    @property
    def loops(self) -> bool:
        """The demo clip starts again when it ends."""
        return self.kind == "demo"

    @property
    def path(self) -> str | None:
        """The video file behind a file or the demo clip (what export reads); None for the others."""
        if self.kind == "demo":
            from app.demo import demo_clip_path

            return str(demo_clip_path())
        return self.value if self.kind == "file" else None

    @property
    def label(self) -> str:
        if self.kind == "demo":
            return "Demo clip (people walking, CC BY 4.0)"
        if self.kind == "synthetic":
            return "Synthetic person (generated)"
        if self.kind == "camera":
            return f"Camera {self.value}"
        if self.kind in ("file", "recording"):
            return Path(self.value).name
        return self.value

    @classmethod
    def demo(cls) -> SourceSpec:
        """The shipped real clip (app.demo)."""
        return cls("demo", "")

    @classmethod
    def synthetic(cls, seed: int = 0) -> SourceSpec:
        """The generated stick-figure stream (it knows the truth of what the person does)."""
        return cls("synthetic", str(seed))

    @classmethod
    def camera(cls, index: int) -> SourceSpec:
        return cls("camera", str(int(index)))

    @classmethod
    def parse(cls, text: str | Path) -> SourceSpec:
        """From a command-line or dropped string: 'demo', 'synthetic[:SEED]', a camera index, a stream URL, a
        recording or a video."""
        value = str(text).strip()
        if not value:
            raise UserError("no source given")
        if value.lower() == "demo":
            return cls.demo()
        if value.lower() == "synthetic" or value.lower().startswith("synthetic:"):
            try:
                return cls.synthetic(int(value.split(":", 1)[1]) if ":" in value else 0)
            except ValueError:
                raise UserError(f"bad synthetic seed in {value!r} (use synthetic:NUMBER)") from None
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
        if self.kind == "synthetic":
            source: Source = SyntheticSource(seed=int(self.value or 0), size=DEMO_SIZE, realtime=True)
        elif self.kind == "camera":
            source = CaptureSource(int(self.value))
        elif self.kind == "stream":
            source = CaptureSource(self.value)
        elif self.kind in ("file", "recording", "demo"):
            from app.gui.playback import PlaybackControl, PlaybackSource
            from app.sources import SkeletonReplaySource, VideoFileSource

            if self.kind == "recording":
                inner: Source = SkeletonReplaySource(self.value)
            else:
                inner = VideoFileSource(self.path, start=start)
            source = PlaybackSource(inner, control or PlaybackControl(), start)
        else:
            raise UserError(f"unknown source kind {self.kind!r}")
        return source.open()
