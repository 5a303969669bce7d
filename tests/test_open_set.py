"""Calibrated confidences and the open-set gate the app shows (aclnet_core.eval.open_set)."""

from __future__ import annotations

import numpy as np
import pytest

from aclnet_core.eval.open_set import decide, fit_temperature, open_set_scores


def test_fit_temperature_recovers_the_scale_of_overconfident_logits():
    rng = np.random.default_rng(0)
    true = rng.normal(0, 1.5, size=(4000, 6))
    labels = np.array([rng.choice(6, p=np.exp(r) / np.exp(r).sum()) for r in true])
    t = fit_temperature(true * 3.0, labels)  # logits 3x too sharp -> T ~ 3
    assert t == pytest.approx(3.0, rel=0.15)


def test_no_calibration_is_plain_softmax():
    logits = np.array([[2.0, 0.0, -1.0]])
    p = decide(logits, None, {})
    np.testing.assert_allclose(p.sum(1), 1.0)
    assert p.argmax() == 0


@pytest.mark.parametrize("method", ["max_prob", "energy", "prototype"])
def test_gate_removes_confidence_below_the_threshold_only(method):
    protos = np.eye(3, 4)
    known = np.array([[9.0, 0.0, 0.0]])  # confident, embedding on prototype 0
    unknown = np.array([[1.0, 0.9, 0.8]])  # flat, embedding far from every prototype
    emb = np.array([[1.0, 0, 0, 0], [0, 0, 0, 1.0]])
    logits = np.vstack([known, unknown])
    scores = open_set_scores(logits, emb, 1.0, protos)[method]
    threshold = float(scores.mean())
    cal = {"open_set": {"temperature": 1.0, "method": method, "threshold": threshold, "width": 1e-3,
                        "prototypes": protos.tolist()}}
    shown = decide(logits, emb, cal)
    assert shown[0].max() > 0.9  # an in-set window keeps its confidence
    assert shown[1].max() < 1e-3  # an out-of-set one shows nothing confident
    assert shown[1].sum() < 0.01


def test_temperature_softens_the_shown_confidence():
    logits = np.array([[6.0, 0.0, 0.0]])
    sharp = decide(logits, None, {"open_set": {"temperature": 1.0}}).max()
    soft = decide(logits, None, {"open_set": {"temperature": 4.0}}).max()
    assert sharp > 0.99 and soft < 0.8


def test_other_class_is_never_shown_and_counts_against_the_window():
    logits = np.array([[0.0, 0.0, 8.0], [8.0, 0.0, 0.0]])  # last class: "other"
    cal = {"open_set": {"temperature": 1.0, "reject": [2]}}
    shown = decide(logits, None, cal)
    assert shown[:, 2].max() == 0.0
    assert shown[0].max() < 0.01  # mostly "other": nothing confident to show
    assert shown[1].max() > 0.99
    scores = open_set_scores(logits, None, 1.0, reject=[2])
    assert scores["max_prob"][0] < 0.01 and scores["max_prob"][1] > 0.99


def test_prepared_metadata_decides_the_same():
    from aclnet_core.eval.open_set import prepared

    rng = np.random.default_rng(1)
    logits, emb = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    extra = {"open_set": {"temperature": 1.3, "method": "prototype", "threshold": 0.2, "width": 0.05,
                          "prototypes": np.eye(3, 4).tolist(), "reject": [2]}}
    ready = prepared(extra)
    assert isinstance(ready["open_set"]["prototypes"], np.ndarray)
    assert isinstance(extra["open_set"]["prototypes"], list)  # the model's metadata is left as it is
    np.testing.assert_array_equal(decide(logits, emb, ready), decide(logits, emb, extra))
