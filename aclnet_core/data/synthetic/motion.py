"""Building blocks for motions: the actor's resting style, keyframe timelines and idle behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aclnet_core.data.synthetic.pose import DOF, NUM_DOFS, Pose, minjerk
from aclnet_core.data.synthetic.temporal_noise import smooth_noise


@dataclass(frozen=True)
class ActorStyle:
    """How one person stands and moves, independent of the action (degrees unless noted)."""

    arm_abd: float
    arm_flex: float
    arm_rot: float
    elbow: float
    pron: float
    stance: float  # hip abduction: how wide the feet are
    toe_out: float
    knee: float
    head_flex: float
    lean: float  # trunk pitch
    tempo: float  # speed multiplier
    vigour: float  # amplitude multiplier

    def to_dict(self) -> dict:
        return {name: round(float(getattr(self, name)), 3) for name in self.__dataclass_fields__}


def sample_style(rng: np.random.Generator) -> ActorStyle:
    return ActorStyle(
        arm_abd=rng.uniform(2.0, 9.0),
        arm_flex=rng.uniform(-4.0, 6.0),
        arm_rot=rng.uniform(-15.0, 10.0),
        elbow=rng.uniform(6.0, 22.0),
        pron=rng.uniform(0.0, 40.0),
        stance=rng.uniform(0.5, 5.0),
        toe_out=rng.uniform(-2.0, 16.0),
        knee=rng.uniform(0.0, 7.0),
        head_flex=rng.uniform(-6.0, 12.0),
        lean=rng.uniform(-4.0, 6.0),
        tempo=rng.uniform(0.85, 1.2),
        vigour=rng.uniform(0.85, 1.15),
    )


def apply_rest(pose: Pose, style: ActorStyle, rng: np.random.Generator) -> None:
    """The static standing posture (slightly different each sample)."""
    for s in "lr":
        pose[f"{s}_sh_abd"] = style.arm_abd + rng.normal(0.0, 2.0)
        pose[f"{s}_sh_flex"] = style.arm_flex + rng.normal(0.0, 2.0)
        pose[f"{s}_sh_rot"] = style.arm_rot + rng.normal(0.0, 4.0)
        pose[f"{s}_elbow"] = style.elbow + rng.normal(0.0, 3.0)
        pose[f"{s}_pron"] = style.pron + rng.normal(0.0, 5.0)
        pose[f"{s}_hip_abd"] = style.stance + rng.normal(0.0, 1.0)
        pose[f"{s}_hip_rot"] = style.toe_out + rng.normal(0.0, 2.0)
        knee = max(0.0, style.knee + rng.normal(0.0, 1.5))
        pose[f"{s}_knee"] = knee
        pose[f"{s}_hip_flex"] = 0.5 * knee
    pose["neck_flex"] = style.head_flex + rng.normal(0.0, 3.0)
    pose["pitch"] = style.lean + rng.normal(0.0, 1.5)


# Amplitude of the slow idle wander per degree of freedom (degrees, metres for root_x/root_z).
_WANDER = np.zeros(NUM_DOFS)
for _name, _amp in {
    "yaw": 2.0, "pitch": 0.8, "roll": 0.8, "root_x": 0.008, "root_z": 0.006, "spine_flex": 0.8, "spine_lat": 0.8,
    "spine_twist": 1.5, "neck_flex": 2.5, "neck_lat": 1.5, "neck_twist": 5.0,
}.items():  # fmt: skip
    _WANDER[DOF[_name]] = _amp
for _s in "lr":
    for _name, _amp in {"sh_abd": 1.5, "sh_flex": 2.5, "sh_rot": 3.0, "elbow": 3.0, "pron": 4.0, "wrist_flex": 4.0, "wrist_dev": 3.0, "hip_flex": 0.7, "knee": 0.8, "hip_abd": 0.5}.items():  # fmt: skip
        _WANDER[DOF[f"{_s}_{_name}"]] = _amp


def apply_wander(pose: Pose, t: np.ndarray, rng: np.random.Generator, fps: float, scale: float = 1.0) -> None:
    """Breathing, postural sway and slow fidgeting on top of whatever the person is doing."""
    sigma = rng.uniform(0.25, 0.5) * fps
    pose.data += smooth_noise(rng, pose.num_frames, NUM_DOFS, sigma) * (_WANDER * (scale * rng.uniform(0.5, 1.5)))
    breath = rng.uniform(0.2, 0.33)
    pose["spine_flex"] += rng.uniform(0.4, 1.2) * np.sin(2 * np.pi * breath * t + rng.uniform(0, 2 * np.pi))
    sway = rng.uniform(0.1, 0.3)
    pose["root_x"] += rng.uniform(0.0, 0.015) * np.sin(2 * np.pi * sway * t + rng.uniform(0, 2 * np.pi))


class Timeline:
    """Minimum-jerk interpolation between keyframes at ``times`` (held before the first and after the last)."""

    __slots__ = ("idx", "u")

    def __init__(self, t: np.ndarray, times: Sequence[float]) -> None:
        times = np.maximum.accumulate(np.asarray(times, dtype=np.float64))
        idx = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
        span = np.maximum(times[idx + 1] - times[idx], 1e-6)
        self.idx = idx
        self.u = minjerk((t - times[idx]) / span)

    def __call__(self, values: Sequence[float]) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        a = v[self.idx]
        return a + (v[self.idx + 1] - a) * self.u

    def set(self, pose: Pose, dof: str, values: Sequence[float | None]) -> None:
        """Write keyframes into ``pose[dof]``; None means the resting value."""
        rest = pose[dof][0]
        pose[dof] = self([rest if v is None else v for v in values])

    def add(self, pose: Pose, dof: str, values: Sequence[float]) -> None:
        pose[dof] += self(values)
