"""Shared helpers for the app tests (a stick figure, a fake pose stage, a fake model, generated videos),
plus sanity tests of the helpers themselves. Other test_app_* files import from here."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from conftest import SHARED

from aclnet_core.data.preprocess import PreprocessConfig
from aclnet_core.model.metadata import ModelMetadata
from app.records import Frame, PoseResult, Skeleton

ROOT = Path(__file__).resolve().parents[1]
SHARED_MEDIA = SHARED / "media"  # $ACLNET_SHARED or ../shared (conftest)
PHOTO = ROOT / "assets" / "test_media" / "coco_000000000785_skier.jpg"

# A standing person in MediaPipe world coordinates (metres, hip-centred, x right, y down, z depth).
_STAND = {
    0: (0.0, -0.62, -0.08), 1: (0.02, -0.66, -0.07), 2: (0.035, -0.66, -0.07), 3: (0.05, -0.66, -0.06),
    4: (-0.02, -0.66, -0.07), 5: (-0.035, -0.66, -0.07), 6: (-0.05, -0.66, -0.06), 7: (0.08, -0.64, 0.0),
    8: (-0.08, -0.64, 0.0), 9: (0.03, -0.58, -0.07), 10: (-0.03, -0.58, -0.07), 11: (0.18, -0.45, 0.0),
    12: (-0.18, -0.45, 0.0), 13: (0.22, -0.18, 0.0), 14: (-0.22, -0.18, 0.0), 15: (0.24, 0.05, 0.0),
    16: (-0.24, 0.05, 0.0), 17: (0.25, 0.12, 0.0), 18: (-0.25, 0.12, 0.0), 19: (0.24, 0.13, -0.01),
    20: (-0.24, 0.13, -0.01), 21: (0.22, 0.1, -0.02), 22: (-0.22, 0.1, -0.02), 23: (0.1, 0.0, 0.0),
    24: (-0.1, 0.0, 0.0), 25: (0.11, 0.42, 0.0), 26: (-0.11, 0.42, 0.0), 27: (0.11, 0.82, 0.0),
    28: (-0.11, 0.82, 0.0), 29: (0.11, 0.86, 0.04), 30: (-0.11, 0.86, 0.04), 31: (0.11, 0.88, -0.12),
    32: (-0.11, 0.88, -0.12),
}
STAND_WORLD = np.array([_STAND[j] for j in range(33)], dtype=np.float32)


def stick_world(t: float, wave_hz: float = 1.0) -> np.ndarray:
    """(33, 3) world landmarks of a person waving the left hand (joints 15, 17, 19, 21) at time t."""
    world = STAND_WORLD.copy()
    angle = 0.8 * np.sin(2 * np.pi * wave_hz * t)
    shoulder = world[11]
    hand = np.array([0.45 * np.sin(angle), -0.45 * np.cos(angle) * 0.9, 0.0], dtype=np.float32)
    world[13] = shoulder + hand * 0.5
    for j in (15, 17, 19, 21):
        world[j] = shoulder + hand + (STAND_WORLD[j] - STAND_WORLD[15]) * 0.5
    return world


def stick_skeleton(t: float, center=(0.5, 0.5), height: float = 0.6, wave_hz: float = 1.0, visibility: float = 0.95) -> Skeleton:
    """A Skeleton whose image landmarks are the world ones projected around `center` (normalised units)."""
    world = stick_world(t, wave_hz)
    image = np.zeros((33, 3), dtype=np.float32)
    scale = height / 1.6
    image[:, 0] = center[0] + world[:, 0] * scale
    image[:, 1] = center[1] + world[:, 1] * scale
    image[:, 2] = world[:, 2]
    vis = np.full(33, visibility, dtype=np.float32)
    return Skeleton(image=image, world=world, visibility=vis, presence=np.ones(33, np.float32))


class FakePose:
    """Stands in for app.pose.PoseEstimator: one (or more) stick figures per frame, misses on request."""

    def __init__(self, options=None, people=((0.5, 0.5),), miss_frames=(), drift=0.0, delay_s: float = 0.0) -> None:
        self.people = people
        self.miss_frames = set(miss_frames)
        self.drift = drift
        self.delay_s = delay_s
        self.calls = 0
        self.closed = False

    def detect(self, frame: Frame) -> PoseResult:
        import time

        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        if frame.index in self.miss_frames:
            return PoseResult(frame.index, frame.timestamp, [])
        skeletons = [stick_skeleton(frame.timestamp, (cx + self.drift * frame.index, cy)) for cx, cy in self.people]
        return PoseResult(frame.index, frame.timestamp, skeletons)

    def close(self) -> None:
        self.closed = True


def fake_pose_factory(**kwargs):
    return lambda options: FakePose(options, **kwargs)


class FakeRuntime:
    """Stands in for aclnet_core.runtime.InferenceRuntime: 'wave' when the left wrist moves, else 'idle'."""

    backend = "fake"

    def __init__(self, window: int = 16, labels=("idle", "wave", "jump")) -> None:
        self.meta = ModelMetadata(task="action", labels=list(labels), preset="lite", num_joints=33, in_channels=3,
                                  embed_dim=4, preprocess=PreprocessConfig("mediapipe33", window=window).to_dict(),
                                  model_id="fake0000")
        self.calls: list[tuple[int, ...]] = []

    def infer(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls.append(x.shape)
        motion = np.abs(np.diff(x[:, 0, :, 15, :2], axis=1)).sum(axis=(1, 2))  # (N,) wrist travel
        logits = np.zeros((x.shape[0], len(self.meta.labels)), np.float32)
        logits[:, 1] = np.where(motion > 0.05, 5.0, -5.0)
        emb = np.tile(np.array([1, 0, 0, 0], np.float32), (x.shape[0], 1))
        return logits, emb


def write_video(path: Path, frames: int = 30, size=(96, 64), fps=Fraction(25), codec: str = "libx264") -> Path:
    """A small generated video (moving gradient) written with PyAV."""
    import av

    w, h = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for i in range(frames):
            img = np.zeros((h, w, 3), np.uint8)
            img[:, :, 0] = (np.arange(w)[None, :] * 2 + i * 4) % 256
            img[:, :, 1] = (np.arange(h)[:, None] * 3) % 256
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def probe_video(path: Path) -> tuple[str, Fraction, int, tuple[int, int]]:
    """(codec, average rate, decoded frame count, (w, h)) of a video."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(video=0))
        return stream.codec_context.name, stream.average_rate, count, (stream.width, stream.height)


# ------------------------------------------------------------------------------ sanity of the helpers
def test_stick_figure_is_a_plausible_person():
    from app.pose import is_plausible

    skeleton = stick_skeleton(0.0)
    assert skeleton.image.shape == (33, 3) and skeleton.world.shape == (33, 3)
    assert is_plausible(skeleton, (640, 480))
    # the waving wrist moves, the ankles do not
    a, b = stick_world(0.0), stick_world(0.25)
    assert np.linalg.norm(a[15] - b[15]) > 0.1
    assert np.allclose(a[27], b[27])


def test_generated_video_has_the_requested_frames(tmp_path):
    path = write_video(tmp_path / "clip.mp4", frames=12, fps=Fraction(30000, 1001))
    codec, rate, count, size = probe_video(path)
    assert (codec, rate, count, size) == ("h264", Fraction(30000, 1001), 12, (96, 64))
