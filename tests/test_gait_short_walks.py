"""Enrolment and identification from short walks (issue #12): every tracked frame is used, the quality gate says how
long the person was tracked, and the real-gait evaluation's helpers. Tiny generated data, no ../shared needed."""

from __future__ import annotations

import json

import numpy as np
import pytest

DIM = 8


def basis(i: int) -> np.ndarray:
    v = np.zeros(DIM, np.float32)
    v[i % DIM] = 1.0
    return v


class FakeGait:
    """Like the shipped gait model's shape: T = 32 at 12.5 samples/s (a 2.48 s window); embedding = joint 0's x."""

    backend = "fake"

    def __init__(self) -> None:
        from aclnet_core.model.metadata import ModelMetadata

        self.meta = ModelMetadata(task="gait", labels=["a"], preset="lite", num_joints=33, in_channels=3,
                                  embed_dim=DIM, model_id="gait-short",
                                  preprocess={"layout": "mediapipe33", "window": 32, "center": False,
                                              "scale": False},
                                  extra={"sample_fps": 12.5})
        self.windows = 0

    def infer(self, x):
        assert x.shape[1:] == (1, 32, 33, 3)
        self.windows += len(x)
        person = np.rint(x[:, 0, :, 0, 0].mean(axis=1)).astype(int)
        return np.zeros((len(x), 1), np.float32), np.stack([basis(p) for p in person])


def walker(person: int, clip_s: float = 4.4, visible: tuple[float, float] = (0.0, 99.0), fps: float = 25.0,
           height: float = 0.7, standing: bool = False):
    """A skeleton source of `clip_s` seconds; the person is in view only between `visible` (seconds)."""
    from app.records import Frame, Skeleton
    from app.sources import Source

    class _Walker(Source):
        provides_skeletons = True

        def _open(self) -> None:
            self.fps, self.size, self.name = fps, (320, 240), f"walker:{person}"

        def _frames(self):
            rng = np.random.default_rng(person)
            world = rng.normal(0, 0.1, size=(33, 3)).astype(np.float32)
            world[0, 0] = person
            for i in range(round(clip_s * fps) + 1):
                t = i / fps
                skeletons = []
                if visible[0] <= t <= visible[1]:
                    image = np.zeros((33, 3), np.float32)
                    image[:, 0] = 0.3 + 0.002 * i + 0.01 * np.sin(np.arange(33))
                    image[:, 1] = np.linspace(0.5 - height / 2, 0.5 + height / 2, 33)
                    moving = world.copy()
                    step = 0.0 if standing else 0.25 * np.sin(2 * np.pi * t)   # the feet move apart and together
                    moving[27, 0] += step
                    moving[28, 0] -= step
                    skeletons = [Skeleton(image=image, world=moving, visibility=np.ones(33, np.float32),
                                          presence=np.ones(33, np.float32))]
                yield Frame(image=None, index=i, timestamp=t, size=(320, 240), skeletons=skeletons)

    return _Walker()


def test_track_windows_use_every_tracked_frame():
    from app.gallery.enrol import track_windows

    times = np.arange(0, 4.0, 1 / 25)                         # 4 s at 25 fps
    world = np.zeros((len(times), 33, 3))
    world[:, 0, 0] = times                                     # x = time: shows which instants a window holds
    windows = track_windows(times, world, 32, 12.5, stride=8)
    assert len(windows) >= 3
    firsts = [w[0, 0, 0] for w in windows]
    lasts = [w[-1, 0, 0] for w in windows]
    assert max(lasts) == pytest.approx(times[-1]) and min(firsts) <= times[0] + 0.1   # both ends are used
    short = track_windows(times[:60], world[:60], 32, 12.5)    # 2.4 s: shorter than a 2.48 s window
    assert len(short) == 1 and short[0].shape == (32, 33, 3)
    assert short[0][0, 0, 0] < 1 / 12.5 and short[0][-1, 0, 0] == pytest.approx(times[59])   # held at both ends
    gap = np.concatenate([times[:40], times[60:] + 1.0])      # lost for 1.8 s: two parts, none spans the gap
    parts = track_windows(gap, world[np.r_[0:40, 60:100]], 32, 12.5)
    assert all(np.all(np.diff(w[:, 0, 0]) < 0.5) for w in parts)


def test_a_2_4_s_walk_in_a_4_4_s_clip_enrols_and_identifies(tmp_path, monkeypatch, capsys):
    """The issue's clips: 4.4 s long, the person tracked for 2.4 s (less than one 2.48 s gait window)."""
    from app.gallery import enrol
    from main import main

    runtime = FakeGait()
    monkeypatch.setattr(enrol, "open_gait_runtime", lambda path=None, backend="auto": runtime)
    monkeypatch.setattr(enrol, "open_source", lambda spec: walker(int(spec.split(":")[1]), 4.4, (1.0, 3.4)))
    g = ["--gallery", str(tmp_path / "g.sqlite")]
    assert main(["gallery", "enroll", "Ada", "walker:3", *g]) == 0
    out = capsys.readouterr().out
    assert "enrolled Ada" in out and "tracked 2.4 s of 4.4 s" in out
    assert main(["gallery", "identify", "walker:3", "--json", *g]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["name"] == "Ada" and answer["tracked_seconds"] == pytest.approx(2.4, abs=0.1)
    assert answer["clip_seconds"] == pytest.approx(4.4)


def test_too_short_says_how_long_the_person_was_tracked(tmp_path, monkeypatch, capsys):
    from app.gallery import enrol
    from main import main

    monkeypatch.setattr(enrol, "open_gait_runtime", lambda path=None, backend="auto": FakeGait())
    monkeypatch.setattr(enrol, "open_source", lambda spec: walker(3, 4.2, (2.0, 3.0)))
    assert main(["gallery", "enroll", "Ada", "walker:3", "--gallery", str(tmp_path / "g.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "tracked for only 1.0 s of the 4.2 s clip" in err and "1.5 s of walking" in err
    monkeypatch.setattr(enrol, "open_source", lambda spec: walker(3, 4.2, (9.0, 9.0)))   # never in view
    assert main(["gallery", "enroll", "Ada", "walker:3", "--gallery", str(tmp_path / "g.sqlite")]) == 2
    assert "no one was tracked in the 4.2 s" in capsys.readouterr().err


def test_quality_gate_refuses_a_tiny_or_standing_person():
    from app.gallery.enrol import ClippedSource, collect_from_runtime

    small = ClippedSource(walker(3, 4.0, height=0.2)).open()  # 0.2 x 240 = 48 px tall
    collection = collect_from_runtime(small, FakeGait())
    assert collection.embeddings == [] and "48 px tall" in collection.too_short_message("clip", 2.48)
    big = collect_from_runtime(ClippedSource(walker(3, 4.0)).open(), FakeGait())
    assert big.embeddings and big.person_px == pytest.approx(168, abs=1) and big.stride_m > 0.3
    standing = collect_from_runtime(ClippedSource(walker(3, 4.0)).open(), FakeGait(), min_stride_m=0.9)
    assert standing.embeddings == [] and "does not seem to walk" in standing.rejected


def test_enrol_tap_reports_tracked_time_and_embeds_a_short_walk():
    """GUI path: the tap sees every tracked frame; a walk without a full live window is embedded at finish."""
    from app.gui.enrolment import EnrolmentTap
    from app.records import FrameResult

    tap = EnrolmentTap()
    runtime = FakeGait()
    tap.set_gait_runtime(runtime)
    tap.start()
    source = walker(5, 4.4, (1.0, 3.4)).open()
    from app.tracking import Tracker

    tracker = Tracker()
    for frame in source.frames():
        tracks = tracker.update(frame.skeletons or [], frame.timestamp, frame.size).tracked
        tap.observe(FrameResult(frame=frame, tracks=tracks, predictions={}))
    assert tap.tracked_seconds() == pytest.approx(2.4, abs=0.1)
    result = tap.finish()
    assert result.embeddings and all(np.allclose(e, basis(5)) for e in result.embeddings)
    assert result.tracked_seconds == pytest.approx(2.4, abs=0.1) and result.note == ""
    tap.start()                                                # a person who does not walk: enrolled, with a note
    for frame in walker(6, 3.0, standing=True).open().frames():
        tracks = tracker.update(frame.skeletons or [], frame.timestamp, frame.size).tracked
        tap.observe(FrameResult(frame=frame, tracks=tracks, predictions={}))
    standing = tap.finish()
    assert standing.embeddings and "hardly walked" in standing.note


# ----------------------------------------------------------------------------------- real-gait evaluation
def test_window_starts_and_padding():
    from aclnet_core.eval.real_gait import pad_hold, window_starts

    assert window_starts(10, 32, 8) == [0]
    assert window_starts(32, 32, 8) == [0]
    assert window_starts(50, 32, 8) == [0, 8, 16, 18]
    x = np.arange(5.0)[:, None]
    assert pad_hold(x, 9)[:, 0].tolist() == [0, 0, 0, 1, 2, 3, 4, 4, 4]


def test_gait_parts_keep_walks_apart_and_skip_unknown_people():
    from aclnet_core.data.mocap.trials import MocapTrial
    from aclnet_core.eval.real_gait import gait_parts

    def trial(name, source, subject, label, seconds=6.0):
        return MocapTrial(np.zeros((int(seconds * 30), 3, 3), np.float32), ("a", "b", "c"), 30.0, subject, label,
                          label, source, name)

    trials = [trial("16_01", "cmu", "16", "walk"), trial("16_02", "cmu", "16", "walk"),
              trial("16_03", "cmu", "16", "run"), trial("x", "cmu_expmap", "16", "walk"),
              trial("u", "cmu_expmap", "", "walk"), trial("d1", "hdm05", "dg", "dance"),
              trial("10_04", "cmu", "10", "walk", 4.0)]
    parts = gait_parts(trials)
    assert {p.person for p in parts} == {"cmu:16", "cmu:10"}            # no expmap duplicates, no unknowns
    walks = {(p.trial, p.side) for p in parts if p.label == "walk" and p.person == "cmu:16"}
    assert walks == {("16_01", "gallery"), ("16_02", "probe")}          # different walks on each side
    run = sorted((p.side, p.start_s, p.end_s) for p in parts if p.trial == "16_03")
    assert run == [("gallery", 0.0, 3.0), ("probe", 3.0, 6.0)]          # one trial: split in time


def test_evaluate_rule_and_snorm():
    from aclnet_core.eval.cohort import cohort_from_meta, decode_cohort, encode_cohort, snorm_scores
    from aclnet_core.eval.real_gait import GaitSet, evaluate_rule

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(6, 16))
    people = [f"p{i}" for i in range(6)]

    def make(side, n):
        e = np.repeat(centres, n, 0) + 0.3 * rng.normal(size=(6 * n, 16))
        e /= np.linalg.norm(e, axis=1, keepdims=True)
        names = [p for p in people for _ in range(n)]
        return GaitSet(e, names, [side] * len(names), ["walk"] * len(names), ["t"] * len(names),
                       [4.0] * len(names))

    g, p = make("gallery", 2), make("probe", 30)
    report = evaluate_rule(g, p, "cosine", threshold=0.5)
    assert report.rank1 > 0.9 and report.num_genuine == 180 and report.num_impostor == 900
    assert 0 <= report.far_reached <= 1 and report.tar is not None
    cohort = rng.normal(size=(20, 16))
    entry = encode_cohort(cohort, top_k=5, built_from="test")
    decoded, k = decode_cohort(json.loads(json.dumps(entry)))
    assert k == 5 and decoded.shape == (20, 16) and np.allclose(np.linalg.norm(decoded, axis=1), 1, atol=1e-3)
    s = snorm_scores(p.embeddings[:3], g.embeddings, decoded, 5)
    assert s.shape == (3, 12) and np.isfinite(s).all()
    assert evaluate_rule(g, p, "snorm", decoded, 5).rank1 > 0.8

    from types import SimpleNamespace

    assert cohort_from_meta(SimpleNamespace(extra={"identity_cohort": entry}))[1] == 5 and cohort_from_meta(object())[0] is None


def test_real_calibration_keeps_the_target_tar():
    from aclnet_core.eval.real_gait import GaitSet, calibrate_real

    rng = np.random.default_rng(1)
    centres = rng.normal(size=(5, 16))
    rows, persons, sides = [], [], []
    for side, n in (("gallery", 2), ("probe", 20)):
        for k in range(5):
            for _ in range(n):
                rows.append(centres[k] + 0.8 * rng.normal(size=16))
                persons.append(f"p{k}")
                sides.append(side)
    e = np.array(rows) / np.linalg.norm(rows, axis=1, keepdims=True)
    gs = GaitSet(e, persons, sides, ["walk"] * len(rows), ["t"] * len(rows), [4.0] * len(rows))
    cal = calibrate_real([gs, gs], 0.9, [0, 1], 4)
    assert cal.num_genuine == 200 and cal.num_impostor == 800 and cal.num_identities == 5
    assert 0.9 <= cal.tar < 0.92 and 0.0 <= cal.far < 1.0
    assert calibrate_real([gs], 1.0, [0], 4).tar == 1.0
