"""The shipped demo clip: a real CC BY 4.0 video of people walking through a room (assets/media/ATTRIBUTION).

`annotate --demo` and the window without a camera play it; the synthetic stream stays available as the
source `synthetic` (it knows what the person does, so it reports ground-truth agreement).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from aclnet_core.errors import UserError

DEMO_CLIP = "intel_one_by_one_person_detection.mp4"
DEMO_CREDIT = '"one-by-one-person-detection.mp4" by Intel Corporation (intel-iot-devkit/sample-videos), CC BY 4.0'
DEMO_FPS = 10.0
DEMO_SECONDS = 30.0  # `annotate --demo` annotates this much by default (`--demo-full`: all 139 s)


def demo_clip_path() -> Path:
    """The path of the shipped demo clip (UserError when the package lacks it)."""
    try:
        path = Path(str(importlib.resources.files("assets.media").joinpath(DEMO_CLIP)))
    except ModuleNotFoundError:
        path = Path(__file__).resolve().parents[1] / "assets" / "media" / DEMO_CLIP
    if not path.is_file():
        raise UserError(f"the demo clip is missing ({path}); reinstall the package")
    return path


def is_synthetic_spec(text: str) -> bool:
    """'synthetic' or 'synthetic:SEED' (the generated stick-figure stream)."""
    value = text.strip().lower()
    return value == "synthetic" or value.startswith("synthetic:")
