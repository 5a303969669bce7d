"""What an action model shows on real footage: per clip, the share of person-frames under each shown label and the
share with a confident (score >= 0.9) class label. A benchmark, not a test (docs/RESULTS.md records its runs).

    python -m app.real_clip_check CLIP… [--model M] [--json OUT.json]

Runs each clip through the same pipeline and decision as ``annotate`` (pose, tracking, windows, recogniser with
its calibration and open-set gate, label smoothing) without writing a video.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from aclnet_core.errors import UserError

NO_LABEL = "no_action"


def check_clip(path: str, options) -> dict:
    """Shown-label statistics of one clip (person-frames: one per tracked person per frame)."""
    from app.annotate import annotate_video, build_recogniser

    shown: Counter[str] = Counter()
    confident = 0
    frames = 0

    def on_frame(result) -> None:
        nonlocal confident, frames
        frames += 1
        for track in result.tracks:
            p = result.predictions.get(track.track_id)
            if p is None:
                continue
            label = p.label or NO_LABEL
            shown[label] += 1
            if label != NO_LABEL and p.score is not None and p.score >= 0.9:
                confident += 1

    recogniser = build_recogniser(options)
    with tempfile.TemporaryDirectory() as tmp:
        annotate_video(path, Path(tmp) / "out.mp4", options, recogniser=recogniser, on_frame=on_frame)
    total = sum(shown.values())
    return {
        "clip": Path(path).name, "frames": frames, "person_frames": total,
        "shown": {k: round(v / total, 4) for k, v in shown.most_common()} if total else {},
        "confident_class_share": round(confident / total, 4) if total else 0.0,
        "model_id": getattr(recogniser.meta, "model_id", None),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m app.real_clip_check", description=__doc__.split("\n\n")[0])
    p.add_argument("clips", nargs="+")
    p.add_argument("--model", default=None, help="action model (default: the shipped one)")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)
    from app.annotate import AnnotateOptions

    options = AnnotateOptions(model=args.model, progress=False)
    try:
        results = [check_clip(c, options) for c in args.clips]
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for r in results:
        top = ", ".join(f"{k} {v:.0%}" for k, v in list(r["shown"].items())[:4])
        print(f"{r['clip']}: {r['person_frames']} person-frames; shown {top}; confident class label "
              f"{r['confident_class_share']:.1%}")
    if args.json:
        from aclnet_core.io_utils import atomic_write

        with atomic_write(args.json) as tmp:
            Path(tmp).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
