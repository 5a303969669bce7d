"""What an action model shows on real footage: per clip, the share of person-frames under each shown label, the
share with a confident (score >= 0.9) class label, and the labels shown while the person moves at walking speed.
A benchmark (docs/RESULTS.md records its runs); tests/test_real_clips.py pins the acceptance figures.

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

import numpy as np

from aclnet_core.errors import UserError

NO_LABEL = "no_action"
MOVING_HEIGHTS_PER_S = 0.1  # hip speed (body heights per second, over the last second) that counts as walking


def _moving(history: list, t: float, skeleton) -> bool:
    """True when this person's hip centre moved at walking speed over the last second (image plane, in body
    heights per second, so it holds at any distance): the clip's own ground truth for "they walk here"."""
    img = np.asarray(skeleton.image, dtype=np.float64)
    hip = img[[23, 24], :2].mean(0)
    height = float(np.ptp(img[:, 1]))
    history.append((float(t), hip, height))
    while history and t - history[0][0] > 1.0:
        history.pop(0)
    t0, hip0, _ = history[0]
    if t - t0 < 0.5:
        return False
    size = float(np.median([h for _, _, h in history]))
    return bool(size > 0 and np.linalg.norm(hip - hip0) / (t - t0) / size >= MOVING_HEIGHTS_PER_S)


def check_clip(path: str, options) -> dict:
    """Shown-label statistics of one clip (person-frames: one per tracked person per frame)."""
    from app.annotate import annotate_video, build_recogniser

    shown: Counter[str] = Counter()
    moving: Counter[str] = Counter()
    confident = 0
    frames = 0
    moving_unlabelled = 0  # moving before the track's first window: the person walks, nothing is shown yet
    history: dict[int, list[tuple[float, np.ndarray, float]]] = {}

    def on_frame(result) -> None:
        nonlocal confident, frames, moving_unlabelled
        frames += 1
        for track in result.tracks:
            walking = _moving(history.setdefault(track.track_id, []), result.frame.timestamp, track.skeleton)
            p = result.predictions.get(track.track_id)
            if p is None:
                moving_unlabelled += walking
                continue
            label = p.label or NO_LABEL
            shown[label] += 1
            if walking:
                moving[label] += 1
            if label != NO_LABEL and p.score is not None and p.score >= 0.9:
                confident += 1

    recogniser = build_recogniser(options)
    with tempfile.TemporaryDirectory() as tmp:
        annotate_video(path, Path(tmp) / "out.mp4", options, recogniser=recogniser, on_frame=on_frame)
    total = sum(shown.values())
    n_moving = sum(moving.values())
    return {
        "clip": Path(path).name, "frames": frames, "person_frames": total,
        "shown": {k: round(v / total, 4) for k, v in shown.most_common()} if total else {},
        "moving_person_frames": n_moving,
        "shown_while_moving": {k: round(v / n_moving, 4) for k, v in moving.most_common()} if n_moving else {},
        "moving_before_first_label": moving_unlabelled,
        # walk over every moving person-frame, counting those before the first window as not labelled walk
        "walk_share_of_all_moving": round(moving["walk"] / (n_moving + moving_unlabelled), 4)
        if n_moving + moving_unlabelled else 0.0,
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
        walk = r["shown_while_moving"].get("walk", 0.0)
        print(f"{r['clip']}: {r['person_frames']} person-frames; shown {top}; confident class label "
              f"{r['confident_class_share']:.1%}; walk while moving {walk:.0%} of {r['moving_person_frames']} "
              f"({r['walk_share_of_all_moving']:.0%} of {r['moving_person_frames'] + r['moving_before_first_label']} "
              "counting the moving frames before the first label)")
    if args.json:
        from aclnet_core.io_utils import atomic_write

        with atomic_write(args.json) as tmp:
            Path(tmp).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
