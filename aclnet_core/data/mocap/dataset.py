"""Motion capture as training splits: trials mapped to MediaPipe-33 and rendered into the app's windows.

``data.kind: mocap`` with ``data.path`` a folder of trials (the shared mocap set with its manifest.csv, or a
user's folder of ``.npz``/``.bvh`` files). Options (``data.options``):

- ``label_map``: source label -> class name (unlisted labels are left out of the classes; those in
  ``negatives`` become the out-of-set pool). Default for the shared set: ``PRODUCT_LABEL_MAP``; for other folders
  every label is its own class.
- ``classes``: the class order (default: the label map's classes, then ``synthetic_classes``).
- ``other_class``: a class trained on the out-of-set pool of the training people (default ``other`` for the
  shared set, none otherwise): outlier exposure, so the model learns a place for motion unlike its classes.
  The app never shows it as a label (``aclnet_core.eval.open_set``: its probability means "unknown").
- ``synthetic_classes``: classes drawn from the synthetic generator (``{class: [generator actions]}``) for
  actions no real source has; they are mixed into every split.
- ``splits``: ``{val: [groups], test: [groups]}``; groups are ``source:subject`` (default for the shared set:
  ``PRODUCT_SPLITS``; otherwise a seeded 70/15/15 split of the persons). ``exclude``: groups or files to leave out.
- ``n_per_class`` (train segments per class, default 160), ``eval_segments_per_trial`` (default 4),
  ``eval_views`` (cameras per evaluation segment, default 1),
  ``segment_s`` (default 3.5), ``speed`` ([lo, hi] playback speed for training, default [0.8, 1.25]), ``seed``,
  ``noise`` (default true), ``short_stride`` (``{class: [lo, hi]}``: training segments of these classes get their
  limb swing and stride scaled by a factor drawn from [lo, hi], ``stride.shorten_stride``: casual walking from
  brisk mocap walks; default none), ``root_motion`` (add the travel estimated from the rendered image,
  ``skeleton.root_motion``, to the world landmarks; set by ``preprocess.root_motion``), ``onset``
  (``{class: {share: p, hold: [lo, hi]}}``: a share ``p`` of the class's training segments start with the person
  standing still in the segment's first pose for a fraction [lo, hi] of the segment, then moving, still labelled
  with the class: a person who has just started walking is walking, though most of the window shows them
  standing; ``hold.hi`` bounds how much of a window can be the hold; default none).
Every split renders through its own cameras (disjoint azimuth bands, ``render.azimuth_bands``) and seeds, so the
test split is held-out people seen through unseen cameras. Split ``negatives`` renders the out-of-set pool
(real motion of other actions, labels -1) of the validation people for open-set calibration; ``negatives_test``
that of the test people, through the test cameras.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from aclnet_core.data.mocap.render import azimuth_bands, render_segment, resample_time
from aclnet_core.data.mocap.stride import shorten_stride
from aclnet_core.data.mocap.to_mediapipe import mediapipe33_scene
from aclnet_core.data.mocap.trials import MocapTrial, find_trials, load_trial
from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError
from aclnet_core.skeleton.root_motion import with_root

__all__ = ["MOCAP_SPLITS", "PRODUCT_LABEL_MAP", "PRODUCT_SPLITS", "load_mocap_split", "load_trials"]

MOCAP_SPLITS = ("train", "val", "test", "negatives", "negatives_test")
OPTION_KEYS = {"label_map", "classes", "synthetic_classes", "splits", "exclude", "negatives", "n_per_class",
               "eval_segments_per_trial", "segment_s", "speed", "seed", "noise", "synthetic_per_class", "eval_views", "other_class",
               "short_stride", "root_motion", "onset"}

# The shared mocap set (../shared/data/mocap) -> the shipped action classes.
PRODUCT_LABEL_MAP: dict[str, str] = {
    "idle": "no_action", "walk": "walk", "sneak": "walk", "run": "run", "jog": "run", "jump": "jump",
    "hop": "jump", "squat": "squat", "kick": "kick", "soccer": "kick", "throw": "throw", "reach_high": "reach_up",
    "put_down": "put_down", "lie_down": "lie_down", "arm_circles": "arm_circles",
    "elbow_to_knee": "elbow_to_knee", "directing_traffic": "wave",
}
# Real motion of actions outside the classes: the out-of-set pool. Left out: CMU 'stretch' (warm-up mixes with
# squats and jumping jacks, which are classes) and CMU 105 'other' (turns and stylised walks, i.e. walking).
# Basketball (dribbling) stays: without it the model labels real drinking and a gym scene with confident
# classes (docs/RESULTS.md, the v2c run).
PRODUCT_NEGATIVES = ("dance", "basketball", "basketball_signal", "wipe", "washwindow")
# Subject-disjoint: HDM05 actors, CMU subjects and ReActIdle people (manifest 'subject').
PRODUCT_SPLITS: dict[str, list[str]] = {
    "val": ["hdm05:dg", "cmu:09", "cmu:10", "cmu_expmap:10", "reactidle:007", "reactidle:008",
            # out-of-set people for calibrating the open-set gate (CMU trials of unknown subject: one group each)
            "cmu:14", "cmu:93", "cmu_expmap:?train_basketball_signal_5", "cmu_expmap:?test_washwindow_1",
            "cmu_expmap:?test_basketball_1"],
    "test": ["hdm05:mm", "hdm05:tr", "cmu:02", "cmu:13", "cmu:49", "cmu:55", "cmu_expmap:02", "cmu_expmap:13",
             "cmu_expmap:49", "reactidle:010", "reactidle:011", "reactidle:012", "reactidle:013", "reactidle:014",
             "reactidle:015"],
}
PRODUCT_SYNTHETIC: dict[str, list[str]] = {"sit_down": ["sit_down"], "stand_up": ["stand_up"],
                                           "wave": ["wave_right", "wave_left"],
                                           # generator actions outside the classes: examples of "other"
                                           "other": ["clap", "arms_crossed", "punch", "bow"]}


def _is_product_set(root: Path) -> bool:
    return (root / "manifest.csv").is_file() and (root / "hdm05").is_dir() and (root / "reactidle").is_dir()


@lru_cache(maxsize=4)
def load_trials(root: str) -> tuple[MocapTrial, ...]:
    """Every trial under ``root`` (cached per process: several splits read the same folder)."""
    trials = []
    for path, meta in find_trials(root):
        if not path.is_file():
            raise UserError(f"mocap trial listed but missing: {path}")
        trial = load_trial(path, meta.get("label", ""), meta.get("subject", ""))
        if meta.get("source"):
            trial.source = meta["source"]
        trials.append(trial)
    return tuple(trials)


def _trial_class(trial: MocapTrial, label_map: dict[str, str]) -> str | None:
    """Class of a trial: the map of its raw label (e.g. directing_traffic) wins over its normalised label."""
    return label_map.get(trial.label_raw) or label_map.get(trial.label)


def _split_of(group: str, splits: dict[str, list[str]], seed: int, explicit: bool) -> str:
    for name in ("val", "test"):
        if group in splits.get(name, ()):
            return name
    if explicit:
        return "train"
    h = int(hashlib.sha256(f"{seed}:{group}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "val" if h < 0.15 else ("test" if h < 0.30 else "train")


def _options(data: Any) -> dict:
    opts = dict(data.options or {})
    unknown = set(opts) - OPTION_KEYS
    if unknown:
        raise UserError(f"unknown mocap data option(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(OPTION_KEYS))}")
    return opts


def _num(opts: dict, key: str, default: float, lo: float, hi: float) -> float:
    value = opts.get(key, default)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise UserError(f"mocap option {key} must be a number, got {value!r}") from None
    if not np.isfinite(value) or not lo <= value <= hi:
        raise UserError(f"mocap option {key} must be in [{lo}, {hi}], got {value}")
    return value


def load_mocap_split(data: Any, split: str) -> tuple[list[SkeletonSequence], list[str]]:
    """(sequences, class names) of one split, rendered at ``data.fps`` samples per second (MediaPipe-33)."""
    if split not in MOCAP_SPLITS:
        raise UserError(f"unknown mocap split {split!r}; choose one of {', '.join(MOCAP_SPLITS)}")
    if not data.path:
        raise UserError("mocap data needs a folder (data.path or --data)")
    if (data.options or {}).get("task") == "gait":  # real walkers as identities (aclnet_core/data/mocap/gait.py)
        from aclnet_core.data.mocap.gait import load_mocap_gait_split

        return load_mocap_gait_split(data, split)
    root = Path(data.path)
    opts = _options(data)
    seed = int(_num(opts, "seed", 0, 0, 2**31))  # options are checked before the folder is read
    product = _is_product_set(root)
    trials = load_trials(str(root))
    label_map = dict(opts.get("label_map") or (PRODUCT_LABEL_MAP if product else {x: x for x in sorted({t.label for t in trials if t.label})}))
    negatives = set(opts.get("negatives", PRODUCT_NEGATIVES if product else ()))
    synthetic = dict(opts.get("synthetic_classes", PRODUCT_SYNTHETIC if product else {}))
    other = opts.get("other_class", "other" if product else None)
    classes = list(opts.get("classes") or dict.fromkeys(list(label_map.values()) + list(synthetic)
                                                         + ([other] if other else [])))
    index = {c: i for i, c in enumerate(classes)}
    splits = dict(opts.get("splits") or (PRODUCT_SPLITS if product else {}))
    explicit = bool(opts.get("splits")) or product
    exclude = set(opts.get("exclude", ()))
    rate = float(data.fps)
    if not np.isfinite(rate) or not 1.0 <= rate <= 120.0:
        raise UserError(f"data.fps (the render rate) must be in [1, 120], got {rate}")
    base = "negatives" if split.startswith("negatives") else split
    chosen: dict[str, list[MocapTrial]] = defaultdict(list)
    for t in trials:
        if t.group in exclude or t.name in exclude:
            continue
        if product and not t.subject and t.source == "cmu_expmap" and _trial_class(t, label_map) not in (None, "wave"):
            continue  # unknown CMU subject: it could be a test subject, so it never trains a class the test has
        cls = _trial_class(t, label_map)
        is_negative = cls is None and (t.label in negatives or t.label_raw in negatives)
        where = _split_of(t.group, splits, seed, explicit)
        if base == "negatives":
            if is_negative and where == {"negatives": "val", "negatives_test": "test"}[split]:
                chosen["?"].append(t)
            continue
        if is_negative and other in index and where == split == "train":
            chosen[other].append(t)
            continue
        if cls is None or cls not in index:
            continue
        if product and not t.subject and cls == "wave":
            where = "train"  # the only real waving: its two trials train; waving is tested on synthetic clips
        if where == split:
            chosen[cls].append(t)
    cameras = {"train": "train", "test": "test", "negatives_test": "test"}.get(split, "val")
    rng = np.random.default_rng(np.random.SeedSequence([0x30CA9, seed, MOCAP_SPLITS.index(split)]))
    bands = azimuth_bands(cameras)
    noise = bool(opts.get("noise", True))
    root = bool(opts.get("root_motion", False))
    segment = max(round(_num(opts, "segment_s", 3.5, 0.5, 60.0) * rate), 2)
    seqs: list[SkeletonSequence] = []
    if split == "train":
        n = int(_num(opts, "n_per_class", 160, 1, 100_000))
        speed = opts.get("speed", [0.8, 1.25])
        strides = _stride_ranges(opts.get("short_stride") or {})
        onsets = _onsets(opts.get("onset") or {})
        for cls, pool in sorted(chosen.items()):
            seqs += _train_segments(pool, index[cls], cls, n, segment, rate, speed, bands, noise, rng,
                                    strides.get(cls), root, onsets.get(cls))
    else:
        per_trial = int(_num(opts, "eval_segments_per_trial", 4, 1, 1000))
        views = int(_num(opts, "eval_views", 1, 1, 100))
        for cls, pool in sorted(chosen.items()):
            label = -1 if cls == "?" else index[cls]
            for t in pool:
                seqs += _eval_segments(t, label, per_trial, segment, rate, bands, noise, rng, views, root)
    if synthetic and base != "negatives":
        seqs += _synthetic_segments(synthetic, index, split, opts, rate, segment, seed, root)
    if not seqs:
        raise UserError(f"mocap split {split!r} of {root} holds no trials of the classes {', '.join(classes)}")
    return seqs, classes


_SCENES: dict[tuple[str, str, int], np.ndarray] = {}


def _scene_of(trial: MocapTrial) -> np.ndarray:
    """The trial's MediaPipe-33 scene landmarks, mapped once per process."""
    key = (trial.source, trial.name, trial.joints.shape[0])
    if key not in _SCENES:
        _SCENES[key] = mediapipe33_scene(trial.joints, trial.joint_names)
    return _SCENES[key]


def _window(trial: MocapTrial, start_s: float, count: int, rate: float, speed: float, rng: np.random.Generator | None
            ) -> np.ndarray:
    """``count`` samples of the trial's MediaPipe-33 scene from ``start_s``; a short trial is padded by holding its
    first and last pose (the person stands still before and after), at a random offset when ``rng`` is given."""
    scene = _scene_of(trial)
    available = int(np.floor((trial.seconds - start_s) * rate / speed)) + 1
    if available >= count:
        return resample_time(scene, trial.fps, rate, start_s, count, speed)
    body = resample_time(scene, trial.fps, rate, start_s, max(available, 1), speed)
    pad = count - len(body)
    before = int(rng.integers(pad + 1)) if rng is not None else pad // 2
    return np.concatenate([np.repeat(body[:1], before, 0), body, np.repeat(body[-1:], pad - before, 0)])


def _rendered(r, label: int, name: str, root: bool) -> SkeletonSequence:
    world = r.world + r.root[:, None] if root else r.world
    return _sequence(world.astype(np.float32), r.visibility, label, name)


def _sequence(world: np.ndarray, visibility: np.ndarray, label: int, name: str) -> SkeletonSequence:
    return SkeletonSequence(keypoint=world[None], label=label, layout="mediapipe33", name=name, score=visibility[None])


def _stride_ranges(value: Any) -> dict[str, tuple[float, float]]:
    """The ``short_stride`` option checked: {class: (lo, hi)} with 0 < lo <= hi <= 1."""
    if not isinstance(value, dict):
        raise UserError(f"mocap option short_stride must map class names to [lo, hi], got {value!r}")
    out = {}
    for cls, rng_ in value.items():
        try:
            lo, hi = (float(x) for x in rng_)
        except (TypeError, ValueError):
            raise UserError(f"mocap option short_stride.{cls} must be [lo, hi], got {rng_!r}") from None
        if not 0.0 < lo <= hi <= 1.0:
            raise UserError(f"mocap option short_stride.{cls} must satisfy 0 < lo <= hi <= 1, got {rng_!r}")
        out[str(cls)] = (lo, hi)
    return out


def _onsets(value: Any) -> dict[str, tuple[float, float, float]]:
    """The ``onset`` option checked: {class: (share, lo, hi)} with 0 <= share <= 1 and 0 <= lo <= hi < 1."""
    if not isinstance(value, dict):
        raise UserError(f"mocap option onset must map class names to {{share: p, hold: [lo, hi]}}, got {value!r}")
    out = {}
    for cls, spec in value.items():
        try:
            share = float(spec["share"])
            lo, hi = (float(x) for x in spec["hold"])
        except (TypeError, ValueError, KeyError):
            raise UserError(f"mocap option onset.{cls} must be {{share: p, hold: [lo, hi]}}, got {spec!r}") from None
        if not (0.0 <= share <= 1.0 and 0.0 <= lo <= hi < 1.0):
            raise UserError(f"mocap option onset.{cls} needs 0 <= share <= 1 and 0 <= lo <= hi < 1, got {spec!r}")
        out[str(cls)] = (share, lo, hi)
    return out


def start_from_standstill(scene: np.ndarray, hold: int) -> np.ndarray:
    """The same number of samples: the first pose held for ``hold`` samples, then the motion from its start."""
    hold = int(np.clip(hold, 0, len(scene) - 1))
    if hold == 0:
        return scene
    return np.concatenate([np.repeat(scene[:1], hold, 0), scene[: len(scene) - hold]])


def _train_segments(pool: list[MocapTrial], label: int, cls: str, n: int, segment: int, rate: float, speed,
                    bands, noise: bool, rng: np.random.Generator, stride: tuple[float, float] | None = None,
                    root: bool = False, onset: tuple[float, float, float] | None = None) -> list[SkeletonSequence]:
    """``n`` segments of a class: trials drawn in proportion to the square root of their length, random starts,
    playback speeds, cameras, (``stride``) stride lengths and (``onset``) starts from a standstill."""
    weights = np.sqrt([t.seconds for t in pool])
    weights /= weights.sum()
    out = []
    for i in range(n):
        t = pool[int(rng.choice(len(pool), p=weights))]
        s = float(rng.uniform(*speed))
        span = segment * s / rate
        start = float(rng.uniform(0.0, max(t.seconds - span, 0.0)))
        scene = _window(t, start, segment, rate, s, rng)
        if stride is not None:
            scene = shorten_stride(scene, float(rng.uniform(*stride)))
        if onset is not None and rng.random() < onset[0]:
            scene = start_from_standstill(scene, round(float(rng.uniform(onset[1], onset[2])) * segment))
        rendered = render_segment(scene, rng, bands, noise)
        out.append(_rendered(rendered, label, f"train_{cls}_{i:05d}_{t.name}", root))
    return out


def _eval_segments(t: MocapTrial, label: int, per_trial: int, segment: int, rate: float, bands, noise: bool,
                   rng: np.random.Generator, views: int = 1, root: bool = False) -> list[SkeletonSequence]:
    """Up to ``per_trial`` segments spread evenly over the trial, each through ``views`` cameras of its own."""
    span = segment / rate
    free = max(t.seconds - span, 0.0)
    count = min(per_trial, 1 + int(free // (span * 0.75)))
    out = []
    for k in range(count):
        start = free * (k + 0.5) / count
        scene = _window(t, start, segment, rate, 1.0, None)
        for v in range(views):
            rendered = render_segment(scene, rng, bands, noise)
            out.append(_rendered(rendered, label, f"{t.group}/{t.name}/{k}/{v}", root))
    return out


def _synthetic_segments(synthetic: dict[str, list[str]], index: dict[str, int], split: str, opts: dict,
                        rate: float, segment: int, seed: int, root: bool = False) -> list[SkeletonSequence]:
    """Synthetic-generator clips for classes without real motion, resampled to the render rate."""
    from aclnet_core.data import synthetic as gen

    syn_split = {"train": "train", "val": "val"}.get(split, "test")
    n = int(_num(opts, "synthetic_per_class", 80 if split == "train" else 8, 1, 100_000))
    out = []
    for cls, actions in synthetic.items():
        if cls not in index or (cls == opts.get("other_class", "other") and split != "train"):
            continue  # "other" is evaluated on real out-of-set people only
        for a in actions:
            if a not in gen.ACTION_NAMES:
                raise UserError(f"unknown synthetic action {a!r} for class {cls!r}")
        per = max(1, n // len(actions))
        samples = _synthetic_samples(tuple(actions), per, syn_split, seed)
        for i, s in enumerate(samples):
            world, vis = _synthetic_world(s)
            if root:
                size = np.asarray(s.meta["camera"]["image_size"], dtype=np.float64)
                world = with_root(world, s.image[..., :2] * size, float(size[0]), s.detected)
            count = max(segment, round(s.num_frames / s.fps * rate))
            w = resample_time(world, s.fps, rate, 0.0, count)
            v = resample_time(vis[..., None], s.fps, rate, 0.0, count)[..., 0]
            out.append(_sequence(w.astype(np.float32), v.astype(np.float32), index[cls], f"synthetic_{split}_{cls}_{i:04d}"))
    return out


def _synthetic_samples(actions: tuple[str, ...], per: int, split: str, seed: int) -> list:
    from aclnet_core.data import synthetic as gen

    samples = _synthetic_split(per, split, seed)  # every action; keep the ones asked for
    wanted = {gen.ACTION_NAMES.index(a) for a in actions}
    return [s for s in samples if s.label in wanted]


@lru_cache(maxsize=4)
def _synthetic_split(per: int, split: str, seed: int) -> list:
    from aclnet_core.data import synthetic as gen

    return gen.make_action_split(per, split, seed)


def _synthetic_world(sample) -> tuple[np.ndarray, np.ndarray]:
    """World landmarks and visibility with lost frames interpolated (as rendered mocap and the app)."""
    from aclnet_core.data.mocap.render import _fill_lost

    world, vis = sample.world.astype(np.float64).copy(), sample.visibility.astype(np.float64).copy()
    _fill_lost(world, vis, sample.detected)
    return world, vis
