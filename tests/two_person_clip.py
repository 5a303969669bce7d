"""Make a two-person clip for the live-pipeline bench (not a test; used for docs/RESULTS.md):

    python tests/two_person_clip.py SRC OUT.mp4 [WxH]
    e.g. python tests/two_person_clip.py ../shared/media/mmpose_body3d_demo.mp4 /tmp/two_people.mp4

Each output frame shows the source frame on the left and the same frame mirrored on the right, both scaled to half
the width, so MediaPipe finds two real people in every frame where the source has one. Written with OpenCV's
mp4v encoder at the source frame rate (the bench transcodes it to its own size anyway).
"""

from __future__ import annotations

import sys

import cv2
import numpy as np


def main() -> int:
    src, out = sys.argv[1], sys.argv[2]
    width, height = (int(v) for v in (sys.argv[3] if len(sys.argv) > 3 else "640x480").split("x"))
    capture = cv2.VideoCapture(src)
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    if not capture.isOpened():
        print(f"cannot read {src}", file=sys.stderr)
        return 2
    writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        print(f"cannot write {out} (mp4v)", file=sys.stderr)
        return 2
    frames = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        half = cv2.resize(frame, (width // 2, height), interpolation=cv2.INTER_AREA)
        writer.write(np.ascontiguousarray(np.hstack([half, half[:, ::-1]])))
        frames += 1
    writer.release()
    print(f"{out}: {frames} frames at {fps:g} fps, {width}x{height}")
    return 0 if frames else 2


if __name__ == "__main__":
    sys.exit(main())
