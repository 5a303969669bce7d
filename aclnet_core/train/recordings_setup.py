"""Defaults for training on a folder of the app's recordings (`record` output), where data is small.

- the model is fine-tuned from the shipped action encoder (same layout and preset) unless `--init none`;
- recordings are resampled to that encoder's window rate (`sample_fps`) and the model sees `window`
  consecutive samples: exactly the windows the live app cuts (`app.windows`), so a trained model is windowed in
  annotate and the GUI as in training;
- the batch fits the data, and below MIN_PER_CLASS_FOR_ACL training clips per action the ACL losses (which
  need many samples of every class in a batch and in memory) are off: cross-entropy only;
- one action alone is refused with a pointer to `actions add`, which learns one action from a few examples.

Only settings the user did not give are changed; `notes` says what was chosen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aclnet_core.errors import UserError

__all__ = ["MIN_PER_CLASS_FOR_ACL", "RecordingsPlan", "plan_recordings_training"]

MIN_PER_CLASS_FOR_ACL = 10
MAX_BATCH = 16
DEFAULT_FPS = 15.0
DEFAULT_WINDOW = 32


@dataclass
class RecordingsPlan:
    overrides: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def plan_recordings_training(path: str | Path, explicit: set[str], init: str | Path | None,
                             layout: str | None = "mediapipe33") -> RecordingsPlan:
    """Overrides for a recordings folder; `explicit` holds the config keys the user set (they are kept)."""
    from aclnet_core.data.loaders import DatasetSpec, load_dataset

    plan = RecordingsPlan()
    path = Path(path)
    sequences, names = load_dataset(DatasetSpec("recordings", str(path), "all", layout))
    counts = Counter(names[s.label] for s in sequences)
    if len(counts) < 2:
        only = next(iter(counts), "?")
        raise UserError(f"{path} holds recordings of one action only ({only!r}); a classifier needs at least 2. "
                        f"To teach the app one action from a few examples, use: python main.py actions add {only} "
                        "CLIP…")

    def put(key: str, value, note: str | None = None) -> None:
        if key not in explicit:
            plan.overrides.append(f"{key}={value}")
            if note:
                plan.notes.append(note)

    window, fps, preset = DEFAULT_WINDOW, DEFAULT_FPS, None
    if init:
        from aclnet_core.model.checkpoint import load_checkpoint

        meta = load_checkpoint(init)["meta"]
        window, fps, preset = int(meta.preprocess["window"]), float(meta.extra.get("sample_fps", DEFAULT_FPS)), meta.preset
        put("init_from", str(init), f"fine-tuning from {Path(init).name} (--init none: from scratch)")
        put("preset", preset)
        put("optim.lr", 0.01)
    put("data.options.fps", round(fps, 3))
    put("data.fps", round(fps, 3), f"recordings resampled to {fps:.2f} samples/s, windows of {window} samples "
        "(as the live app windows them)")
    put("preprocess.window", window)
    put("preprocess.sampling", "consecutive")
    put("preprocess.align", "false")
    train_size = len(sequences)
    put("optim.batch_size", max(2, min(MAX_BATCH, train_size // 2)))
    put("optim.epochs", 30)
    put("optim.warmup_epochs", 0)
    put("val_clips", 3)
    put("augment.flip_p", 0.0)  # a mirror would swap left- and right-handed actions
    put("augment.rotate", 0.2)
    fewest = min(counts.values())
    if fewest < MIN_PER_CLASS_FOR_ACL:
        put("acl.enabled", "false", f"cross-entropy only: {fewest} recording(s) of the rarest action, the ACL losses "
            f"need about {MIN_PER_CLASS_FOR_ACL} per action")
    put("name", _run_name(path))
    if not any((path / s).is_dir() for s in ("train", "val", "test")):
        from aclnet_core.data.recording import recording_files
        from aclnet_core.data.recording_split import split_by_source

        split = split_by_source(recording_files(path), [names[s.label] for s in sequences])
        plan.notes.append(f"split by source video: {len(split.train)} recording(s) for training, "
                          + (f"{len(split.val)} held out for validation" if split.held_out else
                             "none held out (every action comes from one video): validation uses the training "
                             "recordings, so its accuracy says little; record each action in 3+ videos"))
    return plan


def _run_name(path: Path) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", path.resolve().name).strip("._") or "recordings"
