"""`python main.py synth --preview out.mp4`: look at what the shipped models learn from."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from aclnet_core.cli_types import frame_size, int_range


def add_synth_parser(sub) -> None:
    p = sub.add_parser("synth", help="render synthetic training motion as a skeleton video",
                       description="Render samples of the procedural motion generator (MediaPipe-33) as skeleton "
                       "animations, each captioned with its action or identity and camera view.")
    p.add_argument("--preview", type=Path, required=True, metavar="OUT.mp4", help="video file to write")
    p.add_argument("--kind", choices=("action", "gait"), default="action")
    p.add_argument("--count", type=int_range(1, 10_000), default=18, help="number of sequences (default: one per action)")
    p.add_argument("--seed", type=int_range(0, 2**32 - 1), default=0)
    p.add_argument("--no-noise", action="store_true", help="clean landmarks, without MediaPipe-like noise")
    p.add_argument("--size", type=frame_size, default=(640, 480), help="frame size WxH (default 640x480)")
    p.set_defaults(func=run_synth)


def render_sample(sample, size: tuple[int, int], caption: str) -> list[np.ndarray]:
    """One BGR frame per time step: the image landmarks drawn through the app's overlay code."""
    from app.overlay import draw_hud, draw_skeleton

    w, h = size
    frames = []
    for t in range(sample.world.shape[0]):
        frame = np.full((h, w, 3), 24, np.uint8)
        if sample.detected[t]:
            xy = sample.image[t, :, :2] * np.array([w, h], np.float32)
            draw_skeleton(frame, xy, sample.visibility[t])
        draw_hud(frame, [caption, f"frame {t + 1}/{sample.world.shape[0]}"])
        frames.append(frame)
    return frames


def run_synth(args: argparse.Namespace) -> int:
    from aclnet_core.data.synthetic import ACTION_NAMES, NUM_GAIT_IDENTITIES, MotionGenerator
    from app.video_sink import VideoSink

    w, h = args.size
    gen = MotionGenerator(seed=args.seed, image_size=(w, h), noise=not args.no_noise)
    with VideoSink(args.preview, fps=gen.fps if hasattr(gen, "fps") else 30.0, size=(w, h)) as sink:
        for i in range(args.count):
            if args.kind == "action":
                sample = gen.action(i % len(ACTION_NAMES))
                caption = f"{ACTION_NAMES[sample.label]}"
            else:
                sample = gen.gait(i % NUM_GAIT_IDENTITIES)
                caption = f"identity {sample.identity}"
            view = sample.meta.get("view", {}) if isinstance(sample.meta, dict) else {}
            if isinstance(view, dict) and "azimuth_deg" in view:
                caption += f"  (azimuth {view['azimuth_deg']:.0f} deg)"
            for frame in render_sample(sample, (w, h), caption):
                sink.write(frame)
    print(f"wrote {args.count} {args.kind} sequences to {args.preview} ({sink.codec_used})")
    return 0
