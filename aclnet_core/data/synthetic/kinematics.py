"""Forward kinematics: joint-angle trajectories (``Pose``) -> 33 landmarks in scene coordinates.

Scene frame: metres, x to the person's initial left, y up, z the way the person initially faces; the ground is
y = 0. Everything is vectorised over time: one batched rotation build, one matrix product per tree level.
"""

from __future__ import annotations

import numpy as np

from aclnet_core.data.synthetic.body import (
    FRAME_LEVELS,
    FRAME_NAMES,
    FRAME_PARENT,
    LANDMARK_FRAME,
    Body,
    joint_offsets,
    landmark_offsets,
)
from aclnet_core.data.synthetic.landmarks import FOOT_POINTS, L_FOOT, L_HEEL, R_FOOT, R_HEEL
from aclnet_core.data.synthetic.pose import DOF, NUM_DOFS, Pose

_AXIS = {"x": 0, "y": 1, "z": 2}

# frame -> list of (axis, {dof: coefficient}); right-side frames negate their y and z angles (mirror symmetry).
_SPEC: dict[str, list[tuple[str, dict[str, float]]]] = {
    "pelvis": [("y", {"yaw": 1}), ("x", {"pitch": 1}), ("z", {"roll": 1})],
    "chest": [("y", {"spine_twist": 1}), ("x", {"spine_flex": 1}), ("z", {"spine_lat": -1})],
    "head": [("y", {"neck_twist": 1}), ("x", {"neck_flex": 1}), ("z", {"neck_lat": -1})],
}
for _s in "lr":
    _SPEC[f"{_s}_uarm"] = [
        ("y", {f"{_s}_sh_horiz": 1}),
        ("z", {f"{_s}_sh_abd": 1}),
        ("x", {f"{_s}_sh_flex": -1}),
        ("y", {f"{_s}_sh_rot": 1}),
    ]
    _SPEC[f"{_s}_farm"] = [("x", {f"{_s}_elbow": -1}), ("y", {f"{_s}_pron": -1})]
    _SPEC[f"{_s}_hand"] = [("z", {f"{_s}_wrist_flex": -1}), ("x", {f"{_s}_wrist_dev": -1})]
    # Legs are defined against gravity: pelvis pitch and roll do not swing them (thigh angles are compensated).
    _roll = -1.0 if _s == "l" else 1.0
    _SPEC[f"{_s}_thigh"] = [
        ("y", {f"{_s}_hip_rot": 1}),
        ("z", {f"{_s}_hip_abd": 1, "roll": _roll}),
        ("x", {f"{_s}_hip_flex": -1, "pitch": -1}),
    ]
    _SPEC[f"{_s}_shank"] = [("x", {f"{_s}_knee": 1})]
    _SPEC[f"{_s}_foot"] = [("x", {f"{_s}_ankle": 1})]


def _build_tables():
    """Angle matrix (D, S) in radians for every used rotation slot, the axis of each slot, the slot of each
    ankle angle, and the frame order by slot count (frames with more slots first, so products run on slices)."""
    order = sorted(range(len(FRAME_NAMES)), key=lambda f: -len(_SPEC[FRAME_NAMES[f]]))
    counts = [len(_SPEC[FRAME_NAMES[f]]) for f in order]
    columns: list[tuple[str, str, dict[str, float]]] = []
    for k in range(max(counts)):  # slot k of every frame that has one, in ``order``
        for f in order:
            slots = _SPEC[FRAME_NAMES[f]]
            if k < len(slots):
                columns.append((FRAME_NAMES[f],) + slots[k])
    coef = np.zeros((NUM_DOFS, len(columns)))
    axes = np.zeros(len(columns), dtype=np.int64)
    for col, (name, axis, terms) in enumerate(columns):
        axes[col] = _AXIS[axis]
        mirror = -1.0 if name.startswith("r_") and axis in "yz" else 1.0
        for dof, c in terms.items():
            coef[DOF[dof], col] = c * mirror * np.pi / 180.0
    foot_slots = np.array([columns.index(("l_foot",) + _SPEC["l_foot"][0]), columns.index(("r_foot",) + _SPEC["r_foot"][0])])  # fmt: skip
    per_slot = [sum(c > k for c in counts) for k in range(max(counts))]  # frames having slot k
    starts = np.cumsum([0] + per_slot)
    inverse = np.argsort(order)
    return coef, axes, foot_slots, per_slot, starts, inverse


_COEF, _AXES, _FOOT_SLOTS, _PER_SLOT, _SLOT_START, _UNSORT = _build_tables()
# Flat (row-major) positions of cos, sin, -sin and 1 in the 3x3 matrix of an elementary rotation per axis.
_COS = np.array([[4, 8], [0, 8], [0, 4]])
_SIN = np.array([7, 2, 3])
_NEG_SIN = np.array([5, 6, 1])
_ONE = np.array([0, 4, 8])
_SLOT_IDX = np.arange(len(_AXES))
_FLAT = np.array([[DOF["l_foot_flat"], DOF["l_hip_flex"], DOF["l_knee"]], [DOF["r_foot_flat"], DOF["r_hip_flex"], DOF["r_knee"]]])  # fmt: skip


def local_rotations(data: np.ndarray) -> np.ndarray:
    """(T, D) pose -> (F, T, 3, 3) rotation of every frame relative to its parent."""
    angles = data @ _COEF  # (T, S) radians
    flat, flex, knee = data[:, _FLAT[:, 0]], data[:, _FLAT[:, 1]], data[:, _FLAT[:, 2]]
    angles[:, _FOOT_SLOTS] += flat * (flex - knee) * (np.pi / 180.0)  # keep weight-bearing soles level
    angles = angles.T
    cos, sin = np.cos(angles), np.sin(angles)
    e = np.zeros(angles.shape + (9,))
    e[_SLOT_IDX, :, _COS[_AXES, 0]] = cos
    e[_SLOT_IDX, :, _COS[_AXES, 1]] = cos
    e[_SLOT_IDX, :, _SIN[_AXES]] = sin
    e[_SLOT_IDX, :, _NEG_SIN[_AXES]] = -sin
    e[_SLOT_IDX, :, _ONE[_AXES]] = 1.0
    e = e.reshape(angles.shape + (3, 3))
    rot = e[: _PER_SLOT[0]].copy()
    for k in range(1, len(_PER_SLOT)):
        n = _PER_SLOT[k]
        rot[:n] = rot[:n] @ e[_SLOT_START[k] : _SLOT_START[k] + n]
    return rot[_UNSORT]


def _level_parents() -> dict[int, slice | np.ndarray]:
    """Parents of each tree level, as a slice where they are contiguous (cheaper than fancy indexing)."""
    out: dict[int, slice | np.ndarray] = {}
    for start, stop in FRAME_LEVELS:
        parents = FRAME_PARENT[start:stop]
        contiguous = np.array_equal(parents, np.arange(parents[0], parents[0] + len(parents)))
        out[start] = slice(parents[0], parents[0] + len(parents)) if contiguous else parents
    return out


_LEVEL_PARENTS = _level_parents()
# Landmarks away from their frame's origin (face, hand and foot points); the others are joint centres.
_OFFSET_LANDMARKS = np.array([*range(11), 17, 18, 19, 20, 21, 22, 29, 30, 31, 32])
_OFFSET_FRAMES = LANDMARK_FRAME[_OFFSET_LANDMARKS]


class Skeleton:
    """A body's fixed offsets, ready for repeated forward kinematics."""

    def __init__(self, body: Body) -> None:
        self.body = body
        self.joint_offsets = joint_offsets(body)
        self.landmark_offsets = landmark_offsets(body)

    def relative_landmarks(self, data: np.ndarray) -> np.ndarray:
        """(T, D) pose -> (T, 33, 3) landmarks with the pelvis origin at 0 (root rotation applied)."""
        num = data.shape[0]
        return _relative(
            data,
            np.broadcast_to(self.joint_offsets[:, None], (len(self.joint_offsets), num, 3)),
            np.broadcast_to(self.landmark_offsets[:, None], (33, num, 3)),
        )

    def scene_landmarks(self, pose: Pose, start_xz: np.ndarray | None = None) -> np.ndarray:
        """(T, 33, 3) landmarks in the scene: feet on the ground, weight-bearing feet do not slide."""
        return self.scene_and_root(pose, start_xz)[0]

    def scene_and_root(self, pose: Pose, start_xz: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scene landmarks (T, 33, 3) and the pelvis origin (T, 3); ``start_xz`` places the pelvis at frame 0."""
        return scene_batch([pose], [self], [start_xz])[:2]


def _relative(data: np.ndarray, joint_off: np.ndarray, landmark_off: np.ndarray) -> np.ndarray:
    """(N, D) poses with per-row offsets (F, N, 3) and (33, N, 3) -> (N, 33, 3) pelvis-relative landmarks."""
    rot = local_rotations(data)
    glob = np.empty_like(rot)
    glob[0] = rot[0]
    origin = np.zeros(rot.shape[:2] + (3,))
    for start, stop in FRAME_LEVELS:
        parent = _LEVEL_PARENTS[start]
        glob[start:stop] = glob[parent] @ rot[start:stop]
        origin[start:stop] = origin[parent] + np.einsum("ftij,ftj->fti", glob[parent], joint_off[start:stop])
    pts = origin[LANDMARK_FRAME]  # joints sit at their frame's origin; the rest are offset in the frame
    pts[_OFFSET_LANDMARKS] += np.einsum("ltij,ltj->lti", glob[_OFFSET_FRAMES], landmark_off[_OFFSET_LANDMARKS])
    return pts.transpose(1, 0, 2)


def scene_batch(
    poses: list[Pose], skeletons: list[Skeleton], starts: list[np.ndarray | None] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward kinematics of several clips at once (one numpy pass for all of them).

    Returns the scene landmarks (N, 33, 3) and pelvis origins (N, 3) of all clips concatenated along time, and
    ``bounds`` (B + 1,): clip b is rows ``bounds[b]:bounds[b + 1]``. The result of a clip does not depend on the
    other clips in the batch.
    """
    lengths = [p.num_frames for p in poses]
    bounds = np.cumsum([0] + lengths)
    data = poses[0].data if len(poses) == 1 else np.concatenate([p.data for p in poses])
    num = data.shape[0]
    if len(poses) == 1:
        joint_off = np.broadcast_to(skeletons[0].joint_offsets[:, None], (len(FRAME_NAMES), num, 3))
        landmark_off = np.broadcast_to(skeletons[0].landmark_offsets[:, None], (33, num, 3))
    else:
        joint_off = np.repeat(np.stack([sk.joint_offsets for sk in skeletons], axis=1), lengths, axis=1)
        landmark_off = np.repeat(np.stack([sk.landmark_offsets for sk in skeletons], axis=1), lengths, axis=1)
    rel = _relative(data, joint_off, landmark_off)

    root = np.zeros((num, 3))
    yaw = data[:, DOF["yaw"]] * (np.pi / 180.0)
    rx, rz = data[:, DOF["root_x"]], data[:, DOF["root_z"]]
    root[:, 0] = np.cos(yaw) * rx + np.sin(yaw) * rz  # body-frame offsets turned with the person
    root[:, 2] = -np.sin(yaw) * rx + np.cos(yaw) * rz
    # Weight-bearing feet stay put: the pelvis moves by minus the weighted motion of the feet (relative to it).
    left = 0.5 * (rel[:, L_HEEL, ::2] + rel[:, L_FOOT, ::2])
    right = 0.5 * (rel[:, R_HEEL, ::2] + rel[:, R_FOOT, ::2])
    w = data[:, DOF["anchor_left"], None]
    step = np.zeros((num, 2))
    w_mid = 0.5 * (w[1:] + w[:-1])
    step[1:] = -(w_mid * np.diff(left, axis=0) + (1.0 - w_mid) * np.diff(right, axis=0))
    firsts = bounds[:-1]
    for b, first in enumerate(firsts):
        if not poses[b].anchored:
            step[first : bounds[b + 1]] = 0.0
        given = starts[b] if starts is not None else None
        step[first] = -(w[first] * left[first] + (1.0 - w[first]) * right[first]) if given is None else given
    for first, stop in zip(firsts, bounds[1:]):  # per clip, so a clip's result does not depend on the batch
        root[first:stop, ::2] += np.cumsum(step[first:stop], axis=0)
    root[:, 1] = data[:, DOF["root_lift"]] - rel[:, FOOT_POINTS, 1].min(axis=1)
    return rel + root[:, None, :], root, bounds
