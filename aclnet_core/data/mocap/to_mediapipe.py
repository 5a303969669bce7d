"""Map a motion-capture skeleton to the 33 MediaPipe (BlazePose) landmarks, in the scene (metres, y up).

Joints a source has are copied by name (the ASF/AMC skeletons of CMU and HDM05, the CMU exp-map skeleton, the
ReActIdle rig, and the usual BVH names: Mixamo, CMU-BVH, Truebones). Points a source lacks are synthesised from a
local frame, as the product's other converters do (docs/LAYOUTS.md):

- face (nose, eyes, ears, mouth): fixed offsets in a head frame (head up axis, forward from the shoulders'
  facing, left = up x forward), centred between the top of the neck and the top of the head;
- hands (pinky, index, thumb knuckles): along the hand (wrist -> knuckles, or the forearm's direction), with the
  thumb side from the thumb tip when the source has one, else the body's forward direction;
- feet (heel, foot index): the heel behind and below the ankle along the foot, the foot index between the ball
  and the toe tip.
A standing person faces +z when ``(left_hip - right_hip) x up`` points to +z (the mocap README's check).
"""

from __future__ import annotations

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["CORE_ALIASES", "mediapipe33_scene", "resolve_joints"]

# canonical point -> accepted source names (lower case, any 'prefix:' stripped). First match wins.
CORE_ALIASES: dict[str, tuple[str, ...]] = {
    "l_hip": ("lhipjoint", "thigh.l", "leftupleg", "lhip", "left_hip", "lefthip", "l_hip", "lthigh"),
    "r_hip": ("rhipjoint", "thigh.r", "rightupleg", "rhip", "right_hip", "righthip", "r_hip", "rthigh"),
    "l_knee": ("lfemur", "shin.l", "leftleg", "lknee", "left_knee", "leftknee", "l_knee", "lshin"),
    "r_knee": ("rfemur", "shin.r", "rightleg", "rknee", "right_knee", "rightknee", "r_knee", "rshin"),
    "l_ankle": ("ltibia", "foot.l", "leftfoot", "lankle", "left_ankle", "leftankle", "l_ankle", "lfoot_ik"),
    "r_ankle": ("rtibia", "foot.r", "rightfoot", "rankle", "right_ankle", "rightankle", "r_ankle", "rfoot_ik"),
    "l_ball": ("lfoot", "foot.l_end", "lefttoebase", "lefttoe", "ltoe", "left_toe", "l_toe"),
    "r_ball": ("rfoot", "foot.r_end", "righttoebase", "righttoe", "rtoe", "right_toe", "r_toe"),
    "l_shoulder": ("lclavicle", "upper_arm.l", "leftarm", "lshoulder", "left_shoulder", "leftshoulder", "l_shoulder"),
    "r_shoulder": ("rclavicle", "upper_arm.r", "rightarm", "rshoulder", "right_shoulder", "rightshoulder",
                   "r_shoulder"),
    "l_elbow": ("lhumerus", "forearm.l", "leftforearm", "lelbow", "left_elbow", "leftelbow", "l_elbow"),
    "r_elbow": ("rhumerus", "forearm.r", "rightforearm", "relbow", "right_elbow", "rightelbow", "r_elbow"),
    "l_wrist": ("lradius", "forearm.l_end", "lefthand", "lwrist_joint", "left_wrist", "leftwrist", "l_wrist"),
    "r_wrist": ("rradius", "forearm.r_end", "righthand", "rwrist_joint", "right_wrist", "rightwrist", "r_wrist"),
    "neck": ("thorax", "neck", "lowerneck", "neck1", "spine3", "chest2"),
}
OPTIONAL_ALIASES: dict[str, tuple[str, ...]] = {
    "head_top": ("head_end", "headtop_end", "head_top", "headend", "head"),  # ASF 'head' = the top of the head
    "skull_base": ("upperneck", "neck1", "head"),
    "face": ("face",),  # head centre at eye level (ReActIdle)
    "face_front": ("face_end",),
    "l_toe_tip": ("ltoes", "lefttoe_end", "lefttoebase_end"),
    "r_toe_tip": ("rtoes", "righttoe_end", "righttoebase_end"),
    "l_knuckles": ("lhand", "lefthandindex1", "lefthandmiddle1"),
    "r_knuckles": ("rhand", "righthandindex1", "righthandmiddle1"),
    "l_thumb": ("lthumb", "lefthandthumb2", "lefthandthumb1"),
    "r_thumb": ("rthumb", "righthandthumb2", "righthandthumb1"),
}

# Face landmarks in the head frame: (forward, up, left) metres from the head centre (between the ears).
_FACE = {
    0: (0.100, -0.005, 0.0),  # nose
    1: (0.085, 0.030, 0.015), 2: (0.080, 0.032, 0.032), 3: (0.070, 0.030, 0.047),  # left eye inner, eye, outer
    4: (0.085, 0.030, -0.015), 5: (0.080, 0.032, -0.032), 6: (0.070, 0.030, -0.047),  # right eye
    7: (0.000, 0.010, 0.075), 8: (0.000, 0.010, -0.075),  # ears
    9: (0.085, -0.050, 0.025), 10: (0.085, -0.050, -0.025),  # mouth left, right
}
_BODY = {11: "l_shoulder", 12: "r_shoulder", 13: "l_elbow", 14: "r_elbow", 15: "l_wrist", 16: "r_wrist",
         23: "l_hip", 24: "r_hip", 25: "l_knee", 26: "r_knee", 27: "l_ankle", 28: "r_ankle"}


def _norm_name(name: str) -> str:
    return name.split(":")[-1].strip().lower()


def resolve_joints(joint_names: tuple[str, ...] | list[str]) -> dict[str, int]:
    """Canonical point -> source joint index; UserError naming what is missing when a core joint is absent."""
    index: dict[str, int] = {}
    for i, n in enumerate(joint_names):
        index.setdefault(_norm_name(n), i)
    found: dict[str, int] = {}
    for table in (CORE_ALIASES, OPTIONAL_ALIASES):
        for point, aliases in table.items():
            hit = next((index[a] for a in aliases if a in index), None)
            if hit is not None:
                found[point] = hit
    missing = [p for p in CORE_ALIASES if p not in found]
    if missing:
        raise UserError(f"cannot map this skeleton to MediaPipe-33: no joint for {', '.join(missing)} "
                        f"(joints: {', '.join(list(joint_names)[:12])}{' …' if len(joint_names) > 12 else ''})")
    if "head_top" not in found and "face" not in found:
        raise UserError("cannot map this skeleton to MediaPipe-33: no head joint")
    if found.get("skull_base") == found.get("head_top"):  # BVH 'Head' is the base of the head: no top known
        found.pop("head_top", None)
    return found


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _orthogonal(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Unit part of ``v`` orthogonal to unit ``axis`` (both (T, 3))."""
    return _unit(v - np.sum(v * axis, axis=-1, keepdims=True) * axis)


def mediapipe33_scene(joints: np.ndarray, joint_names: tuple[str, ...] | list[str]) -> np.ndarray:
    """(T, J, 3) source joints (metres, y up) -> (T, 33, 3) MediaPipe-33 landmarks in the same scene axes."""
    j = resolve_joints(joint_names)
    src = np.asarray(joints, dtype=np.float64)
    p = {name: src[:, i] for name, i in j.items()}
    out = np.zeros((src.shape[0], 33, 3), dtype=np.float64)
    for mp, name in _BODY.items():
        out[:, mp] = p[name]
    up_world = np.array([0.0, 1.0, 0.0])
    forward = _orthogonal(np.cross(p["l_shoulder"] - p["r_shoulder"], up_world), np.broadcast_to(up_world, src[:, 0].shape))
    _face(out, p, forward)
    for side, w, e, s in (("l", 15, 13, 1.0), ("r", 16, 14, -1.0)):
        _hand(out, p, side, w, e, forward, s)
    for side, a, k in (("l", 27, 25), ("r", 28, 26)):
        _foot(out, p, side, a, k)
    return out


def _face(out: np.ndarray, p: dict[str, np.ndarray], body_forward: np.ndarray) -> None:
    neck = p["neck"]
    if "face" in p:  # ReActIdle: head centre at eye level and the front of the face
        centre = p["face"]
        up = _unit(centre - neck)
        forward = _orthogonal(p["face_front"] - centre, up) if "face_front" in p else _orthogonal(body_forward, up)
        centre = centre - 0.03 * up  # eye level -> ear level
    else:
        base = p.get("skull_base", neck)
        if "head_top" in p:
            top = p["head_top"]
            up = _unit(top - base)
            centre = base + 0.45 * (top - base)
        else:  # BVH 'Head' joint: the base of the head
            up = _unit(base - neck)
            centre = base + 0.08 * up
        forward = _orthogonal(body_forward, up)
    left = np.cross(up, forward)
    for mp, (f, u, lft) in _FACE.items():
        out[:, mp] = centre + f * forward + u * up + lft * left


def _hand(out: np.ndarray, p: dict[str, np.ndarray], side: str, w: int, e: int, body_forward: np.ndarray,
          sign: float) -> None:
    wrist = out[:, w]
    knuckles = p.get(f"{side}_knuckles")
    along = _unit((knuckles if knuckles is not None else 2 * wrist - out[:, e]) - wrist)
    thumb = p.get(f"{side}_thumb")
    thumb_side = _orthogonal(thumb - wrist, along) if thumb is not None else _orthogonal(body_forward, along)
    pinky, index, thumb_k = (17, 19, 21) if side == "l" else (18, 20, 22)
    out[:, pinky] = wrist + 0.075 * along - 0.030 * thumb_side
    out[:, index] = wrist + 0.085 * along + 0.025 * thumb_side
    out[:, thumb_k] = wrist + 0.045 * along + 0.045 * thumb_side


def _foot(out: np.ndarray, p: dict[str, np.ndarray], side: str, a: int, k: int) -> None:
    ankle, knee = out[:, a], out[:, k]
    ball = p[f"{side}_ball"]
    tip = p.get(f"{side}_toe_tip")
    shin_up = _unit(knee - ankle)
    along = _orthogonal(ball - ankle, shin_up)
    heel, index = (29, 31) if side == "l" else (30, 32)
    out[:, heel] = ankle - 0.05 * along - 0.06 * shin_up
    out[:, index] = ball + 0.4 * (tip - ball) if tip is not None else ball + 0.02 * along
