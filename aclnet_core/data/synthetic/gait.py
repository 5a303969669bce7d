"""Gait identities: fixed body proportions and walking style per identity index, and the walking motion.

The joint-angle curves are Fourier/Gaussian fits to the normal gait kinematics in Winter's and Perry's tables
(thigh swing about ±20°, two knee flexion peaks at ~12 % and ~72 % of the cycle, ankle push-off at toe-off),
with identity-specific cadence, stride, arm swing, trunk lean, asymmetry and foot angle. The person's forward
progression is not imposed: it comes from the stance foot staying on the ground (``Skeleton.scene_landmarks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from aclnet_core.data.synthetic.body import Body, sample_body
from aclnet_core.data.synthetic.pose import Pose, window
from aclnet_core.errors import UserError

NUM_GAIT_IDENTITIES = 256
PERTURBATIONS: tuple[str, ...] = ("bag", "coat")
_GAIT_NAMESPACE = 0x6A17  # seeds identities apart from actors with the same number

# Normalised joint curves over one gait cycle (heel strike at 0, toe-off at 0.6), piecewise linear in phase.
_PHASE = np.array([0.0, 0.1, 0.3, 0.5, 0.55, 0.62, 0.75, 0.87, 1.0])
_HIP = (_PHASE, np.array([0.7, 0.6, -0.1, -0.95, -1.0, -0.75, 0.35, 1.0, 0.7]))  # thigh swing, -1..1
_KNEE_PHASE = np.array([0.0, 0.12, 0.3, 0.4, 0.5, 0.6, 0.72, 0.85, 0.95, 1.0])
_KNEE_LOAD = (_KNEE_PHASE, np.array([0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]))  # loading response
_KNEE_SWING = (_KNEE_PHASE, np.array([0.0, 0.0, 0.0, 0.02, 0.15, 0.6, 1.0, 0.5, 0.05, 0.0]))  # swing flexion
_FOOT_PHASE = np.array([0.0, 0.08, 0.35, 0.5, 0.6, 0.67, 0.77, 0.88, 0.95, 1.0])
_FOOT_PUSH = (_FOOT_PHASE, np.array([0.0, 0.0, 0.0, 0.3, 1.0, 0.8, 0.15, 0.0, 0.0, 0.0]))  # heel rise, push-off
_FOOT_UP = (_FOOT_PHASE, np.array([1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0]))  # toes up at heel strike


@dataclass(frozen=True)
class GaitStyle:
    """How one identity walks (degrees, steps/min, metres)."""

    cadence: float  # steps per minute at their preferred speed
    hip_range: float  # thigh swing amplitude (half the range)
    hip_mean: float
    knee_load: float  # loading-response knee flexion
    knee_swing: float  # peak swing knee flexion
    push_off: float  # sole pitch (toes down) at toe-off
    clearance: float  # sole pitch (toes up) at heel strike
    arm_swing: float
    arm_abd: float
    arm_mean: float
    elbow: float
    elbow_swing: float
    lean: float  # trunk pitch
    head: float  # neck flexion
    pelvis_rot: float
    pelvis_roll: float
    sway: float  # lateral pelvis sway (m)
    phase_asym: float  # right heel strike offset from half a cycle (cycles)
    range_asym: float  # right/left thigh swing ratio - 1
    arm_asym: float  # right/left arm swing ratio - 1
    toe_out_l: float
    toe_out_r: float
    step_width: float  # hip abduction
    trunk_tilt: float  # constant lateral trunk bend
    head_tilt: float

    def to_dict(self) -> dict:
        return {name: round(float(getattr(self, name)), 4) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class GaitIdentity:
    index: int
    body: Body
    style: GaitStyle
    bag_side: str  # the hand this person carries a bag in


def _sample_style(rng: np.random.Generator) -> GaitStyle:
    toe = rng.uniform(-3.0, 18.0)
    return GaitStyle(
        cadence=rng.uniform(95.0, 125.0),
        hip_range=rng.uniform(19.0, 27.0),
        hip_mean=rng.uniform(4.0, 10.0),
        knee_load=rng.uniform(5.0, 20.0),
        knee_swing=rng.uniform(50.0, 68.0),
        push_off=rng.uniform(28.0, 42.0),
        clearance=rng.uniform(10.0, 20.0),
        arm_swing=rng.uniform(6.0, 35.0),
        arm_abd=rng.uniform(4.0, 20.0),
        arm_mean=rng.uniform(-8.0, 8.0),
        elbow=rng.uniform(5.0, 35.0),
        elbow_swing=rng.uniform(3.0, 20.0),
        lean=rng.uniform(-3.0, 12.0),
        head=rng.uniform(-6.0, 16.0),
        pelvis_rot=rng.uniform(2.0, 8.0),
        pelvis_roll=rng.uniform(1.5, 7.0),
        sway=rng.uniform(0.01, 0.04),
        phase_asym=rng.normal(0.0, 0.02),
        range_asym=rng.normal(0.0, 0.08),
        arm_asym=rng.normal(0.0, 0.25),
        toe_out_l=toe + rng.normal(0.0, 3.0),
        toe_out_r=toe + rng.normal(0.0, 3.0),
        step_width=rng.uniform(0.0, 5.0),
        trunk_tilt=rng.normal(0.0, 2.0),
        head_tilt=rng.normal(0.0, 4.0),
    )


@lru_cache(maxsize=4096)
def gait_identity(index: int) -> GaitIdentity:
    """The person with this identity index: the same in every call, process and machine."""
    if int(index) < 0:
        raise UserError(f"gait identity must be >= 0, got {index}")
    rng = np.random.default_rng(np.random.SeedSequence([_GAIT_NAMESPACE, int(index)]))
    body = sample_body(rng)
    style = _sample_style(rng)
    return GaitIdentity(int(index), body, style, "r" if rng.random() < 0.5 else "l")


def _jitter(style: GaitStyle, rng: np.random.Generator, sd: float) -> dict:
    """Day-to-day variation: every style value a few % off."""
    values = {name: getattr(style, name) for name in style.__dataclass_fields__}
    noise = 1.0 + sd * rng.standard_normal(len(values))
    return {k: v * n for (k, v), n in zip(values.items(), noise)}


def gait_pose(
    identity: GaitIdentity,
    t: np.ndarray,
    rng: np.random.Generator,
    heading: float,
    speed: float,
    perturbation: str | None,
) -> tuple[Pose, Body, dict]:
    """Walking along ``heading`` (degrees, scene yaw) at ``speed`` × the preferred speed."""
    if perturbation is not None and perturbation not in PERTURBATIONS:
        raise UserError(f"unknown gait perturbation {perturbation!r}; expected one of {PERTURBATIONS} or None")
    g = _jitter(identity.style, rng, 0.03)
    body = identity.body
    arm_scale = {"l": 1.0, "r": 1.0 + g["arm_asym"]}
    arm_abd = {"l": g["arm_abd"], "r": g["arm_abd"]}
    elbow = {"l": g["elbow"], "r": g["elbow"]}
    extra: dict = {}
    tilt = g["trunk_tilt"]
    if perturbation == "bag":
        side = identity.bag_side
        shoulder_bag = rng.random() < 0.4
        extra = {"bag_side": side, "shoulder_bag": bool(shoulder_bag)}
        arm_scale[side] *= 0.1 if shoulder_bag else 0.25
        arm_abd[side] += rng.uniform(5.0, 12.0) if not shoulder_bag else 0.0
        elbow[side] = rng.uniform(70.0, 100.0) if shoulder_bag else rng.uniform(0.0, 10.0)
        tilt += (1.0 if side == "r" else -1.0) * rng.uniform(2.0, 6.0)  # lean away from the load
    elif perturbation == "coat":
        damp = rng.uniform(0.4, 0.7)
        arm_scale = {s: v * damp for s, v in arm_scale.items()}
        bulk = rng.uniform(5.0, 12.0)
        arm_abd = {s: v + bulk for s, v in arm_abd.items()}
        elbow = {s: v + rng.uniform(5.0, 15.0) for s, v in elbow.items()}
        body = body.widened(rng.uniform(1.04, 1.10), rng.uniform(1.05, 1.15))
        extra = {"arm_damping": round(float(damp), 3)}

    steps_per_s = g["cadence"] / 60.0 * speed**0.45
    phase_l = rng.random() + 0.5 * steps_per_s * t
    phase_r = phase_l + 0.5 + g["phase_asym"]
    hip_range = g["hip_range"] * speed**0.55
    pose = Pose(len(t))
    stance = {}
    for s, phase, scale in (("l", phase_l, 1.0), ("r", phase_r, 1.0 + g["range_asym"])):
        p = phase % 1.0
        pose[f"{s}_hip_flex"] = g["hip_mean"] + scale * hip_range * np.interp(p, *_HIP)
        knee_swing = g["knee_swing"] * scale * np.interp(p, *_KNEE_SWING)
        pose[f"{s}_knee"] = 3.0 + g["knee_load"] * np.interp(p, *_KNEE_LOAD) + knee_swing
        # foot_flat stays 1, so ``ankle`` is the sole's pitch to the ground: toes up at heel strike, heel rise
        # through terminal stance, push-off at toe-off (60 %), toes lifted again for clearance late in swing.
        pose[f"{s}_ankle"] = g["push_off"] * np.interp(p, *_FOOT_PUSH) - g["clearance"] * np.interp(p, *_FOOT_UP)
        pose[f"{s}_hip_abd"] = g["step_width"]
        pose[f"{s}_hip_rot"] = g[f"toe_out_{s}"]
        stance[s] = window(phase, 0.0, 0.6, 0.05)
    pose["anchor_left"] = stance["l"] / np.maximum(stance["l"] + stance["r"], 1e-6)
    for s, contra in (("l", phase_r), ("r", phase_l)):
        swing = np.cos(2 * np.pi * (contra - 0.88))
        pose[f"{s}_sh_flex"] = g["arm_mean"] + g["arm_swing"] * speed**0.5 * arm_scale[s] * swing
        pose[f"{s}_sh_abd"] = arm_abd[s]
        pose[f"{s}_elbow"] = elbow[s] + g["elbow_swing"] * arm_scale[s] * (0.5 + 0.5 * swing)
        pose[f"{s}_sh_rot"] = -10.0
    swing_l = np.cos(2 * np.pi * (phase_l - 0.88))
    pose["yaw"] = heading - g["pelvis_rot"] * swing_l
    pose["spine_twist"] = 1.6 * g["pelvis_rot"] * swing_l
    pose["neck_twist"] = -0.6 * g["pelvis_rot"] * swing_l
    pose["roll"] = g["pelvis_roll"] * np.cos(2 * np.pi * (phase_l - 0.1))
    pose["root_x"] = g["sway"] * np.cos(2 * np.pi * (phase_l - 0.3))
    pose["pitch"] = g["lean"] + 1.5 * np.cos(4 * np.pi * phase_l)
    pose["neck_flex"] = g["head"] - 0.5 * g["lean"]
    pose["spine_lat"] = tilt
    pose["neck_lat"] = g["head_tilt"]
    meta = {"steps_per_s": round(float(steps_per_s), 3), "speed_factor": round(float(speed), 3), **extra}
    return pose, body, meta
