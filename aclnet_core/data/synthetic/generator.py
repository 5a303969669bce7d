"""Public API: synthetic MediaPipe-33 action clips, gait sequences, dataset splits and a live stream.

Everything is a deterministic function of seeds: ``MotionGenerator(seed)`` gives the same samples in the same
order on every run, and ``actor_seed`` / ``view_seed`` / gait identity pin the person and the camera.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from aclnet_core.data.synthetic.actions import ACTION_INDEX, ACTION_NAMES, MIRRORED, PLANS, ActionPlan
from aclnet_core.data.synthetic.body import Body, sample_body
from aclnet_core.data.synthetic.camera import Camera, View, fit_distance, sample_view
from aclnet_core.data.synthetic.gait import NUM_GAIT_IDENTITIES, PERTURBATIONS, gait_identity, gait_pose
from aclnet_core.data.synthetic.kinematics import Skeleton, scene_batch
from aclnet_core.data.synthetic.landmarks import L_HIP, R_HIP
from aclnet_core.data.synthetic.motion import ActorStyle, apply_rest, apply_wander, sample_style
from aclnet_core.data.synthetic.noise import DEFAULT_NOISE, NoiseConfig, NoiseDraw, draw_noise, observe_batch
from aclnet_core.data.synthetic.pose import DOF, Pose, ramp
from aclnet_core.errors import UserError

__all__ = [
    "ACTION_NAMES",
    "ACTION_SPLITS",
    "GAIT_SPLITS",
    "NUM_GAIT_IDENTITIES",
    "PERTURBATIONS",
    "MotionGenerator",
    "SyntheticFrame",
    "SyntheticSample",
    "action_azimuth_bands",
    "make_action_split",
    "make_gait_split",
]

CLIP_FRAMES = (60, 120)  # action clips: 2-4 s at 30 fps, the same range for every class
GAIT_FRAMES = (72, 120)
ACTION_SPLITS = ("train", "val", "test")
GAIT_SPLITS = ("train", "gallery", "probe")
GALLERY_DIRECTIONS = (0.0, 36.0, 72.0, 108.0, 144.0, 180.0, -36.0, -72.0, -108.0, -144.0)
PROBE_DIRECTIONS = (18.0, 54.0, 90.0, 126.0, 162.0, -18.0, -54.0, -90.0, -126.0, -162.0)
_ACTOR_NS, _VIEW_NS, _SPLIT_NS = 0xAC7, 0x71E, 0x5B1
_SPLIT_SPAN = 1 << 40  # actor/view/motion seeds of split k lie in [k * span, (k + 1) * span)


@dataclass
class SyntheticSample:
    world: np.ndarray  # (T, 33, 3) float32 metres, hip-centred, MediaPipe axes (x right, y down, z away)
    image: np.ndarray  # (T, 33, 3) float32 normalised image x, y (outside [0, 1] when truncated), hip-relative z
    visibility: np.ndarray  # (T, 33) float32
    presence: np.ndarray  # (T, 33) float32
    detected: np.ndarray  # (T,) bool, False for lost frames (all arrays are zero there)
    label: int  # action label, or -1 for gait samples
    identity: int  # gait identity, or -1
    fps: float
    meta: dict = field(default_factory=dict)  # sampled parameters (actor, view, timing, …)

    @property
    def num_frames(self) -> int:
        return int(self.world.shape[0])


@dataclass
class SyntheticFrame:
    """One frame of ``MotionGenerator.stream``: what a live pose source yields, with ground truth."""

    world: np.ndarray  # (33, 3) float32
    image: np.ndarray  # (33, 3) float32
    visibility: np.ndarray  # (33,) float32
    presence: np.ndarray  # (33,) float32
    detected: bool
    label: int  # the action being performed in this segment
    label_name: str
    in_action: bool  # inside the action proper (False in the idle lead-in/lead-out)
    timestamp: float  # seconds since the stream started
    frame_index: int


@dataclass(frozen=True)
class _Actor:
    body: Body
    style: ActorStyle
    skeleton: Skeleton
    body_dict: dict
    style_dict: dict


@lru_cache(maxsize=4096)
def _actor(actor_seed: int) -> _Actor:
    rng = np.random.default_rng(np.random.SeedSequence([_ACTOR_NS, int(actor_seed)]))
    body = sample_body(rng)
    style = sample_style(rng)
    return _Actor(body, style, Skeleton(body), body.to_dict(), style.to_dict())


@dataclass
class _Job:
    """One clip before rendering: its motion and body, how to place the camera, its noise draw and labels."""

    pose: Pose
    skeleton: Skeleton
    place_camera: Callable[[np.ndarray], Camera]  # scene landmarks (T, 33, 3) -> camera
    noise: NoiseDraw | None
    label: int
    identity: int
    meta: dict


@lru_cache(maxsize=4096)
def _gait_skeleton(identity: int) -> Skeleton:
    return Skeleton(gait_identity(identity).body)


def _view(view_seed: int, bands: tuple[tuple[float, float], ...] | None) -> View:
    return sample_view(np.random.default_rng(np.random.SeedSequence([_VIEW_NS, int(view_seed)])), bands)


def action_azimuth_bands(split: str) -> tuple[tuple[float, float], ...]:
    """Disjoint camera azimuth bands (degrees) per split: 10° bands over [-90, 90), 2/3 train, 1/6 val, 1/6 test."""
    if split not in ACTION_SPLITS:
        raise UserError(f"unknown split {split!r}; expected one of {ACTION_SPLITS}")
    pick = {"train": (0, 1, 3, 4), "val": (2,), "test": (5,)}[split]
    return tuple((-90.0 + 10 * k, -80.0 + 10 * k) for k in range(18) if k % 6 in pick)


def _label(label: int | str | None, rng: np.random.Generator) -> int:
    if label is None:
        return int(rng.integers(len(ACTION_NAMES)))
    if isinstance(label, str):
        if label not in ACTION_INDEX:
            raise UserError(f"unknown action {label!r}; expected one of {', '.join(ACTION_NAMES)}")
        return ACTION_INDEX[label]
    if not 0 <= int(label) < len(ACTION_NAMES):
        raise UserError(f"action label must be in [0, {len(ACTION_NAMES)}), got {label}")
    return int(label)


def _frames(num_frames: int | None, rng: np.random.Generator, default: tuple[int, int]) -> int:
    drawn = int(rng.integers(default[0], default[1] + 1))  # always drawn: same stream with or without num_frames
    if num_frames is None:
        return drawn
    if int(num_frames) < 2:
        raise UserError(f"num_frames must be at least 2, got {num_frames}")
    return int(num_frames)


class MotionGenerator:
    """Procedural MediaPipe-33 motion: ``action`` clips, ``gait`` sequences and an endless ``stream``."""

    def __init__(
        self,
        seed: int = 0,
        fps: float = 30.0,
        image_size: tuple[int, int] = (640, 480),
        noise: bool = True,
        noise_config: NoiseConfig = DEFAULT_NOISE,
    ) -> None:
        if fps <= 0:
            raise UserError(f"fps must be positive, got {fps}")
        self.seed = int(seed)
        self.fps = float(fps)
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.noise = bool(noise)
        self.noise_config = noise_config
        self._rng = np.random.default_rng(np.random.SeedSequence([0x5E, self.seed]))

    # -------------------------------------------------------------------------------------------- actions

    def action(
        self,
        label: int | str | None = None,
        num_frames: int | None = None,
        actor_seed: int | None = None,
        view_seed: int | None = None,
    ) -> SyntheticSample:
        """One action clip (2-4 s unless ``num_frames``); random label/actor/view where not given."""
        return self._action(label, num_frames, actor_seed, view_seed)

    def _action(self, *args, **kwargs) -> SyntheticSample:
        """One clip rendered on its own; arguments as ``_action_job``."""
        return self._render([self._action_job(*args, **kwargs)])[0]

    def _action_job(
        self,
        label: int | str | None,
        num_frames: int | None,
        actor_seed: int | None,
        view_seed: int | None,
        azimuth_bands: tuple[tuple[float, float], ...] | None = None,
        motion_seed: int | None = None,
    ) -> _Job:
        rng = self._rng
        label = _label(label, rng)
        drawn = rng.integers(0, 1 << 62, size=3)
        actor_seed = int(drawn[0]) if actor_seed is None else int(actor_seed)
        view_seed = int(drawn[1]) if view_seed is None else int(view_seed)
        motion_seed = int(drawn[2]) if motion_seed is None else int(motion_seed)
        actor = _actor(actor_seed)
        view = _view(view_seed, azimuth_bands)
        mrng = np.random.default_rng(motion_seed)
        name = ACTION_NAMES[label]
        num_frames = _frames(num_frames, mrng, CLIP_FRAMES)
        t = np.arange(num_frames) / self.fps
        pose, plan, lead_in, mirrored = _action_pose(name, t, actor, mrng, self.fps)
        noise = self._noise_draw(mrng, num_frames)
        camera, distance = _action_camera(view, actor.body, self.image_size)
        meta = {
            "kind": "action",
            "action": name,
            "actor_seed": actor_seed,
            "view_seed": view_seed,
            "motion_seed": motion_seed,
            "body": actor.body_dict,
            "style": actor.style_dict,
            "view": view.to_dict(),
            "distance_m": round(distance, 3),
            "lead_in_s": round(lead_in, 3),
            "duration_s": round(plan.duration, 3),
            "mirrored": mirrored,
            "plan": plan.params,
            "noise": self.noise,
        }
        return _Job(pose, actor.skeleton, lambda scene: camera, noise, label, -1, meta)

    # ----------------------------------------------------------------------------------------------- gait

    def gait(
        self,
        identity: int,
        num_frames: int | None = None,
        direction_deg: float | None = None,
        perturbation: str | None = None,
    ) -> SyntheticSample:
        """Identity ``identity`` walking; ``direction_deg`` 0 = towards the camera, 90 = to the image right."""
        return self._gait(identity, num_frames, direction_deg, perturbation)

    def _gait(
        self,
        identity: int,
        num_frames: int | None,
        direction_deg: float | None,
        perturbation: str | None,
        speed: float | None = None,
        motion_seed: int | None = None,
    ) -> SyntheticSample:
        return self._render([self._gait_job(identity, num_frames, direction_deg, perturbation, speed, motion_seed)])[0]

    def _gait_job(
        self,
        identity: int,
        num_frames: int | None,
        direction_deg: float | None,
        perturbation: str | None,
        speed: float | None = None,
        motion_seed: int | None = None,
    ) -> _Job:
        drawn = int(self._rng.integers(0, 1 << 62))
        motion_seed = drawn if motion_seed is None else int(motion_seed)
        ident = gait_identity(int(identity))
        mrng = np.random.default_rng(motion_seed)
        num_frames = _frames(num_frames, mrng, GAIT_FRAMES)
        direction = float(mrng.uniform(-180.0, 180.0)) if direction_deg is None else float(direction_deg)
        speed = float(mrng.uniform(0.85, 1.15)) if speed is None else float(speed)
        t = np.arange(num_frames) / self.fps
        pose, body, gait_meta = gait_pose(ident, t, mrng, direction, speed, perturbation)
        apply_wander(pose, t, mrng, self.fps, scale=0.5)
        skeleton = _gait_skeleton(ident.index) if body is ident.body else Skeleton(body)
        view = {
            "target_height": float(mrng.uniform(0.5, 0.6) * body.height),
            "azimuth": float(mrng.normal(0.0, 3.0)),
            "elevation": float(mrng.uniform(0.0, 20.0)),
            "distance": float(mrng.uniform(4.5, 7.5)),
            "hfov": float(mrng.uniform(50.0, 75.0)),
            "roll": float(mrng.normal(0.0, 1.0)),
            "centre": (float(mrng.uniform(0.45, 0.55)), float(mrng.uniform(0.45, 0.55))),
        }
        noise = self._noise_draw(mrng, num_frames)
        image_size = self.image_size

        def place_camera(scene: np.ndarray) -> Camera:
            """A fixed camera that keeps the whole walk in view: aimed at the middle of the path."""
            hips = 0.5 * (scene[:, L_HIP] + scene[:, R_HIP])
            target = 0.5 * (hips[0] + hips[-1])
            target[1] = view["target_height"]
            distance = view["distance"] + 0.5 * abs(hips[-1, 2] - hips[0, 2])
            return Camera.look_at(target, view["azimuth"], view["elevation"], distance, view["hfov"], image_size, view["roll"], view["centre"])  # fmt: skip

        meta = {
            "kind": "gait",
            "identity": ident.index,
            "motion_seed": motion_seed,
            "direction_deg": round(direction, 2),
            "perturbation": perturbation,
            "body": body.to_dict(),
            "gait_style": ident.style.to_dict(),
            "noise": self.noise,
            **gait_meta,
        }
        return _Job(pose, skeleton, place_camera, noise, -1, ident.index, meta)

    # ---------------------------------------------------------------------------------------------- render

    def _render_all(self, jobs: list[_Job], batch: int = 4) -> list[SyntheticSample]:
        return [sample for i in range(0, len(jobs), batch) for sample in self._render(jobs[i : i + batch])]

    def _noise_draw(self, rng: np.random.Generator, num_frames: int) -> NoiseDraw | None:
        """The clip's observation noise; its seed is drawn either way, so noise never changes the motion."""
        seed = int(rng.integers(1 << 62))
        return draw_noise(np.random.default_rng(seed), num_frames, self.noise_config) if self.noise else None

    def _render(self, jobs: list[_Job]) -> list[SyntheticSample]:
        """Forward kinematics, cameras and observation of several clips in one vectorised pass."""
        scene, _, bounds = scene_batch([j.pose for j in jobs], [j.skeleton for j in jobs])
        cam_points = np.empty_like(scene)
        focal = np.empty(len(scene))
        for job, first, stop in zip(jobs, bounds[:-1], bounds[1:]):
            camera = job.place_camera(scene[first:stop])
            cam_points[first:stop] = camera.to_camera(scene[first:stop])
            focal[first:stop] = camera.focal
            job.meta["camera"] = camera.to_dict()
        heights = [j.skeleton.body.height for j in jobs]
        draws = [j.noise for j in jobs] if self.noise else None
        obs = observe_batch(cam_points, focal, self.image_size, bounds, heights, draws, self.noise_config)
        world, image = obs.world.astype(np.float32), obs.image.astype(np.float32)
        visibility, presence = obs.visibility.astype(np.float32), obs.presence.astype(np.float32)
        samples = []
        for job, a, b in zip(jobs, bounds[:-1], bounds[1:]):
            arrays = (world[a:b], image[a:b], visibility[a:b], presence[a:b], obs.detected[a:b])
            samples.append(SyntheticSample(*arrays, job.label, job.identity, self.fps, job.meta))
        return samples

    # --------------------------------------------------------------------------------------------- stream

    def stream(self, fps: float = 30.0) -> Iterator[SyntheticFrame]:
        """Endless frames of one person doing random actions back to back (the app's demo source).

        The generator does not sleep: the consumer paces it (one frame every 1/fps seconds for live use).
        """
        if fps <= 0:
            raise UserError(f"fps must be positive, got {fps}")
        seeds = self._rng.integers(0, 1 << 62, size=3)
        actor = _actor(int(seeds[0]))
        view = _view(int(seeds[1]), None)
        rng = np.random.default_rng(int(seeds[2]))
        camera, _ = _action_camera(view, actor.body, self.image_size)
        weights = np.ones(len(ACTION_NAMES))
        weights[ACTION_INDEX["no_action"]] = 3.0
        weights[ACTION_INDEX["stand_up"]] = 0.0
        weights /= weights.sum()
        previous: np.ndarray | None = None  # last pose row of the previous segment
        start_xz: np.ndarray | None = None
        seated, clock, index = False, 0.0, 0
        while True:
            label = ACTION_INDEX["stand_up"] if seated else int(rng.choice(len(ACTION_NAMES), p=weights))
            name = ACTION_NAMES[label]
            num_frames = int(rng.integers(CLIP_FRAMES[0], CLIP_FRAMES[1] + 1) * fps / 30.0)
            t = np.arange(max(num_frames, 2)) / fps
            pose, plan, lead_in, _ = _action_pose(name, t, actor, rng, fps)
            if previous is not None:
                pose["yaw"] += previous[DOF["yaw"]] - pose["yaw"][0]
                fade = 1.0 - ramp(t, 0.0, 0.4)
                pose.data += (previous - pose.data[0]) * fade[:, None]
            scene, root = actor.skeleton.scene_and_root(pose, start_xz)
            if start_xz is not None:  # drift slowly back to where the camera points
                back = -0.3 * start_xz * ramp(t, 0.0, t[-1])[:, None]
                scene[..., 0] += back[:, None, 0]
                scene[..., 2] += back[:, None, 1]
                root[:, ::2] += back
            noise = self._noise_draw(rng, len(t))
            obs = observe_batch(camera.to_camera(scene), np.full(len(t), camera.focal), self.image_size, np.array([0, len(t)]), [actor.body.height], None if noise is None else [noise], self.noise_config)  # fmt: skip
            previous, start_xz = pose.data[-1].copy(), root[-1, ::2].copy()
            seated = plan.ends_seated
            active = (t >= lead_in) & (t <= lead_in + plan.duration)
            obs_f32 = [a.astype(np.float32) for a in (obs.world, obs.image, obs.visibility, obs.presence)]
            for i in range(len(t)):
                yield SyntheticFrame(
                    obs_f32[0][i], obs_f32[1][i], obs_f32[2][i], obs_f32[3][i], bool(obs.detected[i]),
                    label, name, bool(active[i]), clock + float(t[i]), index,
                )  # fmt: skip
                index += 1
            clock += len(t) / fps


# ------------------------------------------------------------------------------------------------ helpers


def _action_pose(
    name: str, t: np.ndarray, actor: _Actor, rng: np.random.Generator, fps: float
) -> tuple[Pose, ActionPlan, float, bool]:
    """The joint-angle trajectory of one clip: rest posture, the action at a random offset, idle wander."""
    pose = Pose(len(t))
    apply_rest(pose, actor.style, rng)
    clip = float(t[-1] + 1.0 / fps)
    plan = PLANS[name](rng, actor.style, max(clip - 0.2, 0.3), actor.skeleton)
    coin = rng.random() < 0.5  # drawn for every class, so wave_left is exactly wave_right mirrored
    mirrored = MIRRORED.get(name, coin)
    free = max(clip - plan.duration, 0.0)
    lead_in = float(rng.uniform(0.1, 0.9) * free)
    cut = rng.random()
    if cut < 0.1:  # the clip starts after the action began
        lead_in -= float(rng.uniform(0.0, 0.15) * plan.duration)
    elif cut < 0.2:  # the clip ends before the action finished
        lead_in = free + float(rng.uniform(0.0, 0.15) * plan.duration)
    plan.apply(pose, t - lead_in)
    apply_wander(pose, t, rng, fps)
    if mirrored:
        pose.mirror()
    return pose, plan, lead_in, mirrored


def _action_camera(view: View, body: Body, image_size: tuple[int, int]) -> tuple[Camera, float]:
    width, height = image_size
    focal = 0.5 * width / np.tan(np.radians(view.hfov) / 2)
    distance = fit_distance(view, body.height * 1.08, focal, height)
    target = np.array([0.0, view.target_height * body.height, 0.0])
    camera = Camera.look_at(target, view.azimuth, view.elevation, distance, view.hfov, image_size, view.roll, view.centre)  # fmt: skip
    return camera, float(distance)


# ------------------------------------------------------------------------------------------------- splits


def _split_rng(kind: str, split: str, seed: int, splits: tuple[str, ...]) -> tuple[np.random.Generator, int]:
    if split not in splits:
        raise UserError(f"unknown {kind} split {split!r}; expected one of {splits}")
    k = splits.index(split)
    return np.random.default_rng(np.random.SeedSequence([_SPLIT_NS, len(kind), int(seed), k])), k


def make_action_split(
    n_per_class: int, split: str, seed: int, noise: bool = True, fps: float = 30.0
) -> list[SyntheticSample]:
    """``n_per_class`` clips of every action. Actors, views (azimuth bands) and seeds never overlap between
    'train', 'val' and 'test', whatever ``seed`` is; classes are interleaved so any prefix is balanced."""
    if n_per_class < 1:
        raise UserError(f"n_per_class must be at least 1, got {n_per_class}")
    rng, k = _split_rng("action", split, seed, ACTION_SPLITS)
    base = k * _SPLIT_SPAN
    total = n_per_class * len(ACTION_NAMES)
    actors = base + rng.integers(0, _SPLIT_SPAN, size=max(8, -(-total // 6)))
    bands = action_azimuth_bands(split)
    gen = MotionGenerator(seed=int(rng.integers(1 << 62)), fps=fps, noise=noise)
    jobs = []
    for _ in range(n_per_class):
        for label in range(len(ACTION_NAMES)):
            actor = int(actors[rng.integers(len(actors))])
            view_seed, motion_seed = (base + rng.integers(0, _SPLIT_SPAN, size=2)).tolist()
            jobs.append(gen._action_job(label, None, actor, view_seed, bands, motion_seed))
    return gen._render_all(jobs)


def make_gait_split(
    identities: range, sequences_per_id: int, split: str, seed: int, noise: bool = True, fps: float = 30.0
) -> list[SyntheticSample]:
    """Walking sequences of each identity. 'train': any direction, speed and perturbation; 'gallery': normal
    walking at the preferred speed in ``GALLERY_DIRECTIONS``; 'probe': the other directions
    (``PROBE_DIRECTIONS``), slower or faster, with a bag, a coat or neither (cycled)."""
    if sequences_per_id < 1:
        raise UserError(f"sequences_per_id must be at least 1, got {sequences_per_id}")
    rng, k = _split_rng("gait", split, seed, GAIT_SPLITS)
    gen = MotionGenerator(seed=int(rng.integers(1 << 62)), fps=fps, noise=noise)
    jobs = []
    for identity in identities:
        for j in range(sequences_per_id):
            motion_seed = k * _SPLIT_SPAN + int(rng.integers(0, _SPLIT_SPAN))
            jitter = float(rng.uniform(-5.0, 5.0))
            if split == "train":
                direction = float(rng.uniform(-180.0, 180.0))
                speed = float(rng.uniform(0.8, 1.2))
                perturbation = (None, "bag", "coat")[int(rng.choice(3, p=[0.6, 0.2, 0.2]))]
            elif split == "gallery":
                direction = GALLERY_DIRECTIONS[(j + identity) % len(GALLERY_DIRECTIONS)] + jitter
                speed, perturbation = float(rng.uniform(0.95, 1.05)), None
            else:
                direction = PROBE_DIRECTIONS[(j + identity) % len(PROBE_DIRECTIONS)] + jitter
                speed = float(rng.uniform(0.8, 0.9) if rng.random() < 0.5 else rng.uniform(1.1, 1.2))
                perturbation = (None, "bag", "coat")[j % 3]
            jobs.append(gen._gait_job(identity, None, direction, perturbation, speed, motion_seed))
    return gen._render_all(jobs)
