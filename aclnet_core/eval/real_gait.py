"""Gait identification on real people: motion-capture walkers seen through virtual cameras, scored as the app does.

The shared mocap set (``../shared/data/mocap``) holds real people walking, jogging, sneaking and running. Each
person (``source:subject``) becomes an identity. A person's trials are split into a gallery side and a probe side:
with two or more trials of a gait (walk, jog…) they alternate between the sides, so gallery and probe are different
walks; a gait with a single trial gives its first half to the gallery and its second half to the probe. Each side is
rendered (``aclnet_core.data.mocap.render``) through its own cameras: the gallery through the ``val`` azimuth bands,
the probe through the ``test`` bands, so a probe is an unseen walk through an unseen camera.

A rendered part is cut into the app's gait windows (T samples at the model's ``sample_fps``, stride 8, covering every
sample; a part shorter than a window is one window padded by holding its edges, as the app's window buffer does) and
their embeddings are averaged into one template, as ``gallery enroll`` / ``gallery identify`` do.

Scoring rules (``score_rule``):
- ``cosine``: cosine similarity, the best template per person (the app's rule up to v3);
- ``snorm``: symmetric score normalisation against a cohort of impostor templates (speaker verification's s-norm):
  0.5·((s − μ_p)/σ_p + (s − μ_t)/σ_t), where μ/σ are the mean and deviation of the probe's (p) and the template's (t)
  cosine to the cohort (the ``top_k`` most similar cohort templates when top_k > 0: adaptive s-norm).

CMU trials duplicated in ``cmu_expmap`` (the same motions, another skeleton) are read from ``cmu`` only, and
``cmu_expmap`` trials of unknown subjects are never identities. Usage::

    python -m aclnet_core.eval.real_gait assets/models/gait.pt --data ../shared/data/mocap [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aclnet_core.errors import UserError
from aclnet_core.eval.cohort import SNORM_THRESHOLD_KEY, cohort_from_meta, snorm_scores

__all__ = [
    "GAIT_LABELS",
    "NOT_IDENTITIES",
    "GaitPart",
    "GaitSet",
    "RealGaitReport",
    "build_gait_set",
    "embed_parts",
    "evaluate_rule",
    "gait_parts",
    "is_gait_trial",
    "main",
    "window_starts",
]

GAIT_LABELS = ("walk", "jog", "sneak", "run")
NOT_IDENTITIES = ("cmu_expmap",)  # repeats cmu trials on one skeleton (or has no subject): never an identity


def is_gait_trial(t) -> bool:
    """A walk, jog, sneak or run of a known person (not a cmu_expmap repeat of a cmu trial)."""
    return bool(t.subject) and t.source not in NOT_IDENTITIES and t.label in GAIT_LABELS


@dataclass(frozen=True)
class GaitPart:
    """A stretch of one trial on one side (gallery or probe)."""

    person: str  # source:subject
    trial: str
    label: str
    side: str  # 'gallery' | 'probe'
    start_s: float
    end_s: float


def gait_parts(trials, max_seconds: float = 8.0, max_trials: int = 4, min_seconds: float = 1.0,
               persons: list[str] | None = None) -> list[GaitPart]:
    """Gallery and probe parts of every walking person among ``trials`` (MocapTrial objects).

    Per person and gait label: trials sorted by name alternate gallery/probe (at most ``max_trials`` per side and
    label); a label with one trial is split in time. Parts are at most ``max_seconds`` long.
    """
    by_person: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for t in trials:
        if is_gait_trial(t):
            by_person[t.group][t.label].append(t)
    out: list[GaitPart] = []
    for person in sorted(by_person):
        if persons is not None and person not in persons:
            continue
        for label, pool in sorted(by_person[person].items()):
            pool = sorted(pool, key=lambda t: t.name)
            if len(pool) == 1:
                t = pool[0]
                half = t.seconds / 2
                if half < min_seconds:
                    continue
                out.append(GaitPart(person, t.name, label, "gallery", 0.0, min(half, max_seconds)))
                out.append(GaitPart(person, t.name, label, "probe", half, min(t.seconds, half + max_seconds)))
                continue
            for i, t in enumerate(pool[: 2 * max_trials]):
                if t.seconds < min_seconds:
                    continue
                side = "gallery" if i % 2 == 0 else "probe"
                out.append(GaitPart(person, t.name, label, side, 0.0, min(t.seconds, max_seconds)))
    # keep only persons with both sides
    sides = defaultdict(set)
    for p in out:
        sides[p.person].add(p.side)
    return [p for p in out if sides[p.person] == {"gallery", "probe"}]


def window_starts(n: int, length: int, stride: int) -> list[int]:
    """Starts of the windows that cover all ``n`` samples: every ``stride``, the last one ending at the end."""
    if n <= length:
        return [0]
    starts = list(range(0, n - length + 1, stride))
    if starts[-1] != n - length:
        starts.append(n - length)
    return starts


def pad_hold(x: np.ndarray, length: int) -> np.ndarray:
    """(T, ...) shorter than ``length`` -> centred in ``length`` samples, edges held (the app's buffer does this)."""
    if len(x) >= length:
        return x
    pad = length - len(x)
    before = pad // 2
    return np.concatenate([np.repeat(x[:1], before, 0), x, np.repeat(x[-1:], pad - before, 0)])


@dataclass
class GaitSet:
    """Templates of rendered parts: one row per (part, camera)."""

    embeddings: np.ndarray  # (N, D) unit templates
    persons: list[str]
    sides: list[str]
    labels: list[str]  # gait label of each row
    trials: list[str]
    seconds: list[float]  # rendered duration of each row

    def select(self, mask: np.ndarray) -> GaitSet:
        idx = np.flatnonzero(mask)
        pick = lambda xs: [xs[i] for i in idx]
        return GaitSet(self.embeddings[idx], pick(self.persons), pick(self.sides), pick(self.labels),
                       pick(self.trials), pick(self.seconds))


def _runtime(model: str | Path):
    from aclnet_core.runtime import load_runtime

    return load_runtime(model, "torch-cpu" if str(model).endswith(".pt") else "auto")


def embed_windows(runtime, clips: list[np.ndarray], batch: int = 64) -> np.ndarray:
    """(T, 33, 3) MediaPipe world windows -> (N, D) embeddings through the model's own preprocessing."""
    from aclnet_core.data.preprocess import prepare_clip

    cfg = runtime.meta.preprocess_config()
    if cfg.layout != "mediapipe33":
        raise UserError(f"the real-gait set is MediaPipe-33; the model wants {cfg.layout}")
    x = np.stack([prepare_clip(c[None], cfg) for c in clips]).astype(np.float32)
    out = []
    for i in range(0, len(x), batch):
        out.append(np.asarray(runtime.infer(x[i:i + batch])[1], dtype=np.float64))
    e = np.concatenate(out)
    return e / np.linalg.norm(e, axis=1, keepdims=True)


def mean_template(e: np.ndarray) -> np.ndarray:
    m = e.mean(0)
    return m / max(np.linalg.norm(m), 1e-12)


def embed_parts(runtime, trials_by_name: dict, parts: list[GaitPart], views: int = 2, seed: int = 0,
                stride: int = 8, max_probe_seconds: float | None = None) -> GaitSet:
    """Render each part through ``views`` cameras of its side's bands and embed it as one template."""
    from aclnet_core.data.mocap.render import azimuth_bands, render_segment, resample_time
    from aclnet_core.data.mocap.to_mediapipe import mediapipe33_scene

    meta = runtime.meta
    rate = float((meta.extra or {}).get("sample_fps") or 30.0)
    length = int(meta.preprocess_config().window)
    rows: list[np.ndarray] = []
    info: list[tuple] = []
    scenes: dict[str, np.ndarray] = {}
    rng = np.random.default_rng(np.random.SeedSequence([0x6A17, seed]))
    clips: list[np.ndarray] = []
    owners: list[int] = []
    for part in parts:
        trial = trials_by_name[part.trial]
        if part.trial not in scenes:
            scenes[part.trial] = mediapipe33_scene(trial.joints, trial.joint_names)
        end = part.end_s
        if part.side == "probe" and max_probe_seconds is not None:
            end = min(end, part.start_s + max_probe_seconds)
        count = max(2, int(np.floor((end - part.start_s) * rate)) + 1)
        scene = resample_time(scenes[part.trial], trial.fps, rate, part.start_s, count)
        bands = azimuth_bands("val" if part.side == "gallery" else "test")
        for v in range(views):
            rendered = render_segment(scene, rng, bands)
            world = rendered.world
            k = len(info)
            for s in window_starts(len(world), length, stride):
                clips.append(pad_hold(world[s:s + length], length))
                owners.append(k)
            info.append((part.person, part.side, part.label, part.trial, (count - 1) / rate))
    emb = embed_windows(runtime, clips)
    owners_arr = np.asarray(owners)
    for k in range(len(info)):
        rows.append(mean_template(emb[owners_arr == k]))
    persons, sides, labels, trial_names, secs = (list(x) for x in zip(*info))
    return GaitSet(np.stack(rows), persons, sides, labels, trial_names, secs)


def build_gait_set(model: str | Path, data: str | Path, views: int = 4, seed: int = 0, max_seconds: float = 8.0,
                   max_trials: int = 4, max_probe_seconds: float | None = None) -> GaitSet:
    from aclnet_core.data.mocap.dataset import load_trials

    trials = load_trials(str(data))
    parts = gait_parts(trials, max_seconds, max_trials)
    if not parts:
        raise UserError(f"{data}: no person with walking trials on both sides")
    by_name = {t.name: t for t in trials if is_gait_trial(t)}
    return embed_parts(_runtime(model), by_name, parts, views, seed, max_probe_seconds=max_probe_seconds)


# ------------------------------------------------------------------------------------------------ scoring
def scores_for(rule: str, probes: np.ndarray, templates: np.ndarray, cohort: np.ndarray | None,
               top_k: int = 0) -> np.ndarray:
    if rule == "cosine":
        return np.asarray(probes, np.float64) @ np.asarray(templates, np.float64).T
    if rule == "snorm":
        if cohort is None or len(cohort) < 2:
            raise UserError("s-norm needs a cohort of at least 2 impostor templates")
        return snorm_scores(probes, templates, cohort, top_k)
    raise UserError(f"unknown score rule {rule!r} (cosine or snorm)")


@dataclass
class RealGaitReport:
    rule: str
    rank1: float
    num_probes: int
    num_identities: int
    eer: float
    tar_at_far: float  # at `far` chosen on this very set (oracle threshold)
    far: float
    threshold_here: float
    # the threshold applied as shipped (calibrated elsewhere) and what it gives here
    threshold: float | None = None
    tar: float | None = None
    far_reached: float | None = None
    num_genuine: int = 0
    num_impostor: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        s = (f"{self.rule}: rank-1 {self.rank1:.1%} ({self.num_probes} probes, {self.num_identities} people), "
             f"EER {self.eer:.1%}, TAR {self.tar_at_far:.1%} at FAR {self.far:.0%} (threshold here "
             f"{self.threshold_here:.3f})")
        if self.threshold is not None:
            s += f"; at threshold {self.threshold:.3f}: TAR {self.tar:.1%}, FAR {self.far_reached:.2%}"
        return s + f" [{self.num_genuine} genuine / {self.num_impostor} impostor]"


def person_scores(scores: np.ndarray, gallery_persons: list[str]) -> tuple[np.ndarray, list[str]]:
    """(P, G) template scores -> (P, K) best template per person."""
    names = sorted(set(gallery_persons))
    owner = np.array([names.index(p) for p in gallery_persons])
    out = np.full((scores.shape[0], len(names)), -np.inf)
    for k in range(len(names)):
        out[:, k] = scores[:, owner == k].max(1)
    return out, names


def merge_templates(gallery: GaitSet) -> GaitSet:
    """One template per person (the mean of their gallery templates)."""
    names = sorted(set(gallery.persons))
    rows = [mean_template(gallery.embeddings[[p == n for p in gallery.persons]]) for n in names]
    return GaitSet(np.stack(rows), names, ["gallery"] * len(names), ["*"] * len(names), ["*"] * len(names),
                   [0.0] * len(names))


def evaluate_rule(gallery: GaitSet, probes: GaitSet, rule: str = "cosine", cohort: np.ndarray | None = None,
                  top_k: int = 0, far: float = 0.01, threshold: float | None = None) -> RealGaitReport:
    """Closed-set rank-1 and open-set verification (best template per person) of probes against a gallery."""
    from aclnet_core.eval.identification import roc_operating_point

    scores = scores_for(rule, probes.embeddings, gallery.embeddings, cohort, top_k)
    per, names = person_scores(scores, gallery.persons)
    truth = np.array([names.index(p) if p in names else -1 for p in probes.persons])
    keep = truth >= 0
    per, truth = per[keep], truth[keep]
    rank1 = float((per.argmax(1) == truth).mean())
    own = np.zeros_like(per, dtype=bool)
    own[np.arange(len(truth)), truth] = True
    genuine, impostor = per[own], per[~own]
    point = roc_operating_point(genuine, impostor, far)
    report = RealGaitReport(rule=rule, rank1=rank1, num_probes=int(keep.sum()), num_identities=len(names),
                            eer=point.eer, tar_at_far=point.tar, far=far, threshold_here=point.threshold,
                            num_genuine=int(genuine.size), num_impostor=int(impostor.size))
    if threshold is not None:
        report.threshold = float(threshold)
        report.tar = float((genuine >= threshold).mean())
        report.far_reached = float((impostor >= threshold).mean())
    return report


def split_persons(gs: GaitSet, persons: list[str]) -> tuple[GaitSet, GaitSet]:
    g = gs.select(np.array([s == "gallery" and p in persons for s, p in zip(gs.sides, gs.persons)]))
    p = gs.select(np.array([s == "probe" and p in persons for s, p in zip(gs.sides, gs.persons)]))
    return g, p


# ------------------------------------------------------------------------------------------------ CLI
DEFAULT_FOLDS = (  # real people: calibrate the threshold on one fold, test on the other
    ["cmu:105", "cmu:02", "cmu:10", "hdm05:bd", "hdm05:dg"],
    ["cmu:16", "cmu:09", "cmu:49", "hdm05:bk", "hdm05:mm", "hdm05:tr"],
)
TRAINED_PERSONS = ("cmu:105", "cmu:16", "hdm05:bk", "hdm05:tr")  # configs/mocap_gait_lite.yaml's train_persons
# The people configs/mocap_gait_lite.yaml never trains on.
HELDOUT_FOLDS = (
    ["cmu:02", "cmu:49", "hdm05:bd", "hdm05:dg"],
    ["cmu:09", "cmu:10", "hdm05:mm"],
)


def fold_people(gs: GaitSet, folds: tuple[list[str], ...]) -> list[str]:
    """Every person of ``folds`` that the gait set holds, sorted."""
    present = set(gs.persons)
    return sorted(p for fold in folds for p in fold if p in present)


def pair_scores(gs: GaitSet, persons: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor best-template cosines of the probes against the gallery (the matcher's rule)."""
    g, p = split_persons(gs, sorted(set(gs.persons)) if persons is None else persons)
    per, names = person_scores(p.embeddings @ g.embeddings.T, g.persons)
    truth = np.array([names.index(x) for x in p.persons])
    own = np.zeros_like(per, dtype=bool)
    own[np.arange(len(truth)), truth] = True
    return per[own], per[~own]


@dataclass
class RealCalibration:
    threshold: float  # the highest cosine threshold that accepts at least target_tar of the genuine probes
    target_tar: float
    tar: float
    far: float
    num_genuine: int
    num_impostor: int
    num_identities: int
    seeds: list[int]
    views: int

    def to_dict(self) -> dict:
        return asdict(self)


def calibrate_real(sets: list[GaitSet], target_tar: float, seeds: list[int], views: int,
                   persons: list[str] | None = None) -> RealCalibration:
    """Pool genuine/impostor scores over render seeds; the threshold keeping ``target_tar`` of genuine probes."""
    if not 0.0 < target_tar <= 1.0:
        raise UserError(f"the target TAR must be in (0, 1], not {target_tar}")
    if persons is not None:
        sets = [gs.select(np.array([p in persons for p in gs.persons])) for gs in sets]
    pairs = [pair_scores(gs) for gs in sets]
    genuine = np.concatenate([g for g, _ in pairs])
    impostor = np.concatenate([i for _, i in pairs])
    threshold = float(np.sort(genuine)[int(np.floor((1.0 - target_tar) * len(genuine)))])
    return RealCalibration(threshold=threshold, target_tar=target_tar, tar=float((genuine >= threshold).mean()),
                           far=float((impostor >= threshold).mean()), num_genuine=int(genuine.size),
                           num_impostor=int(impostor.size), num_identities=len(set(sets[0].persons)),
                           seeds=list(seeds), views=views)


def write_real_threshold(ckpt: str | Path, cal: RealCalibration) -> None:
    """Store the real-calibrated threshold in a gait checkpoint (the weights and model_id do not change); the
    previous calibration is kept under ``identity_calibration_previous``."""
    from aclnet_core.eval.identification import THRESHOLD_META_KEY
    from aclnet_core.model.checkpoint import load_checkpoint, save_checkpoint

    payload = load_checkpoint(ckpt, full=True)
    meta = payload["meta"]
    if meta.task != "gait":
        raise UserError(f"{ckpt} is a {meta.task} model; only gait models carry an identity threshold")
    previous = {THRESHOLD_META_KEY: meta.extra.get(THRESHOLD_META_KEY), **(meta.extra.get("identity_calibration") or {})}
    if "identity_calibration_previous" not in meta.extra:
        meta.extra["identity_calibration_previous"] = previous
    meta.extra[THRESHOLD_META_KEY] = cal.threshold
    meta.extra["identity_calibration"] = {"data": "real mocap walkers (python -m aclnet_core.eval.real_gait)",
                                          "rule": f"highest threshold with TAR >= {cal.target_tar:.0%}",
                                          **cal.to_dict()}
    payload["meta"] = meta.to_dict()
    save_checkpoint(ckpt, payload)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aclnet_core.eval.real_gait",
                                     description="Gait identification of real mocap walkers through unseen cameras: "
                                     "rank-1, EER, TAR@FAR; thresholds calibrated on one fold of people, applied to "
                                     "the other.")
    parser.add_argument("model", type=Path)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mocap"))
    parser.add_argument("--views", type=int, default=4, help="cameras per gallery or probe part (default 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--far", type=float, default=0.01)
    parser.add_argument("--rule", choices=("cosine", "snorm", "both"), default="both")
    parser.add_argument("--top-k", type=int, default=None, help="adaptive s-norm: cohort scores kept (default: "
                        "the model's)")
    parser.add_argument("--threshold", type=float, help="apply this threshold (default: the model's for its rule)")
    parser.add_argument("--max-probe-seconds", type=float, help="cut each probe to this many seconds")
    parser.add_argument("--cohort", choices=("model", "synthetic", "other-fold", "trained"), default="model",
                        help="s-norm cohort: the model's shipped one, templates of its synthetic training identities "
                        "(0-191), the real people of the other fold (folds only), or the real people "
                        "configs/mocap_gait_lite.yaml trains on (with --people heldout)")
    parser.add_argument("--one-template", action="store_true",
                        help="one template per person (the mean of their gallery templates) instead of several")
    parser.add_argument("--people", choices=("all", "heldout"), default="all",
                        help="all 11 mocap walkers (folds DEFAULT_FOLDS), or the 7 that configs/mocap_gait_lite.yaml "
                        "never trains on (folds HELDOUT_FOLDS)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--calibrate-tar", type=float, metavar="TAR",
                        help="instead: the highest cosine threshold accepting this fraction of genuine probes of all "
                        "people, pooled over --seeds, with its FAR")
    parser.add_argument("--seeds", default="0,1", help="render seeds pooled by --calibrate-tar (default 0,1)")
    parser.add_argument("--write-threshold", action="store_true",
                        help="with --calibrate-tar: store the threshold in the checkpoint (export ONNX afterwards)")
    args = parser.parse_args(argv)
    if args.calibrate_tar is not None:
        return _calibrate_main(args)
    try:
        gs = build_gait_set(args.model, args.data, args.views, args.seed,
                            max_probe_seconds=args.max_probe_seconds)
        runtime = _runtime(args.model)
        cohort, top_k = cohort_from_meta(runtime.meta)
        if args.cohort == "synthetic":
            cohort = synthetic_cohort(runtime)
        elif args.cohort == "other-fold":
            cohort = None
        elif args.cohort == "trained":
            cohort = gs.embeddings[[p in TRAINED_PERSONS for p in gs.persons]]
        top_k = top_k if args.top_k is None else args.top_k
        gallery_of = merge_templates if args.one_template else (lambda g: g)
        extra = runtime.meta.extra or {}
        results = []
        rules = ("cosine", "snorm") if args.rule == "both" else (args.rule,)
        folds = HELDOUT_FOLDS if args.people == "heldout" else DEFAULT_FOLDS
        everyone = fold_people(gs, folds)
        for rule in rules:
            if rule == "snorm" and cohort is None and args.cohort != "other-fold":
                print("note: the model ships no cohort; s-norm skipped (try --cohort synthetic)", file=sys.stderr)
                continue
            shipped = args.threshold
            if shipped is None:
                shipped = extra.get(SNORM_THRESHOLD_KEY if rule == "snorm" else "identity_threshold")
            if rule == "cosine" or args.cohort != "other-fold":
                g, p = split_persons(gs, everyone)
                results.append({"people": "all", **evaluate_rule(gallery_of(g), p, rule, cohort, top_k, args.far,
                                                                 shipped).to_dict()})
            for k, fold in enumerate(folds):
                other = folds[1 - k]
                fold_cohort = cohort
                if args.cohort == "other-fold":  # cohort and calibration people are the other fold's
                    fold_cohort = gs.embeddings[[p in other for p in gs.persons]]
                cg, cp = split_persons(gs, other)
                calib = evaluate_rule(gallery_of(cg), cp, rule, fold_cohort, top_k, args.far)
                tg, tp = split_persons(gs, fold)
                test = evaluate_rule(gallery_of(tg), tp, rule, fold_cohort, top_k, args.far, calib.threshold_here)
                results.append({"people": f"fold {k} (threshold from fold {1 - k})", **test.to_dict()})
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            rep = RealGaitReport(**{k: v for k, v in r.items() if k != "people"})
            print(f"[{r['people']}] {rep.summary()}")
    return 0



def embed_world(runtime, world: np.ndarray, fps: float, stride: int = 8) -> np.ndarray:
    """One unit template of a (T, 33, 3) world-landmark walk at ``fps``, windowed as the app does."""
    from aclnet_core.data.mocap.render import resample_time

    meta = runtime.meta
    rate = float((meta.extra or {}).get("sample_fps") or 30.0)
    length = int(meta.preprocess_config().window)
    count = max(2, int(np.floor((len(world) - 1) / fps * rate)) + 1)
    x = resample_time(np.asarray(world, np.float64), fps, rate, 0.0, count)
    clips = [pad_hold(x[s:s + length], length) for s in window_starts(len(x), length, stride)]
    return mean_template(embed_windows(runtime, clips))


def synthetic_cohort(runtime, identities: range = range(192), per_id: int = 2, seed: int = 0) -> np.ndarray:
    """One template per synthetic identity (the mean of ``per_id`` walks), from the model's training identities."""
    from aclnet_core.data import synthetic

    samples = synthetic.make_gait_split(identities, per_id, "train", seed)
    by_id: dict[int, list[np.ndarray]] = defaultdict(list)
    for s in samples:
        by_id[int(s.identity)].append(embed_world(runtime, s.world, float(s.fps)))
    return np.stack([mean_template(np.stack(v)) for _, v in sorted(by_id.items())])


def _calibrate_main(args: argparse.Namespace) -> int:
    try:
        try:
            seeds = [int(x) for x in str(args.seeds).split(",") if x.strip()]
        except ValueError:
            raise UserError(f"--seeds must be comma-separated integers, not {args.seeds!r}") from None
        if not seeds:
            raise UserError("--seeds needs at least one seed")
        sets = [build_gait_set(args.model, args.data, args.views, seed) for seed in seeds]
        persons = [p for fold in HELDOUT_FOLDS for p in fold] if args.people == "heldout" else None
        cal = calibrate_real(sets, args.calibrate_tar, seeds, args.views, persons)
        if args.write_threshold:
            if Path(args.model).suffix != ".pt":
                raise UserError("--write-threshold needs the .pt checkpoint (then export the ONNX model from it)")
            write_real_threshold(args.model, cal)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(cal.to_dict(), indent=2))
    else:
        print(f"threshold {cal.threshold:.4f}: TAR {cal.tar:.1%} (target {cal.target_tar:.0%}), FAR {cal.far:.1%}; "
              f"{cal.num_genuine} genuine / {cal.num_impostor} impostor pairs of {cal.num_identities} real people, "
              f"seeds {seeds}, {cal.views} views")
        if args.write_threshold:
            print(f"wrote identity_threshold = {cal.threshold:.4f} into {args.model}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
