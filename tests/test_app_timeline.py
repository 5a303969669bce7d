"""Timeline's comparison of the shown labels with a source's ground truth (the synthetic demo stream)."""

from __future__ import annotations

import pytest

from app.records import Frame, FrameResult, Prediction
from app.timeline import Timeline, TruthAgreement

FPS = 10.0


def _result(i: int, truth: str | None, shown: str | None, labelled: bool = True) -> FrameResult:
    frame = Frame(None, i, i / FPS, size=(8, 8), truth_label=truth)
    predictions = {1: Prediction(1, shown, 0.9)} if labelled else {}
    return FrameResult(frame, [], predictions)


def _feed(truth: list[str], shown: list[str | None], unlabelled: int = 0) -> TruthAgreement:
    agreement = TruthAgreement(recall_slack_s=1.0)
    for i, (t, s) in enumerate(zip(truth, shown)):
        agreement.update(_result(i, t, s, labelled=i >= unlabelled))
    return agreement


def test_a_delayed_but_correct_label_scores_at_its_lag():
    truth = ["no_action"] * 10 + ["wave"] * 20 + ["no_action"] * 20
    shown = [None] * 15 + ["wave"] * 20 + [None] * 15          # the same events, 0.5 s late
    a = _feed(truth, shown)
    assert a.frames == 50 and a.agreement == pytest.approx(40 / 50)
    lag, best = a.best_lag()
    assert lag == pytest.approx(0.5) and best == pytest.approx(1.0)
    assert a.event_recall() == (1, 1)


def test_missed_and_wrong_events_and_frames_before_the_first_label():
    truth = ["kick"] * 10 + ["no_action"] * 20 + ["jump"] * 10 + ["no_action"] * 20
    shown = ["squat"] * 10 + [None] * 20 + [None] * 5 + ["jump"] * 5 + [None] * 20
    a = _feed(truth, shown, unlabelled=3)
    assert a.skipped == 3 and a.frames == 57             # counted from the first labelled frame
    assert a.event_recall() == (1, 2)                      # kick never shown, jump shown in time
    d = a.to_dict()
    assert d["events"] == 2 and d["events_recognised"] == 1 and d["event_recall"] == 0.5
    assert d["agreement"] == pytest.approx(45 / 57, abs=1e-4)


def test_a_label_shown_after_the_slack_does_not_count():
    truth = ["wave"] * 10 + ["no_action"] * 40
    shown = [None] * 25 + ["wave"] * 25                    # 1.5 s after the event ended; slack is 1 s
    assert _feed(truth, shown).event_recall() == (0, 1)


def test_timeline_reports_truth_only_when_the_source_has_it():
    with_truth, without = Timeline("demo", FPS), Timeline("clip", FPS)
    for i in range(5):
        with_truth.update(_result(i, "wave", "wave"))
        without.update(_result(i, None, "wave"))
    assert with_truth.to_dict()["truth"]["agreement"] == 1.0
    assert "truth" not in without.to_dict()
