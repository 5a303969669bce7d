"""Two people cross, one hidden behind the other for a few frames: the ids stay with the people (the tracker
matches by pose, predicted by each track's velocity, not by boxes alone)."""

from __future__ import annotations

import numpy as np

from app.records import Skeleton
from app.tracking import Tracker

SIZE = (640, 480)


def body(x: float, lean: float) -> Skeleton:
    """A standing person at image x (normalised); `lean` shifts the upper body (a different pose)."""
    image = np.zeros((33, 3), np.float32)
    ys = np.linspace(0.2, 0.9, 33)
    image[:, 0] = x + lean * (0.9 - ys)
    image[:, 1] = ys
    ones = np.ones(33, np.float32)
    return Skeleton(image=image, world=np.zeros((33, 3), np.float32), visibility=ones, presence=ones)


def test_ids_survive_a_crossing_with_occlusion():
    tracker = Tracker()
    owner: dict[int, str] = {}
    for i in range(40):
        a, b = 0.2 + 0.015 * i, 0.8 - 0.015 * i  # they meet at frame 20
        people = [("a", body(a, 0.05)), ("b", body(b, -0.05))]
        if 18 <= i <= 22:  # b is hidden behind a
            people = people[:1]
        if i % 2:
            people.reverse()
        update = tracker.update([s for _, s in people], i / 25, SIZE)
        for tracked in update.tracked:
            x = float(tracked.raw.image[:, 0].mean())
            who = min(people, key=lambda p: abs(float(p[1].image[:, 0].mean()) - x))[0]
            assert owner.setdefault(tracked.track_id, who) == who, f"frame {i}: id {tracked.track_id} switched"
    assert sorted(owner.values()) == ["a", "b"]
