"""MediaPipe pose from the bundled models: the committed CC BY 2.0 photo, generated frames, the plausibility filter."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest
from conftest import needs_shared
from test_app_fixtures import PHOTO, SHARED_MEDIA, stick_skeleton

from aclnet_core.errors import UserError
from app.pose import PlausibilityOptions, PoseEstimator, PoseOptions, is_plausible, pose_model_bytes
from app.records import Frame

pytest.importorskip("mediapipe")
cv2 = pytest.importorskip("cv2")

FULL_SHA256 = "96c5df519f0e95d1f7f8f64c6257647e88348f2107657fe6f4b9509301b3ee17"


def test_bundled_models_load_through_importlib_resources():
    data = pose_model_bytes("full")
    assert hashlib.sha256(data).hexdigest() == FULL_SHA256
    assert len(pose_model_bytes("lite")) == 5_777_302
    with pytest.raises(UserError):
        pose_model_bytes("/nonexistent/model.task")


@pytest.fixture(scope="module")
def photo_pose():
    image = cv2.imread(str(PHOTO))
    assert image is not None, "the committed test photo is missing"
    with PoseEstimator(PoseOptions(model="full")) as estimator:
        result = estimator.detect(Frame(image, 0, 0.0))
    return image, result


def test_photo_gives_one_plausible_person(photo_pose):
    image, result = photo_pose
    assert len(result.skeletons) == 1 and result.rejected == 0
    s = result.skeletons[0]
    assert s.image.shape == (33, 3) and s.world.shape == (33, 3)
    assert s.visibility.shape == (33,) and s.presence.shape == (33,)
    assert float(s.visibility.mean()) > 0.8
    h, w = image.shape[:2]
    px = s.pixels((w, h))
    assert (px[:, 0] > -0.05 * w).all() and (px[:, 0] < 1.05 * w).all()
    assert px[0, 1] < px[23:25, 1].mean() < px[27:29, 1].mean()  # head above hips above ankles (upright skier)
    hip_width = float(np.linalg.norm(s.world[23] - s.world[24]))
    assert 0.12 < hip_width < 0.4  # metres
    assert np.abs(s.world[23:25].mean(axis=0)).max() < 0.1  # world landmarks are hip-centred


def test_generated_frames_without_a_person_give_nothing():
    rng = np.random.default_rng(0)
    with PoseEstimator(PoseOptions(model="lite")) as estimator:
        for i in range(3):
            noise = rng.integers(0, 255, size=(240, 320, 3), dtype=np.uint8)
            assert estimator.detect(Frame(noise, i, i / 30.0)).skeletons == []
        # equal timestamps are nudged (VIDEO mode needs increasing ones)
        assert estimator.detect(Frame(np.zeros((240, 320, 3), np.uint8), 3, 0.0)).skeletons == []


def test_downscaled_input_gives_the_same_normalised_landmarks(photo_pose):
    image, result = photo_pose
    with PoseEstimator(PoseOptions(model="full", max_input_side=320)) as estimator:
        small = estimator.detect(Frame(image, 0, 0.0))
    assert len(small.skeletons) == 1
    assert np.abs(small.skeletons[0].image[:, :2] - result.skeletons[0].image[:, :2]).mean() < 0.03


def test_plausibility_rejects_a_collapsed_or_hidden_skeleton():
    good = stick_skeleton(0.0, height=0.6)
    assert is_plausible(good, (640, 480))
    tiny = replace(good, image=good.image * np.array([0.05, 0.05, 1.0], np.float32) + np.array([0.5, 0.5, 0], np.float32))
    assert not is_plausible(tiny, (640, 480))  # a skeleton collapsed on a foot
    hidden = replace(good, visibility=np.full(33, 0.2, np.float32))
    assert not is_plausible(hidden, (640, 480))
    ghost = replace(good, presence=np.full(33, 0.3, np.float32))
    assert not is_plausible(ghost, (640, 480))
    assert is_plausible(ghost, (640, 480), PlausibilityOptions(min_torso_presence=0.0))


@needs_shared("media/mmpose_body3d_demo.mp4")
def test_walking_clip_is_tracked_in_every_frame():
    from app.sources import VideoFileSource

    found = 0
    with VideoFileSource(SHARED_MEDIA / "mmpose_body3d_demo.mp4", size=(500, 501)) as source, \
            PoseEstimator(PoseOptions(model="lite")) as estimator:
        for frame in source.frames():
            found += len(estimator.detect(frame).skeletons) == 1
            if frame.index == 5:
                break
    assert found == 6
