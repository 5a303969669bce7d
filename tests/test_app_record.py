"""`record`: tracked skeletons → labelled .npz recordings that the training loader reads, and replay."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from test_app_fixtures import fake_pose_factory, stick_world, write_video

from aclnet_core.data import recording
from aclnet_core.errors import UserError
from app.record import RecordOptions, TrackLog, record, safe_name, track_sequence
from app.sources import SkeletonReplaySource, open_source


def _record(tmp_path, **kw):
    clip = write_video(tmp_path / "wave clip.mp4", frames=40, size=(160, 120), fps=Fraction(25))
    options = RecordOptions(label="wave hello", progress=False, min_frames=10)
    return clip, record(str(clip), tmp_path / "recs", options, pose_factory=fake_pose_factory(**kw))


def test_record_then_load_recordings_round_trip(tmp_path):
    _, written = _record(tmp_path, people=((0.3, 0.5), (0.7, 0.5)), miss_frames=(20,))
    assert len(written) == 2 and all(p.parent.name == "wave_hello" for p in written)
    sequences, names = recording.load_recordings(tmp_path / "recs")
    assert names == ["wave hello"] and [s.label for s in sequences] == [0, 0]
    rec = recording.load_recording(written[0])
    assert rec.fps == 25.0 and rec.sequence.layout == "mediapipe33"
    kp = rec.sequence.keypoint
    assert kp.shape == (1, 39, 33, 3)  # frames 1..39 (a track is confirmed on its 2nd frame)
    assert rec.sequence.score.shape == (1, 39, 33)
    # the (One-Euro filtered, as the live windows are) world landmarks of the stick figure
    assert np.allclose(kp[0, 0], stick_world(1 / 25), atol=1e-5)
    assert np.abs(kp[0, :, 15] - np.stack([stick_world(t / 25)[15] for t in range(1, 40)])).max() < 0.1
    # the missed frame 20 is interpolated in time between its neighbours
    assert np.allclose(kp[0, 19], 0.5 * (kp[0, 18] + kp[0, 20]), atol=1e-5)


def test_replaying_a_recording_gives_back_its_skeletons(tmp_path):
    _, written = _record(tmp_path)
    source = open_source(str(written[0]))
    assert isinstance(source, SkeletonReplaySource) and source.provides_skeletons and source.fps == 25.0
    frames = list(source.frames())
    kp = recording.load_recording(written[0]).sequence.keypoint
    assert len(frames) == kp.shape[1]
    assert np.allclose(frames[5].skeletons[0].world, kp[0, 5])
    assert frames[5].image.shape == (480, 640, 3)
    px = frames[5].skeletons[0].pixels((640, 480))
    assert (px > 0).all() and (px[:, 0] < 640).all() and (px[:, 1] < 480).all()


def test_nobody_tracked_is_an_error_and_writes_nothing(tmp_path):
    clip = write_video(tmp_path / "empty.mp4", frames=10)
    with pytest.raises(UserError, match="nothing recorded"):
        record(str(clip), tmp_path / "recs", RecordOptions(label="x", progress=False),
               pose_factory=fake_pose_factory(miss_frames=range(10)))
    assert not any(p.suffix == ".npz" for p in tmp_path.rglob("*"))


def test_empty_label_is_refused(tmp_path):
    with pytest.raises(UserError, match="label"):
        record("whatever.mp4", tmp_path, RecordOptions(label="  ", progress=False))


def test_track_sequence_resamples_to_a_uniform_rate():
    log = TrackLog([0.0, 0.1, 0.3], [np.zeros((33, 3)), np.ones((33, 3)), 3 * np.ones((33, 3))],
                    [np.ones(33)] * 3)
    world, vis = track_sequence(log, fps=10.0)
    assert vis.shape == (4, 33) and world.shape == (4, 33, 3) and np.allclose(world[:, 0, 0], [0, 1, 2, 3])
    assert safe_name("wave / hello!") == "wave_hello"
