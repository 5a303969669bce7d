"""Merging VIDEO-mode poses (followed people) with an IMAGE-mode re-detection (everyone in the frame)."""

from __future__ import annotations

import numpy as np

from app.pose import PoseOptions, merge_detections, same_person
from app.records import Skeleton

SIZE = (640, 480)


def person(x: float, jitter: float = 0.0) -> Skeleton:
    rng = np.random.default_rng(int(x * 100))
    image = np.zeros((33, 3), np.float32)
    image[:, 0] = x + rng.uniform(-0.05, 0.05, 33) + jitter
    image[:, 1] = np.linspace(0.2, 0.9, 33)
    ones = np.ones(33, np.float32)
    return Skeleton(image=image, world=np.zeros((33, 3), np.float32), visibility=ones, presence=ones)


def test_the_same_person_found_twice_is_merged_and_a_newcomer_is_added():
    followed = [person(0.3)]
    found = [person(0.3, jitter=0.01), person(0.7)]
    merged = merge_detections(followed, found, SIZE, limit=4)
    assert len(merged) == 2 and merged[0] is followed[0]  # the smooth VIDEO-mode pose is kept
    assert same_person(followed[0], found[0], SIZE) and not same_person(followed[0], found[1], SIZE)
    assert len(merge_detections(followed, found, SIZE, limit=1)) == 1


def test_several_people_is_the_default_mode_and_re_detects():
    options = PoseOptions(num_poses=2)
    assert options.mode == "auto" and options.redetect_every >= 1
