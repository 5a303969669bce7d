"""How far real walkers' legs swing in MediaPipe's world landmarks, against rendered mocap walks (not a test;
numbers for docs/RESULTS.md, "Why v2 missed real walkers").

    python tests/walker_stride_check.py CLIP [--model M]

Stride = peak-to-peak ankle separation along its main direction over one window, in leg lengths (hip to ankle).
Real: every window the annotate pipeline feeds the action model on CLIP. Rendered: the walk windows of the mocap
validation people (the model's own recipe), and the other classes for comparison.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def stride_in_legs(kp: np.ndarray) -> float:
    """(T, 33, >=3) world landmarks of one window -> ankle swing in leg lengths."""
    kp = np.asarray(kp, dtype=np.float64)[..., :3]
    leg = float(np.linalg.norm(kp[:, 23] - kp[:, 27], axis=-1).mean()) + 1e-6
    d = kp[:, 27] - kp[:, 28]
    d = d - d.mean(0)
    axis = np.linalg.svd(d, full_matrices=False)[2][0]
    return float(np.ptp(d @ axis) / leg)


def real_windows(clip: str, model: str | None) -> list[tuple[int, float, np.ndarray]]:
    """(track, time, world window) of every window the recogniser is given on `clip`."""
    from app import recogniser as rec_module
    from app.annotate import AnnotateOptions
    from app.real_clip_check import check_clip

    seen: list[tuple[int, float, np.ndarray]] = []
    original = rec_module.Recogniser.predict

    def predict(self, windows, frame_index=-1, timestamp=0.0):
        seen.extend((w.track_id, timestamp, np.array(w.keypoint)) for w in windows if w.fill >= self.options.min_fill)
        return original(self, windows, frame_index, timestamp)

    rec_module.Recogniser.predict = predict
    try:
        check_clip(clip, AnnotateOptions(progress=False, model=model))
    finally:
        rec_module.Recogniser.predict = original
    return seen


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("clip")
    p.add_argument("--model", default="assets/models/action.pt")
    args = p.parse_args(argv)
    from aclnet_core.model.checkpoint import load_checkpoint
    from aclnet_core.train.config import config_from_dict
    from aclnet_core.train.data_setup import load_split

    data = config_from_dict(load_checkpoint(args.model, full=True)["config"]).data
    data.options = {**data.options, "root_motion": False}       # the world landmarks alone
    seqs, names = load_split(data, "val")
    for label in ("walk", "run", "no_action"):
        strides = [stride_in_legs(s.keypoint[0]) for s in seqs if names[s.label] == label]
        print(f"rendered {label:9s} n={len(strides):3d}  median {np.median(strides):.2f}  "
              f"p10 {np.percentile(strides, 10):.2f}  p90 {np.percentile(strides, 90):.2f}")
    for track, t, kp in real_windows(args.clip, args.model):
        print(f"real track {track} window ending {t:6.1f} s  stride {stride_in_legs(kp):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
