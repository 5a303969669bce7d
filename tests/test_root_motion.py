"""The travel a root-motion model sees: estimated from image landmarks the same way in training renders and in
the app's windows (aclnet_core.skeleton.root_motion)."""

from __future__ import annotations

import numpy as np
import pytest

from aclnet_core.skeleton.root_motion import ASSUMED_FOCAL, frame_scale, root_track, with_root


def test_root_track_turns_pixels_into_metres_and_size_into_depth():
    t = np.arange(20, dtype=np.float64)
    hips = np.stack([100 + 10 * t, 200 + 0 * t], axis=1)         # 10 px per sample to the right
    scale = np.full(20, 0.005)                                     # 5 mm per pixel
    root = root_track(hips, scale, 640)
    np.testing.assert_allclose(np.diff(root[:, 0]), 0.05)          # 5 cm per sample
    np.testing.assert_allclose(root[:, 1:], 0.0, atol=1e-12)
    assert abs(root.mean(axis=0)).max() < 1e-9                     # around the window's mean
    growing = np.linspace(0.004, 0.006, 20)                        # smaller in the image: walking away
    depth = root_track(hips, growing, 640)[:, 2]
    assert depth[-1] - depth[0] == pytest.approx(ASSUMED_FOCAL * 640 * 0.002)
    lost = scale.copy()
    lost[5:8] = np.nan                                             # undetected samples are interpolated
    np.testing.assert_allclose(root_track(hips, lost, 640)[:, 0], root[:, 0])
    assert not root_track(hips, np.full(20, np.nan), 640).any()   # no scale at all: no travel


def test_frame_scale_is_metres_per_pixel_of_the_major_bones():
    rng = np.random.default_rng(0)
    world = rng.normal(0, 0.3, (33, 3))
    image = world[:, :2] / 0.004 + 300                             # 4 mm per pixel, shifted
    assert frame_scale(image, world) == pytest.approx(0.004)
    assert np.isnan(frame_scale(np.zeros((33, 2)), world))         # a collapsed detection


def _walker_render(noise: bool):
    from aclnet_core.data.mocap.render import render_segment
    from tests.test_mocap import _walking_scene

    return render_segment(_walking_scene(40), np.random.default_rng(3), noise=noise)


def test_rendered_walker_travels_and_a_standing_one_does_not():
    walker = _walker_render(noise=False)
    travel = np.linalg.norm(walker.root[-1] - walker.root[0])
    assert 0.6 < travel < 1.8                                      # 39 steps of 3 cm: 1.17 m
    from aclnet_core.data.mocap.render import render_segment
    from tests.test_mocap import mediapipe33_scene, standing

    still = render_segment(mediapipe33_scene(*standing(40)), np.random.default_rng(3), noise=True)
    assert np.abs(still.root).max() < 0.15


def test_app_windows_estimate_the_same_travel_as_training_renders():
    """Feed a rendered walker to the app's window buffer frame by frame: the window's root equals the render's."""
    from aclnet_core.data.mocap.render import IMAGE_SIZE, render_segment
    from app.records import Skeleton
    from app.windows import TrackWindowBuffer, WindowOptions
    from tests.test_mocap import _walking_scene

    rendered = render_segment(_walking_scene(32), np.random.default_rng(5), noise=False)
    image = rendered.image                                         # what MediaPipe would report, frame by frame
    buffer = TrackWindowBuffer(1, WindowOptions(length=32, sample_fps=10.0, stride=1))
    for i in range(32):
        sk = Skeleton(image=image[i], world=rendered.world[i], visibility=rendered.visibility[i],
                      presence=rendered.visibility[i])
        buffer.push(i / 10.0, i, sk, IMAGE_SIZE)
    window = buffer.take()
    assert window.root is not None
    np.testing.assert_allclose(window.root, rendered.root, atol=1e-4)
    buffer.clear()
    for i in range(32):                                            # no frame size (skeleton files): no travel
        buffer.push(i / 10.0, i, Skeleton(image=image[i], world=rendered.world[i], visibility=rendered.visibility[i],
                                          presence=rendered.visibility[i]))
    assert buffer.take().root is None


def test_clip_for_model_adds_the_travel_only_for_root_motion_models():
    from aclnet_core.data.preprocess import PreprocessConfig
    from app.recogniser import clip_for_model

    rng = np.random.default_rng(1)
    kp = rng.normal(0, 0.2, (16, 33, 3)).astype(np.float32)
    root = np.zeros((16, 3), np.float32)
    root[:, 0] = np.linspace(-1, 1, 16)
    plain = PreprocessConfig(layout="mediapipe33", window=16, sampling="consecutive", scale=False)
    moving = PreprocessConfig(layout="mediapipe33", window=16, sampling="consecutive", scale=False, root_motion=True)
    np.testing.assert_allclose(clip_for_model(kp, None, plain, root=root), clip_for_model(kp, None, plain))
    a, b = clip_for_model(kp, None, moving, root=root), clip_for_model(kp, None, moving)
    np.testing.assert_allclose((a - b)[0, :, 0, 0], root[:, 0] - root[:, 0].mean(), atol=1e-5)


def test_with_root_without_detections_adds_no_travel():
    world = np.zeros((4, 33, 3))
    image = np.zeros((4, 33, 2))
    out = with_root(world, image, 640, np.zeros(4, bool))          # nothing detected: no travel, no error
    assert not out.any()
