"""Helpers for the GUI tests (tiny random models, a generated walking-person video, a replaying pose stage,
screenshots) and sanity tests of the helpers. Also used by tests/xvfb_check.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
WINDOW = 16  # samples per window of the tiny models (fast on a CPU)
VIDEO_FPS = 25
VIDEO_FRAMES = 64
VIDEO_SIZE = (320, 240)


def save_tiny_model(path: Path, task: str, labels: list[str], favour: int | None = None, seed: int = 0) -> Path:
    """A randomly initialised 'lite' ACLNet checkpoint for MediaPipe-33 windows of WINDOW samples.

    `favour`: a class whose logit bias is raised, so the smoothed label crosses the thresholds (labels appear).
    """
    import torch

    from aclnet_core.data.preprocess import PreprocessConfig
    from aclnet_core.model.checkpoint import save_checkpoint
    from aclnet_core.model.encoder import ACLNet
    from aclnet_core.model.metadata import ModelMetadata, weights_id

    torch.manual_seed(seed)
    model = ACLNet(len(labels), 33, 3, "lite").eval()
    if favour is not None:
        with torch.no_grad():
            model.fc.bias[favour] = 6.0
    state = model.state_dict()
    meta = ModelMetadata(task=task, labels=list(labels), preset="lite", num_joints=33, in_channels=3,
                         embed_dim=model.preset.embed_dim,
                         preprocess=PreprocessConfig("mediapipe33", window=WINDOW).to_dict(), model_id=weights_id(state))
    save_checkpoint(path, {"meta": meta.to_dict(), "model": state})
    return path


def tiny_models(folder: Path) -> tuple[Path, Path]:
    """(action.pt, gait.pt) in `folder`: the action model favours its second label."""
    from aclnet_core.data.synthetic import ACTION_NAMES

    folder.mkdir(parents=True, exist_ok=True)
    action = save_tiny_model(folder / "action.pt", "action", list(ACTION_NAMES), favour=1, seed=1)
    gait = save_tiny_model(folder / "gait.pt", "gait", ["p0", "p1", "p2", "p3"], seed=2)
    return action, gait


def synthetic_skeletons(frames: int = VIDEO_FRAMES, size=VIDEO_SIZE, seed: int = 3) -> list:
    """The synthetic demo person's skeletons (app.records.Skeleton or None) for `frames` frames."""
    from app.sources import SyntheticSource

    with SyntheticSource(seed=seed, fps=VIDEO_FPS, size=size, max_frames=frames, render=False) as source:
        return [frame.skeletons[0] if frame.skeletons else None for frame in source.frames()]


def write_person_video(path: Path, frames: int = VIDEO_FRAMES, size=VIDEO_SIZE) -> tuple[Path, list]:
    """A small H.264 video of a drawn stick figure (the synthetic person) and the skeletons drawn in it."""
    from app.overlay import draw_skeleton
    from app.video_sink import VideoSink

    skeletons = synthetic_skeletons(frames, size)
    with VideoSink(path, VIDEO_FPS, size) as sink:
        for skeleton in skeletons:
            image = np.full((size[1], size[0], 3), 40, np.uint8)
            if skeleton is not None:
                draw_skeleton(image, skeleton.pixels(size), skeleton.visibility, color=(230, 230, 230), thickness=3)
            sink.write(image)
    return path, skeletons


class ReplayPose:
    """Stands in for app.pose.PoseEstimator: returns the skeleton that was drawn at the frame's time."""

    def __init__(self, skeletons: list, fps: float = VIDEO_FPS) -> None:
        self.skeletons, self.fps = skeletons, fps
        self.calls = 0

    def detect(self, frame):
        from app.records import PoseResult

        self.calls += 1
        index = min(len(self.skeletons) - 1, max(0, round(frame.timestamp * self.fps)))
        skeleton = self.skeletons[index]
        return PoseResult(frame.index, frame.timestamp, [skeleton] if skeleton is not None else [])

    def close(self) -> None:
        pass


def replay_pose_factory(skeletons: list):
    return lambda options: ReplayPose(skeletons)


def image_spread(image) -> float:
    """Standard deviation of a QImage's pixels (0 for a blank, one-colour image)."""
    from PyQt6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    ptr = rgb.constBits()
    ptr.setsize(rgb.sizeInBytes())
    rows = np.frombuffer(ptr, np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    pixels = rows[:, : rgb.width() * 3]
    return float(pixels.std())


def save_artifact(image, name: str) -> Path:
    """Save a QImage / QPixmap under tests/artifacts/ (ignored by git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    assert image.save(str(path)), f"could not save {path}"
    return path


# ------------------------------------------------------------------------------ sanity of the helpers
def test_tiny_model_favours_its_class(tmp_path):
    from app.recogniser import open_runtime

    action, gait = tiny_models(tmp_path)
    runtime = open_runtime(action)
    logits, embedding = runtime.infer(np.random.default_rng(0).normal(size=(2, 1, WINDOW, 33, 3)).astype(np.float32))
    assert runtime.meta.task == "action" and (logits.argmax(1) == 1).all()
    gait_runtime = open_runtime(gait, task="gait")
    assert gait_runtime.meta.task == "gait" and len(gait_runtime.meta.model_id) == 16
    assert embedding.shape == (2, runtime.meta.embed_dim)


def test_person_video_matches_its_skeletons(tmp_path):
    from app.sources import VideoFileSource

    path, skeletons = write_person_video(tmp_path / "walk.mp4", frames=12)
    with VideoFileSource(path) as source:
        frames = list(source.frames())
    assert len(frames) == 12 == len(skeletons) and frames[0].size == VIDEO_SIZE
    drawn = frames[5].image.astype(int)
    assert drawn.max() > 150 and np.median(drawn) < 60  # a bright figure on a dark background
