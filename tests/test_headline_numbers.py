"""The published numbers of the shipped models still hold (slow: --runslow or ACLNET_SLOW=1, about 3 min).

The figures, tolerances and evaluation specs live in tests/headline_numbers.json, keyed by the shipped model's
model_id, so replacing a model means registering its numbers there (until then its check skips, saying so).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SHARED, shipped_model, skip_without_shared

NUMBERS = Path(__file__).with_name("headline_numbers.json")
KINDS = {"classification": ("split",), "identification": ("gallery_split", "probe_split"), "real_gait": ("people",)}
METRICS = {"classification": ("top1", "top5", "mean_class_accuracy"), "identification": ("rank1", "rank5", "mAP"),
           "real_gait": ("rank1", "eer", "tar_at_far")}


def registry() -> dict[str, Any]:
    return json.loads(NUMBERS.read_text(encoding="utf-8"))["models"]


def test_registry_entries_are_complete():
    """Fast: every entry names a known kind and metric, a plausible expected value and tolerance, and a command."""
    models = registry()
    assert models
    for model_id, entry in models.items():
        assert len(model_id) == 16 and int(model_id, 16) >= 0, model_id
        assert entry["task"] in ("action", "gait") and entry["checks"], model_id
        for check in entry["checks"]:
            where = f"{model_id}: {check.get('name')}"
            assert check["kind"] in KINDS and check["metric"] in METRICS[check["kind"]], where
            assert all(isinstance(check[key], str) and check[key] for key in KINDS[check["kind"]]), where
            assert 0.0 < check["expected"] <= 1.0 and 0.0 < check["tolerance"] < 0.05, where
            if check["kind"] == "real_gait":  # aclnet_core.eval.real_gait: mocap walkers rendered with a seed
                assert check["people"] in ("all", "heldout") and int(check["seed"]) >= 0, where
                assert str(check["data"]["path"]).startswith("{shared}/"), where
            else:
                assert int(check["clips"]) >= 1 and isinstance(check["data"], dict), where
            assert check["command"].startswith("python "), where


def _data_overrides(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    path = data.get("path")
    if isinstance(path, str) and path.startswith("{shared}/"):
        relative = path.removeprefix("{shared}/")
        skip_without_shared(relative)
        data["path"] = str(SHARED / relative)
    return data


def measure(ckpt: Path, check: dict[str, Any]) -> float:
    data = _data_overrides(check["data"])
    if check["kind"] == "real_gait":
        from aclnet_core.eval import real_gait

        folds = real_gait.HELDOUT_FOLDS if check["people"] == "heldout" else real_gait.DEFAULT_FOLDS
        gs = real_gait.build_gait_set(ckpt, data["path"], seed=int(check["seed"]))
        result = real_gait.evaluate_rule(*real_gait.split_persons(gs, real_gait.fold_people(gs, folds)), "cosine")
    elif check["kind"] == "classification":
        from aclnet_core.eval.evaluate import evaluate

        result = evaluate([ckpt], data, check["split"], int(check["clips"]), None, None)
    else:
        from aclnet_core.eval.identification import evaluate_identification

        result = evaluate_identification(ckpt, data, check["gallery_split"], check["probe_split"], int(check["clips"]))
    return float(getattr(result, check["metric"]))


@pytest.mark.slow
@pytest.mark.timeout(1800)      # about 2.5 min for action and 25 s for gait on an idle core; far more on a busy CPU
@pytest.mark.parametrize("task", ["action", "gait"])
def test_shipped_model_reproduces_its_published_numbers(task):
    _, meta = shipped_model(task)
    entry = registry().get(meta.model_id)
    if entry is None:
        pytest.skip(f"the shipped {task} model {meta.model_id} has no headline numbers: add its published figures "
                    f"and eval spec to tests/headline_numbers.json")
    assert entry["task"] == task
    ckpt = ROOT / "assets" / "models" / f"{task}.pt"
    failures = []
    for check in entry["checks"]:
        value = measure(ckpt, check)
        print(f"{task} {meta.model_id} {check['name']}: {check['metric']} {value:.4f} "
              f"(published {check['expected']:.4f} ± {check['tolerance']})")
        if not math.isclose(value, check["expected"], abs_tol=check["tolerance"]):
            failures.append(f"{check['name']}: {check['metric']} {value:.4f}, published {check['expected']:.4f} "
                            f"± {check['tolerance']} ({check['command']})")
    assert not failures, "\n".join(failures)


def test_a_model_without_registered_numbers_is_skipped_with_a_reason(monkeypatch):
    """Fast: a newly shipped model (an id with no entry) skips, naming the file where its numbers belong."""
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "registry", dict)
    for task in ("action", "gait"):
        with pytest.raises(pytest.skip.Exception, match="tests/headline_numbers.json"):
            module.test_shipped_model_reproduces_its_published_numbers(task)
