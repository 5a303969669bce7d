"""How close is the synthetic generator to real MediaPipe output? Statistics of recorded world landmarks.

Compares recordings made with ``python main.py record`` (real MediaPipe Tasks output) against synthetic
clips on the statistics that a skeleton model sees, all on MediaPipe world landmarks (metres):

* ``jitter_mm``: median magnitude of the second difference per joint and frame, scaled to 30 fps (frame-to-
  frame noise plus true acceleration; a still limb shows pure noise);
* ``bone_cv``: median coefficient of variation of limb lengths over time (a rigid body gives 0);
* ``depth_ratio``: extent of the body along z over its extent along x (MediaPipe flattens depth);
* ``height_m``: median nose-to-ankle extent along y;
* ``visibility``: mean landmark visibility, and ``vis_hands`` / ``vis_feet`` for the extremities;
* ``lost``: fraction of frames without a pose.

    python -m aclnet_core.eval.realism runs/real/rec/**/*.npz [--synthetic 60] [--json out.json]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aclnet_core.errors import UserError

LIMBS = ((11, 13), (13, 15), (12, 14), (14, 16), (23, 25), (25, 27), (24, 26), (26, 28), (11, 12), (23, 24))
HANDS = (15, 16, 17, 18, 19, 20, 21, 22)
FEET = (27, 28, 29, 30, 31, 32)
STAT_KEYS = ("jitter_mm", "bone_cv", "depth_ratio", "height_m", "visibility", "vis_hands", "vis_feet", "lost")


def clip_stats(world: np.ndarray, visibility: np.ndarray | None, fps: float) -> dict[str, float]:
    """Statistics of one clip: world (T, 33, 3) metres with all-zero rows for lost frames, visibility (T, 33)."""
    world = np.asarray(world, dtype=np.float64)
    if world.ndim != 3 or world.shape[1:] != (33, 3):
        raise UserError(f"expected (T, 33, 3) MediaPipe world landmarks, got {world.shape}")
    found = np.abs(world).sum(axis=(1, 2)) > 0
    stats: dict[str, float] = {"lost": float(1.0 - found.mean()) if len(found) else 1.0}
    w = world[found]
    if len(w) < 3:
        return {**{k: float("nan") for k in STAT_KEYS}, **stats}
    second = w[2:] - 2 * w[1:-1] + w[:-2]
    stats["jitter_mm"] = float(np.median(np.linalg.norm(second, axis=-1)) * 1000.0 * (fps / 30.0) ** 2)
    lengths = np.stack([np.linalg.norm(w[:, a] - w[:, b], axis=-1) for a, b in LIMBS], axis=1)
    stats["bone_cv"] = float(np.median(lengths.std(0) / np.maximum(lengths.mean(0), 1e-6)))
    extent = np.percentile(w, 95, axis=1) - np.percentile(w, 5, axis=1)  # (T, 3) per frame
    stats["depth_ratio"] = float(np.median(extent[:, 2] / np.maximum(extent[:, 0], 1e-6)))
    ankles = w[:, [27, 28], 1].mean(axis=1)
    stats["height_m"] = float(np.median(np.abs(ankles - w[:, 0, 1])))
    if visibility is not None:
        vis = np.asarray(visibility, dtype=np.float64)[found]
        stats["visibility"] = float(vis.mean())
        stats["vis_hands"] = float(vis[:, HANDS].mean())
        stats["vis_feet"] = float(vis[:, FEET].mean())
    else:
        stats.update(visibility=float("nan"), vis_hands=float("nan"), vis_feet=float("nan"))
    return stats


def recording_stats(path: str | Path) -> dict[str, float]:
    """Statistics of the first person of one ``.npz`` recording in the mediapipe33 layout."""
    from aclnet_core.data.recording import load_recording

    rec = load_recording(path)
    if rec.sequence.layout != "mediapipe33":
        raise UserError(f"{path}: realism statistics need the mediapipe33 layout, not {rec.sequence.layout}")
    score = rec.sequence.score[0] if rec.sequence.score is not None else None
    return clip_stats(rec.sequence.keypoint[0], score, rec.fps)


def synthetic_stats(n: int, seed: int = 0) -> dict[str, dict[str, float]]:
    """Median statistics of ``n`` synthetic action clips and ``n`` gait clips (test/probe splits)."""
    from aclnet_core.data.synthetic import ACTION_NAMES, make_action_split, make_gait_split

    per_class = max(1, n // len(ACTION_NAMES))
    groups = {"synthetic action": make_action_split(per_class, "test", seed),
              "synthetic gait": make_gait_split(range(192, 192 + max(1, n // 2)), 2, "probe", seed)}
    out = {}
    for name, samples in groups.items():
        rows = [clip_stats(np.where(s.detected[:, None, None], s.world, 0.0),
                           np.where(s.detected[:, None], s.visibility, 0.0), s.fps) for s in samples]
        out[name] = {k: float(np.nanmedian([r[k] for r in rows])) for k in STAT_KEYS}
    return out


def format_table(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table: one row per source, one column per statistic."""
    lines = ["| source | " + " | ".join(STAT_KEYS) + " |", "|---" * (len(STAT_KEYS) + 1) + "|"]
    for name, stats in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{stats.get(k, float('nan')):.3g}" for k in STAT_KEYS) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from aclnet_core.cli_types import OneLineArgumentParser, int_range

    parser = OneLineArgumentParser(prog="python -m aclnet_core.eval.realism", description=__doc__.split("\n")[0])
    parser.add_argument("recordings", nargs="+", help=".npz recordings (mediapipe33) of real people")
    parser.add_argument("--synthetic", type=int_range(0, 100_000), default=60, help="synthetic clips per group to compare (0: none)")
    parser.add_argument("--json", help="also write the statistics here")
    args = parser.parse_args(argv)
    try:
        rows = {Path(p).stem: recording_stats(p) for p in args.recordings}
        if args.synthetic > 0:
            rows.update(synthetic_stats(args.synthetic))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_table(rows))
    if args.json:
        from aclnet_core.io_utils import atomic_write

        with atomic_write(args.json) as tmp:
            tmp.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
