"""Several people on real clips (not a test; numbers for docs/RESULTS.md):

    python tests/multi_person_check.py CLIP FRAMES MODE:NUM_POSES[,MODE:NUM_POSES…]
    e.g. python tests/multi_person_check.py ../shared/media/mmaction2_demo_skeleton.mp4 72 video:1,both:2

Runs app.pose.PoseEstimator and app.tracking.Tracker (the app's defaults) on every frame and prints one JSON line
per setting: pose ms/frame, frames with ≥ 2 poses and ≥ 2 tracks, most tracks at once, distinct track ids, IMAGE-mode
re-detections, and "jumps": a track whose hip centre moves more than 15 % of the frame diagonal per frame (an id that
switched to another person).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def run(path: str, mode: str, num_poses: int, max_frames: int) -> dict:
    from app.pose import PoseEstimator, PoseOptions
    from app.sources import VideoFileSource
    from app.tracking import Tracker

    estimator = PoseEstimator(PoseOptions(model="full", num_poses=num_poses, mode=mode))
    tracker = Tracker()
    last: dict[int, tuple[np.ndarray, int]] = {}
    jumps, ids, concurrent, poses, pose_s, n = 0, set(), [], [], 0.0, 0
    with VideoFileSource(path) as source:
        w, h = source.size
        diagonal = (w * w + h * h) ** 0.5
        for frame in source.frames():
            if n >= max_frames:
                break
            t0 = time.perf_counter()
            found = estimator.detect(frame)
            pose_s += time.perf_counter() - t0
            update = tracker.update(found.skeletons, frame.timestamp, frame.size)
            poses.append(len(found.skeletons))
            concurrent.append(len(update.tracked))
            for tracked in update.tracked:
                ids.add(tracked.track_id)
                centre = tracked.raw.pixels((w, h))[[11, 12, 23, 24]].mean(axis=0)
                previous = last.get(tracked.track_id)
                if previous is not None and np.linalg.norm(centre - previous[0]) > 0.15 * diagonal * (n - previous[1]):
                    jumps += 1
                last[tracked.track_id] = (centre, n)
            n += 1
    report = {"clip": Path(path).name, "mode": mode, "num_poses": num_poses, "frames": n,
                  "ms_per_frame": round(pose_s / max(1, n) * 1000, 1),
                  "frames_2plus_poses": int(sum(p >= 2 for p in poses)),
                  "frames_2plus_tracks": int(sum(c >= 2 for c in concurrent)), "max_tracks": max(concurrent, default=0),
                  "ids": len(ids), "jumps": jumps, "redetections": estimator.redetections}
    estimator.close()
    return report


def main() -> int:
    path, max_frames, settings = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    for setting in settings.split(","):
        mode, num_poses = setting.split(":")
        print(json.dumps(run(path, mode, int(num_poses), max_frames)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
