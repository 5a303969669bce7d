"""The action vocabulary: joint-angle trajectories with per-sample variation.

Each ``_plan_*`` draws one performance (amplitude, speed, repetitions, style) and returns an ``ActionPlan``: its
duration and a function that writes it into a ``Pose`` given local time (seconds, 0 = start of the action; the
function must hold the first posture before 0 and the last after the end). One-sided actions are written for
the right side; the generator mirrors them for the left (``MIRRORED``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from aclnet_core.data.synthetic.kinematics import Skeleton
from aclnet_core.data.synthetic.landmarks import L_INDEX
from aclnet_core.data.synthetic.motion import ActorStyle, Timeline
from aclnet_core.data.synthetic.pose import Pose, bump, ramp

ACTION_NAMES: tuple[str, ...] = (
    "no_action", "wave_right", "wave_left", "sit_down", "stand_up", "squat", "jump", "clap", "arms_crossed",
    "punch", "reach", "kick", "step", "walk_in_place", "run_in_place", "bow", "arms_up", "turn_around",
)  # fmt: skip
ACTION_INDEX = {name: i for i, name in enumerate(ACTION_NAMES)}
# Labels whose left/right version is a different class: never mirrored (wave_left is wave_right mirrored).
MIRRORED = {"wave_right": False, "wave_left": True}


@dataclass
class ActionPlan:
    duration: float  # seconds of motion
    apply: Callable[[Pose, np.ndarray], None]
    params: dict = field(default_factory=dict)
    ends_seated: bool = False


U = np.random.Generator.uniform  # U(rng, lo, hi): one uniform draw (keeps the many parameter lines short)
PlanFn = Callable[[np.random.Generator, ActorStyle, float, Skeleton], ActionPlan]


def _speed(rng: np.random.Generator, style: ActorStyle) -> float:
    return style.tempo * rng.uniform(0.8, 1.25)


def _amp(rng: np.random.Generator, style: ActorStyle) -> float:
    return style.vigour * rng.uniform(0.85, 1.15)


def _reps(rng: np.random.Generator, lo: int, hi: int, duration: Callable[[int], float], limit: float) -> int:
    """Random repetitions in [lo, hi], fewer if they do not fit in ``limit`` seconds."""
    reps = int(rng.integers(lo, hi + 1))
    while reps > lo and duration(reps) > limit:
        reps -= 1
    return reps


def _squeeze(times: list[float], limit: float) -> tuple[list[float], float]:
    """Scale keyframe times so the last one is at most ``limit`` (a faster performance)."""
    factor = min(1.0, limit / max(times[-1], 1e-6))
    return [x * factor for x in times], factor


def _blend(pose: Pose, dof: str, target, env: np.ndarray) -> None:
    """Move ``dof`` from its resting value towards ``target`` by ``env`` (0..1)."""
    rest = pose[dof][0]
    pose[dof] = rest + env * (target - rest)


def _blend_arm(pose: Pose, side: str, posture: dict, env: np.ndarray) -> None:
    for dof, value in posture.items():
        _blend(pose, f"{side}_{dof}", value, env)


# ------------------------------------------------------------------------------------------------ gestures


def _plan_wave(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed, amp = _speed(rng, style), _amp(rng, style)
    high = rng.random() < 0.35
    posture = {
        "sh_abd": U(rng, 120, 150) if high else U(rng, 65, 105),
        "sh_flex": U(rng, -5, 25),
        "sh_horiz": U(rng, -10, 20),
        "sh_rot": U(rng, 50, 90),
        "pron": U(rng, 0, 40),
    }
    elbow0 = U(rng, 15, 45) if high else U(rng, 60, 105)
    swing, dev = U(rng, 15, 35) * amp, U(rng, 0, 20)
    freq = U(rng, 1.5, 3.2) * speed / style.tempo
    rise, hold0, fall = U(rng, 0.3, 0.6) / speed, U(rng, 0.0, 0.25), U(rng, 0.35, 0.7) / speed
    cycles = _reps(rng, 2, 7, lambda n: rise + hold0 + n / freq + fall, limit)
    waving = cycles / freq
    factor = min(1.0, limit / (rise + hold0 + waving + fall))
    rise, hold0, waving, fall, freq = rise * factor, hold0 * factor, waving * factor, fall * factor, freq / factor
    lean, phase = U(rng, 0, 5), U(rng, -0.5, 0.5)

    def apply(pose: Pose, t: np.ndarray) -> None:
        env = bump(t, 0.0, rise, hold0 + waving, fall)
        wave_env = bump(t, rise + 0.5 * hold0, 0.2 * waving, 0.6 * waving, 0.2 * waving)
        osc = np.sin(2 * np.pi * freq * (t - rise - hold0)) * wave_env
        _blend_arm(pose, "r", posture, env)
        _blend(pose, "r_elbow", elbow0 + swing * osc, env)
        pose["r_wrist_dev"] += dev * np.sin(2 * np.pi * freq * (t - rise - hold0) + phase) * wave_env
        pose["r_sh_horiz"] += 0.3 * swing * osc
        pose["spine_lat"] += lean * env

    return ActionPlan(rise + hold0 + waving + fall, apply, {"cycles": cycles, "freq_hz": freq, "high": high})


def _clap_contact(skel: Skeleton, posture: dict) -> float:
    """Horizontal shoulder angle at which the two hands meet in front of the body (searched on a grid)."""
    grid = np.linspace(-70.0, 30.0, 41)
    pose = Pose(len(grid))
    for dof, value in posture.items():
        pose[f"l_{dof}"] = value
    pose["l_sh_horiz"] = grid
    index_x = skel.relative_landmarks(pose.data)[:, L_INDEX, 0]
    return float(grid[np.argmin(np.abs(index_x - 0.02))])


def _plan_clap(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed, amp = _speed(rng, style), _amp(rng, style)
    posture = {
        "sh_flex": U(rng, 35, 80),
        "sh_abd": U(rng, 0, 15),
        "sh_rot": U(rng, -35, -5),
        "elbow": U(rng, 40, 95),
        "pron": U(rng, -10, 20),
    }
    contact = _clap_contact(skel, posture)
    opening = U(rng, 15, 35) * amp
    freq = U(rng, 1.5, 3.5) * speed / style.tempo
    rise, fall = U(rng, 0.3, 0.6) / speed, U(rng, 0.3, 0.7) / speed
    claps = _reps(rng, 3, 10, lambda n: rise + n / freq + fall, limit)
    factor = min(1.0, limit / (rise + claps / freq + fall))
    rise, fall, freq = rise * factor, fall * factor, freq / factor
    clapping = claps / freq

    def apply(pose: Pose, t: np.ndarray) -> None:
        env = bump(t, 0.0, rise, clapping, fall)
        on = bump(t, rise * 0.5, rise * 0.5, clapping, fall * 0.5)
        gap = (0.5 - 0.5 * np.cos(2 * np.pi * freq * np.clip(t - rise, 0.0, clapping))) ** 0.7
        horiz = contact + opening * (1.0 - on + on * gap)
        for s in "lr":
            _blend_arm(pose, s, posture, env)
            _blend(pose, f"{s}_sh_horiz", horiz, env)
        pose["neck_flex"] += 5.0 * env

    return ActionPlan(rise + clapping + fall, apply, {"claps": claps, "freq_hz": freq, "contact_deg": contact})


def _plan_arms_crossed(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed = _speed(rng, style)
    posture = {  # forearms level across the chest, each hand near the other elbow
        "sh_flex": U(rng, 32, 50),
        "sh_abd": U(rng, 0, 8),
        "sh_horiz": U(rng, -25, -10),
        "sh_rot": U(rng, -88, -62),
        "elbow": U(rng, 85, 102),
        "pron": U(rng, 0, 30),
    }
    top = "l" if rng.random() < 0.5 else "r"
    lift = U(rng, 3, 10)
    move_in, hold, move_out = U(rng, 0.5, 1.0) / speed, U(rng, 0.8, 2.2), U(rng, 0.5, 1.0) / speed
    release = rng.random() < 0.6
    times, _ = _squeeze([move_in, move_in + hold, move_in + hold + move_out], limit)
    if not release:
        times = [times[0], limit, limit + 1.0]

    def apply(pose: Pose, t: np.ndarray) -> None:
        env = bump(t, 0.0, times[0], times[1] - times[0], times[2] - times[1])
        for s in "lr":
            _blend_arm(pose, s, posture, env)
        pose[f"{top}_sh_flex"] += lift * env
        pose["spine_flex"] += 3.0 * env

    return ActionPlan(times[2] if release else limit, apply, {"release": release, "top": top})


def _plan_punch(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed, amp = _speed(rng, style), _amp(rng, style)
    guard = {  # fists at chin height in front of the face, elbows down
        "sh_flex": U(rng, 52, 70),
        "sh_abd": U(rng, 0, 20),
        "sh_horiz": U(rng, -20, 0),
        "sh_rot": U(rng, -25, 0),
        "elbow": U(rng, 112, 135),
        "pron": U(rng, 40, 80),
    }
    strike = {
        "sh_flex": U(rng, 75, 95),
        "sh_abd": U(rng, 0, 15),
        "sh_horiz": U(rng, -22, 0),
        "sh_rot": U(rng, -30, 0),
        "elbow": U(rng, 0, 15) / amp,
        "pron": U(rng, 60, 90),
    }
    alternate = rng.random() < 0.3
    stance = U(rng, 5, 15) if rng.random() < 0.5 else 0.0
    twist = U(rng, 10, 25) * amp
    raise_t = U(rng, 0.25, 0.5) / speed
    ext, hold, back, gap = (U(rng, 0.10, 0.20) / speed, U(rng, 0.02, 0.1), U(rng, 0.15, 0.3) / speed, U(rng, 0.1, 0.35) / speed)  # fmt: skip
    lower = rng.random() < 0.7
    fall = U(rng, 0.3, 0.6) / speed
    per = ext + hold + back + gap
    n = _reps(rng, 1, 4, lambda k: raise_t + k * per + (fall if lower else 0.0), limit)
    total = raise_t + n * per + (fall if lower else 0.0)
    f = min(1.0, limit / total)
    raise_t, ext, hold, back, gap, fall, per = (x * f for x in (raise_t, ext, hold, back, gap, fall, per))
    total *= f
    guard_end = raise_t + n * per if lower else limit + 1.0

    def apply(pose: Pose, t: np.ndarray) -> None:
        env = bump(t, 0.0, raise_t, guard_end - raise_t, fall)
        for s in "lr":
            _blend_arm(pose, s, guard, env)
        for k in range(n):
            side = "l" if alternate and k % 2 else "r"
            hit = bump(t, raise_t + k * per, ext, hold, back)
            for dof, value in strike.items():
                pose[f"{side}_{dof}"] += hit * (value - pose[f"{side}_{dof}"])
            pose["spine_twist"] += (twist if side == "r" else -twist) * hit
            pose["yaw"] += (0.3 * twist if side == "r" else -0.3 * twist) * hit
        if stance:
            pose["l_hip_flex"] += stance * env
            pose["r_hip_flex"] -= stance * env
            pose["l_knee"] += 0.8 * stance * env
            pose["r_knee"] += 0.8 * stance * env

    return ActionPlan(total if lower else limit, apply, {"punches": n, "alternate": alternate})


def _plan_reach(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed = _speed(rng, style)
    n = 1 if rng.random() < 0.7 else 2
    targets = []
    base = {
        "sh_flex": U(rng, 60, 140),
        "sh_abd": U(rng, 0, 30),
        "sh_horiz": U(rng, -25, 15),
        "sh_rot": U(rng, -20, 20),
        "elbow": U(rng, 0, 25),
        "pron": U(rng, 0, 60),
        "wrist_flex": U(rng, -30, 10),
    }
    for _ in range(n):
        targets.append({k: v + rng.normal(0, 8) for k, v in base.items()})
    go, hold, back, gap = U(rng, 0.5, 1.1) / speed, U(rng, 0.3, 1.2), U(rng, 0.5, 1.1) / speed, U(rng, 0.1, 0.5)
    per = go + hold + back + gap
    if n * per - gap > limit:
        n = 1
    f = min(1.0, limit / (n * per - gap))
    go, hold, back, gap, per = (x * f for x in (go, hold, back, gap, per))
    lean, twist = U(rng, 0, 20) * (base["sh_flex"] < 110), U(rng, 0, 15)

    def apply(pose: Pose, t: np.ndarray) -> None:
        for k in range(n):
            env = bump(t, k * per, go, hold, back)
            for dof, value in targets[k].items():
                pose[f"r_{dof}"] += env * (value - pose[f"r_{dof}"])
            pose["pitch"] += lean * env
            pose["spine_twist"] += twist * env
            pose["neck_flex"] -= 0.25 * (targets[k]["sh_flex"] - 60.0) * env

    return ActionPlan(n * per - gap, apply, {"reaches": n})


def _plan_arms_up(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed = _speed(rng, style)
    side_path = rng.random() < 0.45
    if side_path:
        posture = {"sh_abd": U(rng, 145, 175), "sh_flex": U(rng, 0, 15), "sh_rot": U(rng, 30, 90)}
    else:
        posture = {"sh_flex": U(rng, 150, 178), "sh_abd": U(rng, 0, 15), "sh_rot": U(rng, -10, 30)}
    posture["elbow"] = U(rng, 0, 25)
    posture["sh_horiz"] = U(rng, -5, 15)
    up, hold, down, gap = U(rng, 0.5, 1.1) / speed, U(rng, 0.3, 1.5), U(rng, 0.5, 1.0) / speed, U(rng, 0.1, 0.4)
    lag = U(rng, 0.0, 0.15)
    lower = rng.random() < 0.7
    per = up + hold + down + gap
    n = _reps(rng, 1, 2, lambda k: k * per - gap, limit) if lower else 1
    total = n * per - gap if lower else limit
    f = min(1.0, limit / total) if lower else min(1.0, limit / (up + lag + 0.2))
    up, hold, down, gap, per, lag = (x * f for x in (up, hold, down, gap, per, lag))
    arch, look = U(rng, 0, 8), U(rng, 0, 20)

    def apply(pose: Pose, t: np.ndarray) -> None:
        both = np.zeros_like(t)
        for s, delay in (("r", 0.0), ("l", lag)):
            env = np.zeros_like(t)
            for k in range(n):
                env += bump(t, k * per + delay, up, hold if lower else 1e3, down)
            _blend_arm(pose, s, posture, env)
            both += 0.5 * env
        pose["spine_flex"] -= arch * both
        pose["neck_flex"] -= look * both

    return ActionPlan(total, apply, {"side_path": side_path, "lower": lower, "reps": n})


# ------------------------------------------------------------------------------------------ whole body


def _plan_squat(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed, amp = _speed(rng, style), _amp(rng, style)
    depth = min(U(rng, 70, 105) * amp, 115.0)
    knee = depth + U(rng, 20, 45)
    pitch = U(rng, 20, 45) * depth / 90.0
    arms = rng.choice(3, p=[0.5, 0.25, 0.25])
    arm = [
        {"sh_flex": U(rng, 60, 95), "sh_abd": U(rng, 0, 20), "elbow": U(rng, 0, 30), "sh_horiz": U(rng, -15, 5)},
        {"sh_flex": U(rng, 20, 40), "sh_abd": U(rng, 0, 10), "elbow": U(rng, 90, 120), "sh_rot": U(rng, -70, -50)},
        {"sh_flex": U(rng, -10, 5), "sh_abd": U(rng, 32, 45), "elbow": U(rng, 70, 95), "sh_rot": U(rng, -95, -80)},
    ][arms]
    down, hold, up, gap = U(rng, 0.6, 1.2) / speed, U(rng, 0.0, 0.4), U(rng, 0.5, 1.0) / speed, U(rng, 0.0, 0.3)
    per = down + hold + up + gap
    n = _reps(rng, 1, 3, lambda k: k * per - gap, limit)
    f = min(1.0, limit / (n * per - gap))
    down, hold, up, gap, per = (x * f for x in (down, hold, up, gap, per))
    look = U(rng, 0.3, 0.8)

    def apply(pose: Pose, t: np.ndarray) -> None:
        env = np.zeros_like(t)
        for k in range(n):
            env += bump(t, k * per, down, hold, up)
        arm_env = bump(t, 0.0, 0.6 * down, n * per - gap - 0.6 * down - 0.6 * up, 0.6 * up)
        for s in "lr":
            _blend(pose, f"{s}_hip_flex", depth, env)
            _blend(pose, f"{s}_knee", knee, env)
            _blend_arm(pose, s, arm, arm_env)
        pose["pitch"] += pitch * env
        pose["spine_flex"] += 8.0 * env
        pose["neck_flex"] -= look * pitch * env

    return ActionPlan(n * per - gap, apply, {"reps": int(n), "depth_deg": depth, "arms": int(arms)})


def _plan_jump(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed, amp = _speed(rng, style), _amp(rng, style)
    height = U(rng, 0.06, 0.3) * amp
    flight = 2.0 * np.sqrt(2.0 * height / 9.81)
    crouch, push = U(rng, 0.25, 0.5) / speed, U(rng, 0.12, 0.22) / speed
    land, recover = U(rng, 0.12, 0.25), U(rng, 0.3, 0.6) / speed
    depth = U(rng, 35, 65) * amp
    knee = depth + U(rng, 20, 40)
    swing_up = U(rng, 60, 170)
    per = crouch + push + flight + land
    n = _reps(rng, 1, 3, lambda k: k * per + recover, limit)
    total = n * per + recover
    f = min(1.0, limit / total)
    crouch, push, land, recover = crouch * f, push * f, land * f, recover * f
    per = crouch + push + flight + land
    total = n * per + recover

    times, legs, knees, ankles, flats, pitch, arms = [0.0], [None], [None], [None], [1.0], [0.0], [None]
    for k in range(n):
        t0 = k * per
        d = depth if k == 0 else 0.8 * depth
        times += [t0 + crouch, t0 + crouch + push, t0 + crouch + push + flight, t0 + per]
        legs += [d, 0.0, 8.0, 0.7 * depth]
        knees += [d + (knee - depth), 0.0, 15.0, 0.7 * knee]
        ankles += [0.0, 30.0, 25.0, 0.0]
        flats += [1.0, 0.0, 0.0, 1.0]
        pitch += [U(rng, 15, 35), 0.0, 0.0, 20.0]
        arms += [-U(rng, 20, 50), swing_up, 0.6 * swing_up, -10.0]
    times += [total]
    legs, knees, ankles, flats, pitch, arms = (legs + [None], knees + [None], ankles + [None], flats + [1.0], pitch + [0.0], arms + [None])  # fmt: skip

    def apply(pose: Pose, t: np.ndarray) -> None:
        tl = Timeline(t, times)
        for s in "lr":
            tl.set(pose, f"{s}_hip_flex", legs)
            tl.set(pose, f"{s}_knee", knees)
            tl.set(pose, f"{s}_ankle", ankles)
            tl.set(pose, f"{s}_foot_flat", flats)
            tl.set(pose, f"{s}_sh_flex", arms)
            pose[f"{s}_elbow"] += 20.0 * bump(t, 0.0, 0.2, total - 0.4, 0.2)
        tl.add(pose, "pitch", pitch)
        for k in range(n):
            t_off = k * per + crouch + push
            u = np.clip((t - t_off) / flight, 0.0, 1.0)
            pose["root_lift"] += 4.0 * height * u * (1.0 - u)

    return ActionPlan(total, apply, {"jumps": n, "height_m": height})


def _sit_keys(rng) -> dict:
    """A seated posture: thighs about horizontal, shanks about vertical, hands on the thighs or at the sides."""
    hip = U(rng, 78, 95)
    seated = {"hip_flex": hip, "knee": hip + U(rng, -12, 18), "pitch": U(rng, -5, 10)}
    on_thighs = rng.random() < 0.6
    arm = (
        {"sh_flex": U(rng, 25, 45), "sh_abd": U(rng, 5, 15), "elbow": U(rng, 45, 75), "pron": U(rng, 40, 80)}
        if on_thighs
        else {}
    )
    return {"legs": seated, "arm": arm}


def _plan_sit_down(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed = _speed(rng, style)
    seat = _sit_keys(rng)
    lean_t, descend, settle = U(rng, 0.2, 0.4) / speed, U(rng, 0.7, 1.4) / speed, U(rng, 0.2, 0.5)
    times, _ = _squeeze([lean_t, lean_t + 0.5 * descend, lean_t + descend, lean_t + descend + settle], limit)
    lean = U(rng, 20, 40)
    reach = U(rng, 20, 45) if rng.random() < 0.5 else 0.0
    look = U(rng, 5, 20)
    legs = seat["legs"]

    def apply(pose: Pose, t: np.ndarray) -> None:
        tl = Timeline(t, [0.0] + times)
        for s in "lr":
            tl.set(pose, f"{s}_hip_flex", [None, None, 0.5 * legs["hip_flex"], legs["hip_flex"], legs["hip_flex"]])
            tl.set(pose, f"{s}_knee", [None, None, 0.5 * legs["knee"], legs["knee"], legs["knee"]])
            arm_env = ramp(t, times[1], times[3] - times[1])
            _blend_arm(pose, s, seat["arm"], arm_env)
            pose[f"{s}_sh_flex"] += reach * bump(t, times[0], times[1] - times[0], 0.0, times[3] - times[1])
        tl.add(pose, "pitch", [0.0, 0.4 * lean, lean, legs["pitch"], legs["pitch"]])
        tl.add(pose, "neck_flex", [0.0, look, look, 0.0, 0.0])

    return ActionPlan(times[-1], apply, {"seat": legs, "hands_on_thighs": bool(seat["arm"])}, ends_seated=True)


def _plan_stand_up(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed = _speed(rng, style)
    seat = _sit_keys(rng)
    lean_t, rise, settle = U(rng, 0.3, 0.6) / speed, U(rng, 0.7, 1.3) / speed, U(rng, 0.2, 0.4)
    times, _ = _squeeze([lean_t, lean_t + 0.5 * rise, lean_t + rise, lean_t + rise + settle], limit)
    lean = U(rng, 30, 50)
    push = rng.random() < 0.5
    legs = seat["legs"]

    def apply(pose: Pose, t: np.ndarray) -> None:
        tl = Timeline(t, [0.0] + times)
        for s in "lr":
            tl.set(pose, f"{s}_hip_flex", [legs["hip_flex"], legs["hip_flex"] + 5, 0.45 * legs["hip_flex"], None, None])  # fmt: skip
            tl.set(pose, f"{s}_knee", [legs["knee"], legs["knee"] + 5, 0.45 * legs["knee"], None, None])
            arm_env = 1.0 - ramp(t, times[0], times[2] - times[0])
            _blend_arm(pose, s, seat["arm"], arm_env)
            if push:
                pose[f"{s}_elbow"] -= 30.0 * bump(t, 0.5 * times[0], 0.5 * times[0], 0.0, times[1] - times[0])
        tl.add(pose, "pitch", [legs["pitch"], lean, 0.5 * lean, 0.0, 0.0])
        tl.add(pose, "neck_flex", [0.0, -0.3 * lean, -0.2 * lean, 0.0, 0.0])

    return ActionPlan(times[-1], apply, {"seat": legs, "push": push})


def _plan_bow(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed, amp = _speed(rng, style), _amp(rng, style)
    pitch, spine, neck = U(rng, 15, 35) * amp, U(rng, 10, 40) * amp, U(rng, 5, 25)
    arms = rng.choice(3, p=[0.5, 0.3, 0.2])
    down, hold, up, gap = U(rng, 0.5, 1.2) / speed, U(rng, 0.2, 1.0), U(rng, 0.5, 1.2) / speed, U(rng, 0.1, 0.5)
    per = down + hold + up + gap
    n = _reps(rng, 1, 2, lambda k: k * per - gap, limit) if rng.random() < 0.3 else 1
    f = min(1.0, limit / (n * per - gap))
    down, hold, up, gap, per = (x * f for x in (down, hold, up, gap, per))
    back = U(rng, 0.03, 0.08)
    clasp = {"sh_flex": U(rng, 10, 30), "sh_rot": U(rng, -70, -50), "elbow": U(rng, 50, 80), "sh_abd": U(rng, 0, 8)}
    hang = (U(rng, 0.6, 1.0), U(rng, 0.6, 1.0))

    def apply(pose: Pose, t: np.ndarray) -> None:
        env = np.zeros_like(t)
        for k in range(n):
            env += bump(t, k * per, down, hold, up)
        pose["pitch"] += pitch * env
        pose["spine_flex"] += spine * env
        pose["neck_flex"] += neck * env
        pose["root_z"] -= back * env
        if arms == 0:  # arms hang with gravity
            for s, h in zip("lr", hang):
                pose[f"{s}_sh_flex"] += h * (pitch + spine) * env
        elif arms == 2:
            whole = bump(t, 0.0, 0.5 * down, n * per - gap - 0.5 * down - 0.5 * up, 0.5 * up)
            for s in "lr":
                _blend_arm(pose, s, clasp, whole)

    return ActionPlan(n * per - gap, apply, {"bows": n, "depth_deg": pitch + spine, "arms": int(arms)})


# ------------------------------------------------------------------------------------------------- legs


def _plan_kick(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed, amp = _speed(rng, style), _amp(rng, style)
    side_kick = rng.random() < 0.25
    shift, chamber, extend = U(rng, 0.2, 0.35) / speed, U(rng, 0.15, 0.3) / speed, U(rng, 0.1, 0.2) / speed
    hold, retract, lower, ground = U(rng, 0.0, 0.1), U(rng, 0.12, 0.25) / speed, U(rng, 0.2, 0.4) / speed, U(rng, 0.1, 0.4)  # fmt: skip
    per = chamber + extend + hold + retract + lower + ground
    n = _reps(rng, 1, 3, lambda k: shift + k * per, limit)
    total = shift + n * per
    f = min(1.0, limit / total)
    shift, chamber, extend, hold, retract, lower, ground, per, total = (x * f for x in (shift, chamber, extend, hold, retract, lower, ground, per, total))  # fmt: skip
    ch_hip, ch_knee = U(rng, 45, 80), U(rng, 70, 110)
    ex_hip, ex_knee = min(U(rng, 60, 100) * amp, 110.0), U(rng, 0, 20)
    if side_kick:
        ch_hip, ex_hip = U(rng, 20, 40), U(rng, 10, 30)
    abd = U(rng, 40, 70) * amp if side_kick else 0.0
    arms = {"sh_abd": U(rng, 20, 50), "elbow": U(rng, 30, 90), "sh_flex": U(rng, 0, 30)}
    times, hip, knee, flat, abd_k, lean = [0.0, shift], [None, None], [None, None], [1.0, 1.0], [0.0, 0.0], [0.0, 1.0]
    for k in range(n):
        t0 = shift + k * per
        times += [t0 + chamber, t0 + chamber + extend, t0 + chamber + extend + hold, t0 + per - lower - ground, t0 + per - ground, t0 + per]  # fmt: skip
        hip += [ch_hip, ex_hip, ex_hip, ch_hip, None, None]
        knee += [ch_knee, ex_knee, ex_knee, ch_knee, None, None]
        flat += [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
        abd_k += [0.5 * abd, abd, abd, 0.5 * abd, 0.0, 0.0]
        lean += [1.0, 1.5, 1.5, 1.0, 1.0, 1.0]
    lean[-1] = 0.0
    trunk = -U(rng, 5, 20) if not side_kick else U(rng, 10, 25)

    def apply(pose: Pose, t: np.ndarray) -> None:
        tl = Timeline(t, times)
        tl.set(pose, "r_hip_flex", hip)
        tl.set(pose, "r_knee", knee)
        tl.set(pose, "r_foot_flat", flat)
        tl.add(pose, "r_hip_abd", abd_k)
        pose["r_ankle"] += 25.0 * (1.0 - pose["r_foot_flat"])
        stance = bump(t, 0.0, shift, total - 2 * shift, shift)
        pose["anchor_left"] = 0.5 + 0.5 * stance
        pose["root_x"] += 0.06 * stance
        pose["l_knee"] += 10.0 * stance
        pose["l_hip_flex"] += 5.0 * stance
        lean_env = tl(lean) / 1.5
        if side_kick:
            pose["spine_lat"] += trunk * lean_env
        else:
            pose["pitch"] += trunk * lean_env
        for s in "lr":
            _blend_arm(pose, s, arms, stance)

    return ActionPlan(total, apply, {"kicks": n, "side_kick": side_kick})


def _plan_step(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed = _speed(rng, style)
    leg = skel.body.thigh + skel.body.shank
    direction = rng.choice(3, p=[0.6, 0.25, 0.15])  # forward, sideways, backward
    length = U(rng, 0.25, 0.5) * leg if direction != 1 else U(rng, 0.15, 0.35) * leg
    shift_frac = U(rng, 0.4, 0.8)
    big = np.degrees(np.arcsin(length / leg))
    front = np.degrees(np.arcsin(length * (1 - shift_frac) / leg))
    rear = -np.degrees(np.arcsin(length * shift_frac / leg))
    swing, shift, hold = U(rng, 0.35, 0.55) / speed, U(rng, 0.25, 0.5) / speed, U(rng, 0.2, 0.9)
    back_too = rng.random() < 0.8
    keys = [0.0, swing, swing + shift, swing + shift + hold]
    if back_too:
        keys += [keys[-1] + shift, keys[-1] + shift + swing]
    times, _ = _squeeze(keys, limit)
    lift = U(rng, 30, 50)
    sign = -1.0 if direction == 2 else 1.0
    dof = "hip_abd" if direction == 1 else "hip_flex"
    arm_swing = U(rng, 5, 15)

    def apply(pose: Pose, t: np.ndarray) -> None:
        tl = Timeline(t, times)
        r_vals = [0.0, big, front, front] + ([big, 0.0] if back_too else [])
        l_vals = [0.0, 0.0, rear, rear] + ([0.0, 0.0] if back_too else [])
        tl.add(pose, f"r_{dof}", [sign * v for v in r_vals])
        tl.add(pose, f"l_{dof}", [sign * v for v in l_vals])
        swings = [bump(t, times[0], 0.5 * swing, 0.0, 0.5 * swing)]
        if back_too:
            swings.append(bump(t, times[4], 0.5 * (times[5] - times[4]), 0.0, 0.5 * (times[5] - times[4])))
        for sw in swings:
            pose["r_knee"] += lift * sw
            pose["r_hip_flex"] += 0.5 * lift * sw
            pose["r_foot_flat"] -= sw
        on_right = tl([0.0, 0.0, 1.0, 1.0] + ([0.0, 0.0] if back_too else []))
        in_swing = sum(swings)
        pose["anchor_left"] = np.clip(0.5 + 0.5 * in_swing - 0.5 * on_right * (1.0 - in_swing), 0.0, 1.0)
        pose["l_foot_flat"] -= 0.5 * on_right * (direction == 0)
        pose["l_ankle"] += 10.0 * on_right * (direction == 0)
        pose["l_sh_flex"] += sign * arm_swing * on_right
        pose["r_sh_flex"] -= sign * arm_swing * on_right

    return ActionPlan(times[-1], apply, {"direction": ("forward", "sideways", "backward")[direction], "back": back_too})  # fmt: skip


def _steps(t: np.ndarray, cadence: float, steps: int, swing_frac: float) -> tuple[np.ndarray, np.ndarray]:
    """Lift profiles (0..1) of the right and left foot for ``steps`` alternating steps starting with the right."""
    p = np.clip(t * cadence, 0.0, steps)
    k = np.floor(p)
    u = np.clip((p - k) / swing_frac, 0.0, 1.0)
    lift = np.sin(np.pi * u) ** 2 * (p < steps)
    right = lift * (k % 2 == 0)
    return right, lift - right


def _plan_walk_in_place(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed, amp = _speed(rng, style), _amp(rng, style)
    cadence = U(rng, 1.6, 2.2) * speed
    n = _reps(rng, 4, 10, lambda k: k / cadence, limit)
    if n / cadence > limit:
        cadence = n / limit
    lift, knee_ratio = U(rng, 15, 40) * amp, U(rng, 1.7, 2.2)
    arm, elbow = U(rng, 5, 25), U(rng, 0, 20)

    def apply(pose: Pose, t: np.ndarray) -> None:
        right, left = _steps(t, cadence, n, 0.85)
        for s, lf in (("r", right), ("l", left)):
            pose[f"{s}_hip_flex"] += lift * lf
            pose[f"{s}_knee"] += knee_ratio * lift * lf
            pose[f"{s}_foot_flat"] -= lf
            pose[f"{s}_ankle"] += 15.0 * lf
        pose["anchor_left"] = 0.5 + 0.5 * (right - left)
        pose["r_sh_flex"] += arm * (left - right)
        pose["l_sh_flex"] += arm * (right - left)
        active = bump(t, 0.0, 0.3, n / cadence - 0.6, 0.3)
        pose["r_elbow"] += elbow * active
        pose["l_elbow"] += elbow * active
        pose["root_x"] += 0.02 * (right - left)
        pose["roll"] += 2.0 * (left - right)

    return ActionPlan(n / cadence, apply, {"steps": n, "cadence": cadence})


def _plan_run_in_place(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed, amp = _speed(rng, style), _amp(rng, style)
    cadence = U(rng, 2.6, 3.4) * speed
    n = _reps(rng, 6, 14, lambda k: k / cadence, limit)
    if n / cadence > limit:
        cadence = n / limit
    high_knees = rng.random() < 0.3
    lift = U(rng, 45, 75) * amp if high_knees else U(rng, 10, 35) * amp
    knee = 1.6 * lift if high_knees else U(rng, 80, 120)
    bounce = U(rng, 0.01, 0.05)
    elbow, arm0, arm = U(rng, 75, 105), U(rng, 5, 25), U(rng, 15, 35)
    lean = U(rng, 5, 15)

    def apply(pose: Pose, t: np.ndarray) -> None:
        right, left = _steps(t, cadence, n, 0.75)
        active = bump(t, 0.0, 0.25, n / cadence - 0.5, 0.25)
        for s, lf, other in (("r", right, left), ("l", left, right)):
            pose[f"{s}_hip_flex"] += lift * lf
            pose[f"{s}_knee"] += knee * lf
            pose[f"{s}_foot_flat"] -= 0.7 * active + 0.3 * lf
            pose[f"{s}_ankle"] += 20.0 * active
            _blend(pose, f"{s}_elbow", elbow, active)
            pose[f"{s}_sh_flex"] += arm0 * active + arm * (other - lf)
        pose["anchor_left"] = 0.5 + 0.5 * (right - left)
        pose["root_lift"] += bounce * (right + left)
        pose["pitch"] += lean * active

    return ActionPlan(n / cadence, apply, {"steps": n, "cadence": cadence, "high_knees": high_knees})


def _plan_turn_around(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    speed = _speed(rng, style)
    angle = U(rng, 150, 200) if rng.random() < 0.75 else U(rng, 330, 390)
    duration = min(U(rng, 0.9, 1.6) * angle / 180.0 / speed, limit)
    cadence = U(rng, 1.6, 2.4)
    n = max(2, int(np.ceil(duration * cadence)))
    cadence = n / duration
    lift, lead = U(rng, 10, 25), U(rng, 10, 30)

    def apply(pose: Pose, t: np.ndarray) -> None:
        pose["yaw"] += angle * ramp(t, 0.0, duration)
        pose["neck_twist"] += lead * bump(t, -0.1, 0.3 * duration, 0.2 * duration, 0.5 * duration)
        right, left = _steps(t, cadence, n, 0.8)
        for s, lf in (("r", right), ("l", left)):
            pose[f"{s}_hip_flex"] += lift * lf
            pose[f"{s}_knee"] += 1.8 * lift * lf
            pose[f"{s}_foot_flat"] -= 0.8 * lf
        pose["anchor_left"] = 0.5 + 0.5 * (right - left)
        active = bump(t, 0.0, 0.2 * duration, 0.6 * duration, 0.2 * duration)
        pose["l_sh_abd"] += 8.0 * active
        pose["r_sh_abd"] += 8.0 * active

    return ActionPlan(duration, apply, {"angle_deg": angle, "steps": n})


# -------------------------------------------------------------------------------------------- no action


def _plan_no_action(rng: np.random.Generator, style: ActorStyle, limit: float, skel: Skeleton) -> ActionPlan:
    """Standing around: sway plus zero to two everyday fidgets, at random times, for the whole clip."""
    behaviours = ("still", "look", "shift", "clasp", "hips", "behind", "pocket", "stretch", "touch")
    probs = np.array([0.15, 0.18, 0.16, 0.1, 0.08, 0.08, 0.1, 0.07, 0.08])
    chosen = list(rng.choice(len(behaviours), size=int(rng.integers(1, 3)), replace=False, p=probs))
    events = []
    for b in chosen:
        rise, hold, fall = U(rng, 0.4, 1.0), U(rng, 0.3, 2.0), U(rng, 0.4, 1.0)
        start = U(rng, -0.5 * rise, max(0.0, limit - rise - 0.5 * hold))
        events.append((behaviours[b], start, rise, hold, fall, int(rng.integers(1 << 30))))

    def apply(pose: Pose, t: np.ndarray) -> None:
        for name, start, rise, hold, fall, seed in events:
            r = np.random.default_rng(seed)
            env = bump(t, start, rise, hold, fall)
            side = "r" if r.random() < 0.5 else "l"
            if name == "look":
                pose["neck_twist"] += U(r, 20, 60) * (1 if r.random() < 0.5 else -1) * env
                pose["yaw"] += U(r, -10, 10) * env
            elif name == "shift":
                sign = 1.0 if side == "l" else -1.0
                pose["root_x"] += sign * U(r, 0.03, 0.07) * env
                pose["anchor_left"] += sign * 0.4 * env
                other = "r" if side == "l" else "l"
                pose[f"{other}_knee"] += U(r, 5, 15) * env
                pose[f"{other}_hip_flex"] += 4.0 * env
                pose["roll"] += sign * U(r, 2, 5) * env
            elif name == "clasp":
                posture = {"sh_flex": U(r, 10, 30), "sh_abd": U(r, 0, 10), "sh_rot": U(r, -70, -45), "elbow": U(r, 60, 100)}  # fmt: skip
                _blend_arm(pose, "l", posture, env)
                _blend_arm(pose, "r", posture, env)
            elif name == "hips":
                posture = {"sh_abd": U(r, 32, 45), "sh_flex": U(r, -10, 5), "sh_rot": U(r, -95, -80), "elbow": U(r, 70, 95)}  # fmt: skip
                _blend_arm(pose, "l", posture, env)
                _blend_arm(pose, "r", posture, env)
            elif name == "behind":
                posture = {"sh_flex": -U(r, 20, 35), "sh_abd": U(r, 5, 15), "sh_rot": -U(r, 40, 70), "elbow": U(r, 40, 70)}  # fmt: skip
                _blend_arm(pose, "l", posture, env)
                _blend_arm(pose, "r", posture, env)
            elif name == "pocket":
                _blend_arm(pose, side, {"sh_flex": U(r, -10, 5), "sh_abd": U(r, 10, 20), "elbow": U(r, 30, 60), "sh_rot": -30.0}, env)  # fmt: skip
            elif name == "stretch":
                pose["neck_lat"] += U(r, 10, 25) * (1 if r.random() < 0.5 else -1) * env
                pose["spine_flex"] -= U(r, 2, 6) * env
            elif name == "touch":
                _blend_arm(pose, side, {"sh_flex": U(r, 35, 60), "sh_horiz": U(r, -25, 0), "elbow": U(r, 120, 145), "sh_abd": U(r, 0, 15)}, env)  # fmt: skip

    return ActionPlan(limit, apply, {"behaviours": [e[0] for e in events]})


PLANS: dict[str, PlanFn] = {
    "no_action": _plan_no_action,
    "wave_right": _plan_wave,
    "wave_left": _plan_wave,
    "sit_down": _plan_sit_down,
    "stand_up": _plan_stand_up,
    "squat": _plan_squat,
    "jump": _plan_jump,
    "clap": _plan_clap,
    "arms_crossed": _plan_arms_crossed,
    "punch": _plan_punch,
    "reach": _plan_reach,
    "kick": _plan_kick,
    "step": _plan_step,
    "walk_in_place": _plan_walk_in_place,
    "run_in_place": _plan_run_in_place,
    "bow": _plan_bow,
    "arms_up": _plan_arms_up,
    "turn_around": _plan_turn_around,
}
assert set(PLANS) == set(ACTION_NAMES)
