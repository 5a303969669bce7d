"""Gait identities from motion capture: real walkers (``source:subject``) as classes, optionally with synthetic ones.

``data.kind: mocap`` with ``data.options.task: gait``. Options:

- ``train_persons`` (required): the real people trained on, e.g. ``[cmu:105, cmu:16, hdm05:bk, hdm05:tr]``; every
  other person stays unseen for calibration and testing (``aclnet_core.eval.real_gait``).
- ``segments_per_person`` (default 150): training segments per real person (random gait trial, start, playback
  speed and ``train``-band camera; a short trial is padded by holding its edges, as the app does); ``segment_s``
  (default 3.2 s, rendered at ``data.fps``: with uniform sampling and ``crop_min`` 0.6 the model sees 2.56 s per
  window on average, the synthetic walks' time scale), ``speed`` ([0.9, 1.1]),
  ``seed``, ``noise`` (default true).
- ``any_motion_persons`` (default none): further real people trained on from every trial they have, whatever the
  motion (idle standing, dancing, stretching): more identities teach the embedding body proportions and movement
  style; they must not include an evaluation person (``aclnet_core.eval.real_gait``'s held-out walkers).
- ``synthetic_identities`` ([lo, hi), default [0, 192]) and ``synthetic_per_id`` (default 6): synthetic walkers of the
  generator mixed in as further classes (an empty range: none).

Split ``val`` holds segments of the same people through the ``val`` cameras (closed-set monitoring). Gait trials
are ``walk``, ``jog``, ``sneak`` and ``run`` of known subjects (``cmu_expmap`` repeats cmu trials: never used).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from aclnet_core.data.sequence import SkeletonSequence
from aclnet_core.errors import UserError

__all__ = ["GAIT_OPTION_KEYS", "load_mocap_gait_split"]

GAIT_OPTION_KEYS = {"task", "train_persons", "any_motion_persons", "segments_per_person", "segment_s", "speed",
                    "seed", "noise", "synthetic_identities", "synthetic_per_id"}


def load_mocap_gait_split(data: Any, split: str) -> tuple[list[SkeletonSequence], list[str]]:
    from aclnet_core.data.mocap.dataset import _scene_of, load_trials
    from aclnet_core.data.mocap.render import azimuth_bands, render_segment, resample_time
    from aclnet_core.eval.real_gait import is_gait_trial, pad_hold

    opts = dict(data.options or {})
    unknown = set(opts) - GAIT_OPTION_KEYS
    if unknown:
        raise UserError(f"unknown mocap gait option(s): {', '.join(sorted(unknown))}; known: "
                        f"{', '.join(sorted(GAIT_OPTION_KEYS))}")
    if split not in ("train", "val"):
        raise UserError(f"mocap gait data has splits train and val, not {split!r} (evaluate unseen people with "
                        "python -m aclnet_core.eval.real_gait)")
    persons = [str(p) for p in opts.get("train_persons") or []]
    if not persons:
        raise UserError("mocap gait data needs data.options.train_persons (source:subject groups)")
    every = [str(p) for p in opts.get("any_motion_persons") or []]
    both = sorted(set(persons) & set(every))
    if both:
        raise UserError(f"{', '.join(both)} listed in both train_persons and any_motion_persons")
    all_trials = [t for t in load_trials(str(Path(data.path))) if t.subject and t.source != "cmu_expmap"]
    trials = [t for t in all_trials if is_gait_trial(t)]
    pools = {p: [t for t in trials if t.group == p] for p in persons}
    missing = [p for p, pool in pools.items() if not pool]
    if missing:
        raise UserError(f"no walking, jogging, sneaking or running trials for {', '.join(missing)}")
    pools |= {p: [t for t in all_trials if t.group == p] for p in every}
    missing = [p for p in every if not pools[p]]
    if missing:
        raise UserError(f"no trials for {', '.join(missing)} (any_motion_persons)")
    persons = persons + every
    rate = float(data.fps)
    seed = int(opts.get("seed", 0))
    segment = max(2, round(float(opts.get("segment_s", 3.2)) * rate))
    noise = bool(opts.get("noise", True))
    lo, hi = (float(v) for v in opts.get("speed", [0.9, 1.1]))
    rng = np.random.default_rng(np.random.SeedSequence([0x6A17, seed, 0 if split == "train" else 1]))
    bands = azimuth_bands(split)
    n = int(opts.get("segments_per_person", 150)) if split == "train" else 24
    seqs: list[SkeletonSequence] = []
    for label, person in enumerate(persons):
        pool = pools[person]
        weights = np.sqrt([t.seconds for t in pool])
        weights /= weights.sum()
        for i in range(n):
            t = pool[int(rng.choice(len(pool), p=weights))]
            speed = float(rng.uniform(lo, hi)) if split == "train" else 1.0
            span = segment * speed / rate
            start = float(rng.uniform(0.0, max(t.seconds - span, 0.0)))
            count = max(2, min(segment, int(np.floor((t.seconds - start) * rate / speed)) + 1))
            scene = pad_hold(resample_time(_scene_of(t), t.fps, rate, start, count, speed), segment)
            r = render_segment(scene, rng, bands, noise)
            seqs.append(SkeletonSequence(keypoint=r.world[None], label=label, layout="mediapipe33",
                                         name=f"{split}_{person}_{i:04d}_{t.name}", score=r.visibility[None]))
    names = list(persons)
    syn_lo, syn_hi = (int(v) for v in opts.get("synthetic_identities", [0, 192]))
    if syn_hi > syn_lo:
        from aclnet_core.data.synthetic_dataset import load_synthetic_split

        syn_opts = {"task": "gait", "train_identities": [syn_lo, syn_hi], "seed": seed,
                    "sequences_per_id": int(opts.get("synthetic_per_id", 6)), "eval_sequences_per_id": 1}
        syn_data = copy.copy(data)
        syn_data.kind, syn_data.options, syn_data.fps = "synthetic", syn_opts, 30.0
        syn, syn_names = load_synthetic_split(syn_data, split)
        offset = len(names)
        for s in syn:
            s.label += offset
        seqs += syn
        names += [f"synthetic_{n}" for n in syn_names]
    return seqs, names
