"""Tracking ids, One-Euro filtering, label smoothing with hysteresis, and sliding windows."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_app_fixtures import stick_skeleton

from app.filters import OneEuroFilter, OneEuroOptions
from app.records import TrackedSkeleton
from app.smoothing import LabelSmoother, SmoothingOptions
from app.tracking import Tracker, TrackerOptions, box_iou
from app.windows import TrackWindowBuffer, WindowManager, WindowOptions, resample_track

FPS = 30.0


# ------------------------------------------------------------------------------------------- One-Euro
def test_one_euro_reduces_jitter_on_a_still_point():
    rng = np.random.default_rng(0)
    noisy = 0.5 + rng.normal(0, 0.01, size=(300, 33, 2))
    f = OneEuroFilter(OneEuroOptions(min_cutoff=1.0, beta=0.5))
    out = np.stack([f(x, i / FPS) for i, x in enumerate(noisy)])
    raw_jitter = np.abs(np.diff(noisy[50:], axis=0)).mean()
    filtered_jitter = np.abs(np.diff(out[50:], axis=0)).mean()
    assert filtered_jitter < raw_jitter / 3
    assert abs(out[50:].mean() - 0.5) < 0.005  # no bias


def test_one_euro_follows_fast_motion_with_little_lag():
    t = np.arange(90) / FPS
    ramp = 2.0 * t  # 2 units per second
    f = OneEuroFilter(OneEuroOptions(min_cutoff=1.0, beta=5.0))
    out = np.array([f(np.array([x]), ti)[0] for x, ti in zip(ramp, t)])
    slow = OneEuroFilter(OneEuroOptions(min_cutoff=1.0, beta=0.0))
    out_slow = np.array([slow(np.array([x]), ti)[0] for x, ti in zip(ramp, t)])
    assert abs(out[-1] - ramp[-1]) < 0.5 * abs(out_slow[-1] - ramp[-1])  # speed raises the cut-off


def test_one_euro_keeps_state_on_repeated_timestamps_and_nan():
    f = OneEuroFilter()
    a = f(np.array([1.0, 2.0]), 0.0)
    assert np.allclose(f(np.array([5.0, 5.0]), 0.0), a)
    b = f(np.array([np.nan, 2.0]), 0.1)
    assert np.isfinite(b).all() and b[0] == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------- tracking
def _shifted(dx: float, t: float = 0.0, cx: float = 0.3):
    return stick_skeleton(t, center=(cx + dx, 0.5))


def test_track_ids_are_stable_through_a_short_miss():
    tracker = Tracker(TrackerOptions(min_hits=2, max_missed=5))
    ids = []
    for i in range(30):
        people = [] if i in (10, 11, 12) else [_shifted(0.005 * i, i / FPS, 0.25), _shifted(0.0, i / FPS, 0.75)]
        update = tracker.update(people, i / FPS, (640, 480))
        ids.append(tuple(t.track_id for t in update.tracked))
        assert update.ended == []
    assert ids[0] == ()  # not yet confirmed (min_hits=2)
    assert set(ids[1:10]) == {(1, 2)} and set(ids[13:]) == {(1, 2)}
    # left person keeps id 1 although it moved: assignment follows the skeleton, not the list order
    update = tracker.update([_shifted(0.0, 1.0, 0.75), _shifted(0.15, 1.0, 0.25)], 1.0, (640, 480))
    by_x = {t.track_id: t.skeleton.image[:, 0].mean() for t in update.tracked}
    assert by_x[1] < by_x[2]


def test_a_track_ends_after_a_long_miss_and_a_new_id_follows():
    tracker = Tracker(TrackerOptions(min_hits=1, max_missed=3))
    assert [t.track_id for t in tracker.update([_shifted(0)], 0.0).tracked] == [1]
    ended = []
    for i in range(1, 6):
        ended += tracker.update([], i / FPS).ended
    assert ended == [1]
    assert [t.track_id for t in tracker.update([_shifted(0)], 0.5).tracked] == [2]


@pytest.mark.parametrize("metric", ["keypoints", "iou"])
def test_a_stranger_far_away_does_not_inherit_the_id_of_someone_who_just_left(metric):
    """Person 1 leaves; within max_missed a stranger appears on the other side of the frame: a new id, and the
    old track, still waiting, takes its id back when its owner returns where they left."""
    tracker = Tracker(TrackerOptions(metric=metric, min_hits=1, max_missed=10))
    for i in range(5):
        assert [t.track_id for t in tracker.update([_shifted(0, i / FPS, 0.2)], i / FPS, (640, 480)).tracked] == [1]
    tracker.update([], 5 / FPS, (640, 480))                                 # gone for one frame
    update = tracker.update([_shifted(0, 6 / FPS, 0.8)], 6 / FPS, (640, 480))  # someone else, far away
    assert [t.track_id for t in update.tracked] == [2] and update.ended == []
    update = tracker.update([_shifted(0, 7 / FPS, 0.2), _shifted(0, 7 / FPS, 0.8)], 7 / FPS, (640, 480))
    by_x = {t.track_id: float(t.skeleton.image[:, 0].mean()) for t in update.tracked}
    assert sorted(by_x) == [1, 2] and by_x[1] < 0.5 < by_x[2]


def test_the_distance_gate_is_max_distance():
    """A detection moved by a little less than `max_distance` person heights keeps its id; a little more does not."""
    size = float(np.ptp(_shifted(0).image[:, :2], axis=0).max())          # the track's size (its height here)
    for factor, same in ((0.9, True), (1.1, False)):
        tracker = Tracker(TrackerOptions(min_hits=1, max_distance=0.5))
        tracker.update([_shifted(0, 0.0, 0.3)], 0.0)
        update = tracker.update([_shifted(factor * 0.5 * size, 0.0, 0.3)], 1 / FPS)  # same pose, moved
        assert ([t.track_id for t in update.tracked] == [1]) is same, factor


def test_one_frame_phantoms_get_no_id():
    tracker = Tracker(TrackerOptions(min_hits=3))
    for i in range(10):
        people = [_shifted(0, i / FPS, 0.3)] + ([_shifted(0, i / FPS, 0.8)] if i % 2 == 0 else [])
        update = tracker.update(people, i / FPS, (640, 480))
    assert tracker.active_ids == [1]
    assert [t.track_id for t in update.tracked] == [1]


def test_iou_metric_and_box_iou():
    assert box_iou(np.array([0, 0, 2, 2]), np.array([1, 1, 3, 3])) == pytest.approx(1 / 7)
    tracker = Tracker(TrackerOptions(metric="iou", min_hits=1))
    for i in range(5):
        update = tracker.update([_shifted(0.01 * i, i / FPS)], i / FPS, (640, 480))
    assert [t.track_id for t in update.tracked] == [1]


def test_iou_assignment_follows_the_largest_overlap():
    """Two overlapping people moving towards each other: each keeps its id (the cost falls as the overlap grows)."""
    tracker = Tracker(TrackerOptions(metric="iou", min_hits=1, min_iou=0.05))
    for i in range(4):
        update = tracker.update([_shifted(0.01 * i, 0.0, 0.3), _shifted(-0.01 * i, 0.0, 0.42)], i / FPS, (640, 480))
        by_x = {t.track_id: float(t.raw.image[:, 0].mean()) for t in update.tracked}
        assert sorted(by_x) == [1, 2] and by_x[1] < by_x[2], (i, by_x)


def test_tracked_skeletons_are_smoothed_and_boxed():
    rng = np.random.default_rng(1)
    tracker = Tracker(TrackerOptions(min_hits=1))
    raw_steps, smooth_steps = [], []
    prev_raw = prev_smooth = None
    for i in range(60):
        s = stick_skeleton(0.0, center=(0.5, 0.5))
        s.image[:, :2] += rng.normal(0, 0.004, size=(33, 2))
        (tracked,) = tracker.update([s], i / FPS, (640, 480)).tracked
        assert tracked.box is not None and tracked.box[2] > tracked.box[0]
        if prev_raw is not None and i > 10:
            raw_steps.append(np.abs(tracked.raw.image - prev_raw).mean())
            smooth_steps.append(np.abs(tracked.skeleton.image - prev_smooth).mean())
        prev_raw, prev_smooth = tracked.raw.image.copy(), tracked.skeleton.image.copy()
    assert np.mean(smooth_steps) < 0.5 * np.mean(raw_steps)


def test_the_prediction_follows_the_velocity_through_a_miss():
    """A person walking steadily right is missed for 5 frames and reappears where the walk took them: the track's
    constant-velocity prediction keeps the id although that spot is beyond the distance gate of the last sighting."""
    size = float(np.ptp(_shifted(0).image[:, :2], axis=0).max())
    step = 0.02                                                       # per frame: 0.12 over a 6-frame gap
    tracker = Tracker(TrackerOptions(min_hits=1, max_missed=10, max_distance=0.03 / size))   # 1.5 steps
    for i in range(20):
        assert [t.track_id for t in tracker.update([_shifted(step * i, 0.0, 0.2)], i / FPS).tracked] == [1]
    for i in range(20, 25):
        tracker.update([], i / FPS)
    update = tracker.update([_shifted(step * 25, 0.0, 0.2)], 25 / FPS)
    assert [t.track_id for t in update.tracked] == [1]


def test_a_box_needs_two_visible_joints():
    from app.tracking import _box

    xy = np.array([[0.1, 0.2], [0.5, 0.9], [0.9, 0.05]])
    assert np.allclose(_box(xy, np.array([True, True, False])), [0.1, 0.2, 0.5, 0.9])    # two visible: their box
    assert np.allclose(_box(xy, np.array([True, False, False])), [0.1, 0.05, 0.9, 0.9])  # one: every joint


def test_smoother_boundaries_are_inclusive_where_documented():
    """alpha 1 (no EMA) and exactly representable values: a label enters at exactly enter_threshold, stays at
    exactly exit_threshold, and a new label takes over at exactly switch_margin ahead while the old one stays up."""
    opts = SmoothingOptions(alpha=1.0, enter_threshold=0.5, exit_threshold=0.25, switch_margin=0.25)
    smoother = LabelSmoother(opts)
    assert smoother.update(np.array([0.5, 0.25, 0.25])).index == 0            # enters at exactly 0.5
    assert smoother.update(np.array([0.25, 0.375, 0.375])).index == 0         # kept at exactly 0.25
    assert smoother.update(np.array([0.125, 0.4375, 0.4375])).index is None   # below the exit, none at enter
    smoother = LabelSmoother(opts)
    smoother.update(np.array([1.0, 0.0, 0.0]))
    assert smoother.update(np.array([0.25, 0.5, 0.25])).index == 1            # 0.5 = 0.25 + margin, and = enter
    assert smoother.update(np.array([0.375, 0.5, 0.125])).index == 1          # a rival 0.125 behind: no switch back
    switched = LabelSmoother(SmoothingOptions(alpha=1.0, enter_threshold=0.5, exit_threshold=0.3, switch_margin=0.1))
    switched.update(np.array([0.9, 0.1]))
    assert switched.update(np.array([0.35, 0.65])).index == 1                 # the old label is still above its exit


def test_smoothing_option_bounds():
    SmoothingOptions(alpha=1.0)                                               # no smoothing is allowed
    SmoothingOptions(enter_threshold=0.4, exit_threshold=0.4)                 # equal thresholds: no hysteresis
    with pytest.raises(ValueError, match="alpha"):
        SmoothingOptions(alpha=0.0)
    with pytest.raises(ValueError, match="must not exceed"):
        SmoothingOptions(enter_threshold=0.4, exit_threshold=0.41)


def test_box_iou_away_from_the_origin():
    assert box_iou(np.array([1, 1, 3, 3]), np.array([2, 2, 4, 4])) == pytest.approx(1 / 7)
    assert box_iou(np.array([1, 2, 3, 5]), np.array([1, 2, 3, 5])) == pytest.approx(1.0)
    assert box_iou(np.array([1, 1, 2, 2]), np.array([3, 3, 4, 4])) == 0.0
    assert box_iou(np.array([1, 1, 1, 1]), np.array([1, 1, 1, 1])) == 0.0    # empty boxes: no overlap, no NaN


def test_a_track_survives_exactly_max_missed_frames():
    tracker = Tracker(TrackerOptions(min_hits=1, max_missed=3))
    tracker.update([_shifted(0)], 0.0)
    for i in range(1, 4):                                                      # 3 misses: still alive
        assert tracker.update([], i / FPS).ended == []
    assert [t.track_id for t in tracker.update([_shifted(0)], 4 / FPS).tracked] == [1]
    for i in range(5, 8):
        assert tracker.update([], i / FPS).ended == []
    assert tracker.update([], 8 / FPS).ended == [1]                           # the 4th miss ends it


# ------------------------------------------------------------------------------------------- smoothing
def test_hysteresis_stops_label_flicker():
    smoother = LabelSmoother(SmoothingOptions(alpha=0.5, enter_threshold=0.5, exit_threshold=0.35, switch_margin=0.1))
    labels = []
    for i in range(40):  # a noisy stream: mostly class 0, every third window leans to class 1
        p = np.array([0.4, 0.55, 0.05]) if i % 3 == 2 else np.array([0.7, 0.25, 0.05])
        labels.append(smoother.update(p).index)
    raw = [int(np.argmax(np.array([0.4, 0.55, 0.05]) if i % 3 == 2 else np.array([0.7, 0.25, 0.05]))) for i in range(40)]
    raw_changes = sum(a != b for a, b in itertools.pairwise(raw))
    changes = sum(a != b for a, b in itertools.pairwise(labels))
    assert raw_changes > 20 and changes == 0 and labels[-1] == 0


def test_label_switches_on_a_real_change_and_drops_to_no_action():
    smoother = LabelSmoother(SmoothingOptions(alpha=0.5))
    for _ in range(5):
        assert smoother.update(np.array([0.9, 0.1])).index == 0
    got = [smoother.update(np.array([0.05, 0.95])).index for _ in range(5)]
    assert got[0] == 0 and got[-1] == 1  # held for a moment, then switched
    got = [smoother.update(np.array([0.3, 0.3])).index for _ in range(6)]  # uniform: nothing is sure
    assert got[-1] is None


def test_smoothing_options_are_checked():
    with pytest.raises(ValueError):
        SmoothingOptions(enter_threshold=0.3, exit_threshold=0.5)


# ------------------------------------------------------------------------------------------- windows
def test_resample_track_interpolates_in_time():
    times = np.array([0.0, 0.1, 0.3])
    values = np.array([[0.0], [1.0], [3.0]])
    out = resample_track(times, values, np.array([0.0, 0.05, 0.2, 0.4]))
    assert np.allclose(out[:, 0], [0.0, 0.5, 2.0, 3.0])


def test_window_buffer_resamples_to_the_model_rate_and_fills_gaps():
    opts = WindowOptions(length=16, sample_fps=30.0, stride=4)
    buffer = TrackWindowBuffer(1, opts)
    windows = []
    source_fps = 50.0  # a 50 fps source, the model wants 30
    for i in range(80):
        if 40 <= i < 44:  # the tracker missed 4 frames
            continue
        t = i / source_fps
        s = stick_skeleton(t)
        s.world[:, 0] = t  # x = time, to check the resampling
        buffer.push(t, i, s)
        if buffer.ready():
            windows.append(buffer.take())
    first = windows[0]
    assert first.keypoint.shape == (16, 33, 3) and first.score.shape == (16, 33)
    assert first.end_time - first.start_time == pytest.approx(15 / 30.0)
    assert np.allclose(np.diff(first.keypoint[:, 0, 0]), 1 / 30.0, atol=1e-5)  # uniform 30 Hz samples
    gap = [w for w in windows if w.start_time < 40 / source_fps < w.end_time]
    assert gap and all(np.allclose(np.diff(w.keypoint[:, 0, 0]), 1 / 30.0, atol=1e-5) for w in gap)
    assert min(w.fill for w in gap) < 1.0 and first.fill == pytest.approx(1.0)
    # stride: consecutive windows end about 4 model samples apart
    steps = np.diff([w.end_time for w in windows])
    assert np.all(steps >= 4 / 30.0 - 1 / 60.0 - 1e-9)


def test_a_long_gap_restarts_the_track_history():
    opts = WindowOptions(length=8, sample_fps=30.0, stride=2, max_gap_s=0.2)
    buffer = TrackWindowBuffer(1, opts)
    for i in range(10):
        buffer.push(i / 30.0, i, stick_skeleton(i / 30.0))
    assert buffer.ready()
    buffer.push(2.0, 60, stick_skeleton(2.0))  # 1.7 s later
    assert len(buffer) == 1 and not buffer.ready()


def test_window_manager_drops_ended_tracks():
    manager = WindowManager(WindowOptions(length=4, sample_fps=30.0, stride=1))
    ready = []
    for i in range(6):
        tracked = [TrackedSkeleton(7, stick_skeleton(i / 30.0))]
        ready += manager.update(i / 30.0, i, tracked)
    assert ready and all(w.track_id == 7 for w in ready)
    assert manager.fill_level(7) == pytest.approx(1.0)
    manager.update(0.3, 9, [], ended=[7])
    assert manager.fill_level(7) == 0.0


def test_thresholds_can_change_while_running():
    from app.smoothing import TrackLabelSmoothers

    smoothers = TrackLabelSmoothers(SmoothingOptions(enter_threshold=0.9, exit_threshold=0.5))
    assert smoothers.update(1, np.array([0.7, 0.3])).index is None
    smoothers.set_options(SmoothingOptions(enter_threshold=0.6, exit_threshold=0.4))
    assert smoothers.update(1, np.array([0.7, 0.3])).index == 0
