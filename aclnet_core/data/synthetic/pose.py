"""Joint-angle trajectories: the degree-of-freedom table, a (T, D) pose container and smooth envelopes.

Angles are in degrees and anatomical, so the same value means the same movement on either side:

* shoulder: ``sh_horiz`` (horizontal abduction, + outward), ``sh_abd`` (+ sideways up), ``sh_flex`` (+ forward
  up), ``sh_rot`` (+ external rotation); ``elbow`` (+ flexion); ``pron`` (forearm pronation); ``wrist_flex``,
  ``wrist_dev``.
* hip: ``hip_flex`` is the thigh's forward angle from the vertical in the pelvis-yaw frame (trunk pitch does not
  move the legs), ``hip_abd`` (+ outward), ``hip_rot`` (+ toe-out); ``knee`` (+ flexion); ``ankle`` (+ toes down)
  on top of ``foot_flat`` (1 keeps the sole level with the ground, 0 lets the foot follow the shank).
* root: ``yaw`` (+ turns the person to their left), ``pitch`` (+ leans the trunk forward), ``roll``; ``root_x`` /
  ``root_z`` offsets in metres (the person's left / forward), ``root_lift`` (metres above the ground contact);
  ``anchor_left`` is how much of the weight the left foot carries (feet that carry weight do not slide).
"""

from __future__ import annotations

import numpy as np

_ARM = ("sh_horiz", "sh_abd", "sh_flex", "sh_rot", "elbow", "pron", "wrist_flex", "wrist_dev")
_LEG = ("hip_flex", "hip_abd", "hip_rot", "knee", "ankle", "foot_flat")

DOF_NAMES: tuple[str, ...] = (
    ("root_x", "root_z", "root_lift", "yaw", "pitch", "roll", "anchor_left")
    + ("spine_flex", "spine_lat", "spine_twist", "neck_flex", "neck_lat", "neck_twist")
    + tuple(f"l_{n}" for n in _ARM)
    + tuple(f"r_{n}" for n in _ARM)
    + tuple(f"l_{n}" for n in _LEG)
    + tuple(f"r_{n}" for n in _LEG)
)
DOF = {name: i for i, name in enumerate(DOF_NAMES)}
NUM_DOFS = len(DOF_NAMES)

# Mirroring the person through their sagittal plane swaps l_/r_ and negates the lateral and twist terms.
_NEGATE_ON_MIRROR = ("root_x", "yaw", "roll", "spine_lat", "spine_twist", "neck_lat", "neck_twist")


def _mirror_tables() -> tuple[np.ndarray, np.ndarray]:
    perm = np.arange(NUM_DOFS)
    for name, i in DOF.items():
        if name.startswith("l_"):
            perm[i], perm[DOF["r_" + name[2:]]] = DOF["r_" + name[2:]], i
    sign = np.ones(NUM_DOFS)
    sign[[DOF[n] for n in _NEGATE_ON_MIRROR]] = -1.0
    return perm, sign


_MIRROR_PERM, _MIRROR_SIGN = _mirror_tables()


class Pose:
    """A (T, D) trajectory of all degrees of freedom; ``pose['l_elbow']`` is a writable (T,) view."""

    __slots__ = ("anchored", "data")

    def __init__(self, num_frames: int, anchored: bool = True) -> None:
        self.data = np.zeros((num_frames, NUM_DOFS))
        self.data[:, DOF["anchor_left"]] = 0.5
        self.data[:, DOF["l_foot_flat"]] = 1.0
        self.data[:, DOF["r_foot_flat"]] = 1.0
        self.anchored = anchored  # True: weight-bearing feet stay put; False: root_x/root_z are absolute

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[:, DOF[name]]

    def __setitem__(self, name: str, value) -> None:
        self.data[:, DOF[name]] = value

    @property
    def num_frames(self) -> int:
        return self.data.shape[0]

    def mirror(self) -> None:
        """Swap the person's left and right in place (left-handed version of the same motion)."""
        self.data = self.data[:, _MIRROR_PERM] * _MIRROR_SIGN
        self.data[:, DOF["anchor_left"]] = 1.0 - self.data[:, DOF["anchor_left"]]


# ----------------------------------------------------------------------------------------- envelopes


def minjerk(x: np.ndarray) -> np.ndarray:
    """Minimum-jerk 0→1 profile of x clipped to [0, 1] (how people move between two postures)."""
    x = np.minimum(np.maximum(x, 0.0), 1.0)  # np.clip's Python wrapper costs more than the work here
    return x * x * x * (10.0 + x * (6.0 * x - 15.0))


def ramp(t: np.ndarray, start: float, duration: float) -> np.ndarray:
    """0 before ``start``, 1 after ``start + duration``, a minimum-jerk rise between."""
    return minjerk((t - start) / max(duration, 1e-3))


def bump(t: np.ndarray, start: float, rise: float, hold: float, fall: float) -> np.ndarray:
    """0 → 1 (over ``rise``) → hold → 0 (over ``fall``)."""
    return ramp(t, start, rise) - ramp(t, start + rise + hold, fall)


def window(phase: np.ndarray, start: float, stop: float, edge: float) -> np.ndarray:
    """Periodic smooth window: ~1 for phase (mod 1) in [start, stop], smooth edges of width ``edge``."""
    p = (phase - start + edge) % 1.0 - edge
    length = (stop - start) % 1.0
    return minjerk(p / edge + 0.5) * minjerk((length - p) / edge + 0.5)
