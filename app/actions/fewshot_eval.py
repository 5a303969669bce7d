"""The few-shot protocol: teach K actions from N examples each (some subjects), test on other subjects.

    python -m app.actions.fewshot_eval --loader synthetic                  # the synthetic generator (actor = subject)
    python -m app.actions.fewshot_eval --loader recordings --data DIR      # DIR/<action>/<subject>-….npz
    python -m app.actions.fewshot_eval --loader mocap --actions squat,kick,reach_high,elbow_to_knee,arm_circles \
        --enrol-subjects hdm05:bd,hdm05:bk,hdm05:dg                          # tested on every other person
    python -m app.actions.fewshot_eval --loader some.module:function       # any loader (e.g. real mocap)

A loader yields `Clip(world (T, 33, 3) MediaPipe world landmarks, fps, action, subject)`. Clips are windowed
exactly as the live app windows them (`app.actions.examples.windows_from_sequence`: the model's window and
sample_fps) and embedded by the action encoder. With a fixed seed: K actions are chosen as the library (--actions
or the K most frequent); their examples are N clips of the enrolment subjects; the threshold is the library's
leave-one-example-out calibration. Reported: top-1 of the test subjects' windows of library actions among the
library actions, how many of them pass the threshold, the rejection rate of the test subjects' windows of
actions not in the library, and the seconds from the last example to a ready matcher (embed + calibrate).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["Clip", "FewShotResult", "run_fewshot"]


@dataclass
class Clip:
    world: np.ndarray  # (T, 33, 3) metres, MediaPipe axes
    fps: float
    action: str
    subject: str


@dataclass
class FewShotResult:
    actions: list[str]
    shots: int
    enrol_subjects: list[str]
    test_subjects: list[str]
    top1: float  # test windows of library actions: the best-scoring action is the right one
    accepted_correct: float  # … and it passes the threshold
    unknown_rejected: float | None  # test windows of other actions below the threshold
    threshold: float
    loo_accuracy: float | None
    known_windows: int
    unknown_windows: int
    seconds_last_example: float  # embed the last example + rebuild the matcher
    per_action_top1: dict[str, float]


def _embed_clip(runtime, clip: Clip, options) -> np.ndarray:
    from app.actions.examples import embed_windows, windows_from_sequence

    return embed_windows(runtime, windows_from_sequence(clip.world, clip.fps, options))


def run_fewshot(clips: list[Clip], runtime, actions: list[str] | None = None, num_actions: int = 5, shots: int = 5,
                enrol_fraction: float = 0.5, seed: int = 0, enrol_subjects: list[str] | None = None) -> FewShotResult:
    """enrol_subjects: the subjects who give the examples (default: a seeded `enrol_fraction` of them); every
    other subject is tested."""
    from app.actions.examples import example_window_options
    from app.actions.matcher import ActionMatcher
    from app.windows import WindowOptions

    if not clips:
        raise UserError("the loader gave no clips")
    rng = np.random.default_rng(seed)
    subjects = sorted({c.subject for c in clips})
    if len(subjects) < 2:
        raise UserError("the protocol needs clips of at least 2 subjects")
    if enrol_subjects:
        unknown = sorted(set(enrol_subjects) - set(subjects))
        if unknown:
            raise UserError(f"no clips of subject(s) {', '.join(unknown)}")
        enrol = sorted(enrol_subjects)
        test = [s for s in subjects if s not in enrol]
    else:
        order = list(rng.permutation(subjects))
        n_enrol = min(len(order) - 1, max(1, round(len(order) * enrol_fraction)))
        enrol, test = sorted(order[:n_enrol]), sorted(order[n_enrol:])
    if actions is None:
        counts = Counter(c.action for c in clips if c.subject in enrol)
        actions = sorted(a for a, _ in counts.most_common(num_actions))
    example_opts = example_window_options(runtime.meta)
    live_opts = WindowOptions(length=example_opts.length, sample_fps=example_opts.sample_fps, stride=8)
    vectors, names, groups, last_seconds = [], [], [], 0.0
    for action in actions:
        pool = [c for c in clips if c.action == action and c.subject in enrol]
        if len(pool) < shots:
            raise UserError(f"only {len(pool)} clips of {action!r} from the enrolment subjects; {shots} needed")
        for k in rng.choice(len(pool), size=shots, replace=False):
            started = time.perf_counter()
            emb = _embed_clip(runtime, pool[int(k)], example_opts)
            vectors.extend(emb)
            names.extend([action] * len(emb))
            groups.extend([f"{action} {k}"] * len(emb))
            last_seconds = time.perf_counter() - started
    started = time.perf_counter()
    matcher = ActionMatcher(np.stack(vectors), names, groups=groups)
    last_seconds += time.perf_counter() - started
    known_hits, known_accept, unknown_reject, per = [], [], [], {}
    for clip in clips:
        if clip.subject not in test:
            continue
        emb = _embed_clip(runtime, clip, live_opts)
        if not len(emb):
            continue
        for m in matcher.match_many(emb):
            if clip.action in actions:
                known_hits.append(m.candidate == clip.action)
                known_accept.append(m.name == clip.action)
                per.setdefault(clip.action, []).append(m.candidate == clip.action)
            else:
                unknown_reject.append(m.name is None)
    if not known_hits:
        raise UserError("no test windows of the library's actions")
    cal = matcher.calibration
    return FewShotResult(
        actions=list(actions), shots=shots, enrol_subjects=enrol, test_subjects=test,
        top1=float(np.mean(known_hits)), accepted_correct=float(np.mean(known_accept)),
        unknown_rejected=float(np.mean(unknown_reject)) if unknown_reject else None,
        threshold=matcher.threshold, loo_accuracy=None if cal is None else cal.accuracy,
        known_windows=len(known_hits), unknown_windows=len(unknown_reject), seconds_last_example=last_seconds,
        per_action_top1={a: float(np.mean(v)) for a, v in sorted(per.items())})


# ------------------------------------------------------------------------------------------------ loaders
def synthetic_clips(subjects: int = 8, per_subject: int = 3, seed: int = 0) -> list[Clip]:
    """The synthetic generator's actions; an actor seed is a subject (body, style), views vary per clip."""
    from aclnet_core.data.synthetic import MotionGenerator
    from aclnet_core.data.synthetic.actions import ACTION_NAMES

    gen = MotionGenerator(seed)
    clips = []
    for s in range(subjects):
        for action in ACTION_NAMES:
            if action == "no_action":
                continue
            for _ in range(per_subject):
                sample = gen.action(action, actor_seed=1000 + s)
                clips.append(Clip(sample.world, sample.fps, action, f"actor{s}"))
    return clips


def recording_clips(folder: str | Path) -> list[Clip]:
    """DIR/<action>/<subject>-….npz recordings (the subject is the file name up to the first '-')."""
    from aclnet_core.data.recording import load_recording, recording_files

    clips = []
    for path in recording_files(folder):
        rec = load_recording(path)
        if rec.sequence.layout != "mediapipe33":
            raise UserError(f"{path}: the few-shot protocol needs mediapipe33 recordings")
        clips.append(Clip(rec.sequence.keypoint[0, ..., :3], rec.fps, rec.label_name, path.stem.split("-")[0]))
    return clips


def mocap_clips(root: str | Path = "../shared/data/mocap", segment_s: float = 3.5, per_trial: int = 3,
                rate: float = 30.0, seed: int = 0) -> list[Clip]:
    """Real motion capture (aclnet_core.data.mocap): each trial mapped to MediaPipe-33, cut into up to `per_trial`
    segments of `segment_s` seconds and rendered through a random virtual camera as MediaPipe would report it
    (world landmarks with its noise and lost frames). The subject is the trial's person (`source:subject`)."""
    try:
        from aclnet_core.data.mocap.dataset import load_trials
        from aclnet_core.data.mocap.render import render_segment, resample_time
        from aclnet_core.data.mocap.to_mediapipe import mediapipe33_scene
    except ImportError:
        raise UserError("the mocap loader needs aclnet_core.data.mocap (merge it from main)") from None
    if not Path(root).is_dir():
        raise UserError(f"no mocap folder at {root}")
    rng = np.random.default_rng(seed)
    clips = []
    for trial in load_trials(str(root)):
        if not trial.label:
            continue
        scene = mediapipe33_scene(trial.joints, trial.joint_names)
        count = max(2, min(int(segment_s * rate), int(trial.seconds * rate)))
        room = max(0.0, trial.seconds - count / rate)
        starts = np.linspace(0.0, room, num=min(per_trial, 1 + int(room // (segment_s / 2))))
        for start in starts:
            segment = resample_time(scene, trial.fps, rate, float(start), count)
            rendered = render_segment(segment, rng)
            clips.append(Clip(rendered.world, rate, trial.label, trial.group))
    return clips


def _load(spec: str, data: str | None) -> list[Clip]:
    if spec == "synthetic":
        return synthetic_clips()
    if spec == "mocap":
        return mocap_clips(data or "../shared/data/mocap")
    if spec == "recordings":
        if not data:
            raise UserError("--loader recordings needs --data DIR")
        return recording_clips(data)
    if ":" not in spec:
        raise UserError(f"--loader must be synthetic, recordings or module:function, not {spec!r}")
    module, func = spec.split(":", 1)
    try:
        loader: Callable[..., Iterable] = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        raise UserError(f"cannot load {spec}: {exc}") from None
    items = loader(data) if data else loader()
    return [item if isinstance(item, Clip) else Clip(np.asarray(item.world, np.float32), float(item.fps),
                                                     str(item.action), str(item.subject)) for item in items]


def main(argv: list[str] | None = None) -> int:
    from aclnet_core.cli_types import OneLineArgumentParser, finite_float, int_range

    p = OneLineArgumentParser(prog="python -m app.actions.fewshot_eval", description=__doc__.split("\n\n")[0])
    p.add_argument("--loader", default="synthetic", help="synthetic | mocap | recordings | module:function")
    p.add_argument("--data", help="the loader's data (a folder for recordings)")
    p.add_argument("--actions", help="comma-separated library actions (default: the most frequent --num-actions)")
    p.add_argument("--num-actions", type=int_range(1, 1000), default=5)
    p.add_argument("--shots", type=int_range(1, 1000), default=5)
    p.add_argument("--enrol-fraction", type=finite_float(0.0, 1.0, lo_open=True, hi_open=True), default=0.5,
                   help="share of subjects that give the examples")
    p.add_argument("--enrol-subjects", help="comma-separated subjects that give the examples (the rest are tested)")
    p.add_argument("--seed", type=int_range(0, 2**32 - 1), default=0)
    p.add_argument("--model", help="action encoder (default: the shipped one)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    try:
        from app.actions.examples import open_action_runtime

        runtime = open_action_runtime(args.model)
        actions = [a.strip() for a in args.actions.split(",")] if args.actions else None
        enrol = [x.strip() for x in args.enrol_subjects.split(",")] if args.enrol_subjects else None
        result = run_fewshot(_load(args.loader, args.data), runtime, actions, args.num_actions, args.shots,
                             args.enrol_fraction, args.seed, enrol)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(asdict(result), indent=2))
        return 0
    unknown = "n/a" if result.unknown_rejected is None else f"{result.unknown_rejected:.1%}"
    print(f"{len(result.actions)} actions x {result.shots} examples from {len(result.enrol_subjects)} subject(s), "
          f"tested on {len(result.test_subjects)}: top-1 {result.top1:.1%} of {result.known_windows} windows "
          f"({result.accepted_correct:.1%} right and above the threshold {result.threshold:.3f}); "
          f"unknown actions rejected {unknown} of {result.unknown_windows} windows; "
          f"last example -> ready {result.seconds_last_example:.2f} s")
    for action, acc in result.per_action_top1.items():
        print(f"  {action}: {acc:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
