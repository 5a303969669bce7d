"""The shipped action model on real people: labelled real clips from ../shared (skipped when it is absent).

- Out-of-set clips (drinking, walking up to hug, arm wrestling, pool cleaning): no frame shows a class label
  with a score of 0.9 or more.
- People walking (mmpose_body3d_demo: walking and turning; the shipped intel demo clip: walking in and out under a
  high camera): walk should be the label shown most while they move at walking speed. The shipped v3 does this on
  the body3d walker; the intel walkers' 1-2 s walks are shorter than its window (a strict xfail, so a fix is noticed).
- Mocap people never trained on, through unseen cameras: the held-out accuracy stays near the published figure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED, skip_without_shared

MEDIA = SHARED / "media"
DEMO = Path(__file__).resolve().parents[1] / "assets" / "media"  # the shipped CC BY 4.0 demo clip
OUT_OF_SET = ("mmaction2_ntu_S001C001P001R001A001_rgb.avi", "mmaction2_demo_skeleton.mp4", "mmaction2_demo.mp4",
              "mmaction2_test_pool.mp4")


def _check(name: str, where: Path = MEDIA) -> dict:
    if where == MEDIA:
        skip_without_shared(f"media/{name}")
    path = where / name
    from app.annotate import AnnotateOptions
    from app.real_clip_check import check_clip

    return check_clip(str(path), AnnotateOptions(progress=False))


@pytest.mark.parametrize("name", OUT_OF_SET)
def test_out_of_set_real_clip_shows_no_confident_label(name):
    result = _check(name)
    assert result["confident_class_share"] == 0.0, result


WALKERS = [
    ("mmpose_body3d_demo.mp4", MEDIA),
    pytest.param("intel_one_by_one_person_detection.mp4", DEMO, marks=pytest.mark.xfail(
        strict=True, reason="known limit of action model v3: the intel walkers walk for 1-2 s at a time, less than "
        "the 2.5 s window, so walk is not shown while they move (docs/RESULTS.md). Passing means it was fixed")),
]


@pytest.mark.parametrize(("name", "where"), WALKERS)
def test_real_walkers_are_labelled_walk_while_they_walk(name, where):
    """While a person moves at walking speed (the clip's own ground truth), walk is the label shown most, and it is
    shown on most moving frames even counting those before the person's first window (v3: body3d 61 %)."""
    result = _check(name, where)
    assert result["moving_person_frames"] > 50, result
    shown = result["shown_while_moving"]
    assert max(shown, key=shown.get) == "walk", shown
    assert result["walk_share_of_all_moving"] > 0.5, result


def test_held_out_mocap_people_through_unseen_cameras():
    root = skip_without_shared("data/mocap/manifest.csv") / "data" / "mocap"
    import numpy as np

    from aclnet_core.eval.open_set import _infer
    from aclnet_core.model.checkpoint import load_checkpoint, model_from_checkpoint
    from aclnet_core.train.config import config_from_dict
    from aclnet_core.train.data_setup import load_split

    ckpt = Path(__file__).resolve().parents[1] / "assets" / "models" / "action.pt"
    payload = load_checkpoint(ckpt, full=True)
    data = config_from_dict(payload["config"]).data
    if data.kind != "mocap":
        pytest.skip("the shipped action model was not trained on mocap")
    data.path = str(root)
    model, meta = model_from_checkpoint(ckpt)
    seqs, names = load_split(data, "test")
    assert names == meta.labels
    logits, _ = _infer(model, seqs, meta.preprocess_config())
    top1 = float((logits.argmax(1) == np.array([s.label for s in seqs])).mean())
    assert top1 >= 0.90, top1  # model card: 93.6 % (516 windows); a drop of 18 windows fails
