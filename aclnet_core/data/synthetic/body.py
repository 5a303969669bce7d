"""Body proportions of one synthetic person, and where each landmark sits on the kinematic skeleton.

Segment ratios follow the anthropometric tables (Drillis & Contini, as quoted by Winter) with MediaPipe's landmark
placement: hip landmarks at about hip-joint height, "index"/"pinky" near the knuckles, "foot_index" at the toes.
All lengths are metres. Left and right are symmetric; asymmetry is a gait style (see ``gait.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# Kinematic frames, ordered by depth in the tree so that each level is a contiguous block (forward kinematics
# runs one batched step per level).
FRAME_NAMES = (
    "pelvis", "chest", "l_thigh", "r_thigh", "head", "l_uarm", "r_uarm", "l_shank", "r_shank",
    "l_farm", "r_farm", "l_foot", "r_foot", "l_hand", "r_hand",
)  # fmt: skip
FRAME = {name: i for i, name in enumerate(FRAME_NAMES)}
_PARENT_NAME = {
    "pelvis": "pelvis", "chest": "pelvis", "l_thigh": "pelvis", "r_thigh": "pelvis", "head": "chest",
    "l_uarm": "chest", "r_uarm": "chest", "l_shank": "l_thigh", "r_shank": "r_thigh", "l_farm": "l_uarm",
    "r_farm": "r_uarm", "l_foot": "l_shank", "r_foot": "r_shank", "l_hand": "l_farm", "r_hand": "r_farm",
}  # fmt: skip
FRAME_PARENT = np.array([FRAME[_PARENT_NAME[name]] for name in FRAME_NAMES])
FRAME_LEVELS = ((1, 4), (4, 9), (9, 13), (13, 15))  # [start, stop) of each tree level after the pelvis

# Which frame each of the 33 landmarks rides on.
LANDMARK_FRAME = np.array(
    [FRAME["head"]] * 11
    + [FRAME["l_uarm"], FRAME["r_uarm"], FRAME["l_farm"], FRAME["r_farm"], FRAME["l_hand"], FRAME["r_hand"]]
    + [FRAME["l_hand"], FRAME["r_hand"]] * 3
    + [FRAME["l_thigh"], FRAME["r_thigh"], FRAME["l_shank"], FRAME["r_shank"], FRAME["l_foot"], FRAME["r_foot"]]
    + [FRAME["l_foot"], FRAME["r_foot"]] * 2
)


@dataclass(frozen=True)
class Body:
    """Segment lengths of one person (metres)."""

    height: float
    torso: float  # pelvis origin (mid-hip) to the neck base (mid-shoulder line)
    neck: float  # neck base to the head pivot
    head: float  # head size: scales the face points
    shoulder_width: float  # between the shoulder landmarks
    shoulder_drop: float  # shoulders below the neck base
    hip_width: float  # between the hip landmarks
    upper_arm: float
    forearm: float
    hand: float  # wrist to the index landmark
    thigh: float
    shank: float
    ankle_height: float
    foot: float  # ankle to the toe landmark
    heel: float  # heel landmark behind the ankle

    def to_dict(self) -> dict:
        return {name: round(float(getattr(self, name)), 4) for name in self.__dataclass_fields__}

    def widened(self, shoulders: float, hips: float) -> Body:
        """A copy with wider shoulder and hip landmarks (a coat hides where the joints are)."""
        d = asdict(self)
        d["shoulder_width"] *= shoulders
        d["hip_width"] *= hips
        return Body(**d)

    @property
    def leg_length(self) -> float:
        return self.thigh + self.shank + self.ankle_height


# Mean ratio to height and relative standard deviation of each segment.
_RATIOS = {
    "torso": (0.300, 0.035),
    "neck": (0.048, 0.10),
    "head": (0.130, 0.05),
    "shoulder_width": (0.215, 0.06),
    "shoulder_drop": (0.012, 0.25),
    "hip_width": (0.125, 0.07),
    "upper_arm": (0.186, 0.04),
    "forearm": (0.146, 0.04),
    "hand": (0.050, 0.06),
    "thigh": (0.245, 0.035),
    "shank": (0.246, 0.035),
    "ankle_height": (0.039, 0.08),
    "foot": (0.118, 0.05),
    "heel": (0.030, 0.10),
}


def sample_body(rng: np.random.Generator, spread: float = 1.0) -> Body:
    """A random adult: height ~ N(1.70, 0.09) m, segment ratios with a few % individual variation.

    ``broad`` couples wide shoulders with narrow hips (the main sex difference in body shape).
    """
    height = float(np.clip(rng.normal(1.70, 0.09 * spread), 1.45, 2.02))
    broad = rng.normal()
    noise = rng.normal(size=len(_RATIOS))
    values = {}
    for (name, (mean, sd)), z in zip(_RATIOS.items(), noise):
        r = mean * (1.0 + sd * spread * z)
        if name == "shoulder_width":
            r *= 1.0 + 0.04 * broad
        elif name == "hip_width":
            r *= 1.0 - 0.04 * broad
        values[name] = height * float(max(r, 0.25 * mean))
    return Body(height=height, **values)


def joint_offsets(body: Body) -> np.ndarray:
    """(15, 3) origin of each frame in its parent's frame (x to the person's left, y up, z forward)."""
    b = body
    off = np.zeros((len(FRAME_NAMES), 3))
    off[FRAME["head"]] = (0.0, b.torso, 0.0)
    off[FRAME["l_uarm"]] = (0.5 * b.shoulder_width, b.torso - b.shoulder_drop, 0.0)
    off[FRAME["r_uarm"]] = (-0.5 * b.shoulder_width, b.torso - b.shoulder_drop, 0.0)
    off[FRAME["l_farm"]] = off[FRAME["r_farm"]] = (0.0, -b.upper_arm, 0.0)
    off[FRAME["l_hand"]] = off[FRAME["r_hand"]] = (0.0, -b.forearm, 0.0)
    off[FRAME["l_thigh"]] = (0.5 * b.hip_width, 0.0, 0.0)
    off[FRAME["r_thigh"]] = (-0.5 * b.hip_width, 0.0, 0.0)
    off[FRAME["l_shank"]] = off[FRAME["r_shank"]] = (0.0, -b.thigh, 0.0)
    off[FRAME["l_foot"]] = off[FRAME["r_foot"]] = (0.0, -b.shank, 0.0)
    return off


# Face points in the head frame, in units of head size, above the head pivot (left-side x positive).
_FACE = np.array(
    [
        [0.0, 0.34, 0.50],  # nose
        [0.085, 0.50, 0.40], [0.14, 0.50, 0.38], [0.20, 0.50, 0.34],  # left eye inner, eye, outer
        [-0.085, 0.50, 0.40], [-0.14, 0.50, 0.38], [-0.20, 0.50, 0.34],  # right eye
        [0.34, 0.42, 0.0], [-0.34, 0.42, 0.0],  # ears
        [0.13, 0.19, 0.42], [-0.13, 0.19, 0.42],  # mouth left, right
    ]
)  # fmt: skip
# Hand points in the left hand frame, in units of hand length (hand along -y, palm facing -x, thumb +z).
_HAND = np.array([[-0.06, -0.86, -0.24], [-0.06, -1.0, 0.28], [-0.20, -0.45, 0.42]])  # pinky, index, thumb


def landmark_offsets(body: Body) -> np.ndarray:
    """(33, 3) offset of every landmark in the frame it rides on (``LANDMARK_FRAME``)."""
    b = body
    off = np.zeros((33, 3))
    off[:11] = _FACE * b.head
    off[:11, 1] += b.neck
    hand = _HAND * b.hand
    mirror = np.array([-1.0, 1.0, 1.0])
    off[[17, 19, 21]] = hand
    off[[18, 20, 22]] = hand * mirror
    heel = np.array([0.0, -b.ankle_height, -b.heel])
    toe = np.array([-0.06 * b.foot, -b.ankle_height, b.foot])
    off[29], off[30] = heel, heel * mirror
    off[31], off[32] = toe, toe * mirror
    return off
