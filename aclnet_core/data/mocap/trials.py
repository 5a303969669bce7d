"""Motion-capture trials: 3D joint positions of real people, read from the mocap ``.npz`` format or BVH files.

The ``.npz`` format (``../shared/data/mocap/README.md``): ``joints`` (T, J, 3) float32 metres, y up; ``joint_names``;
``fps``; ``subject``; ``label``; ``label_raw``; ``source``. Files are opened with ``allow_pickle=False``. A folder may
hold a ``manifest.csv`` (one row per file), otherwise every ``*.npz`` and ``*.bvh`` under it is a trial and a BVH
trial's label and subject come from its folder names (``<label>/<subject>_*.bvh`` or ``<label>/*.bvh``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["MocapTrial", "find_trials", "load_bvh", "load_npz_trial", "load_trial"]

MAX_FRAMES = 500_000  # 4.6 h at 30 fps: anything longer is not a trial


@dataclass
class MocapTrial:
    """One capture: world joint positions in metres with y up, at ``fps`` frames per second."""

    joints: np.ndarray  # (T, J, 3) float32
    joint_names: tuple[str, ...]
    fps: float
    subject: str
    label: str
    label_raw: str
    source: str
    name: str  # file stem, unique within a dataset

    @property
    def seconds(self) -> float:
        return self.joints.shape[0] / self.fps

    @property
    def group(self) -> str:
        """The person: source and subject ('' subjects stay apart per trial, so they never join a split by accident)."""
        return f"{self.source}:{self.subject}" if self.subject else f"{self.source}:?{self.name}"


def _scalar(data, key: str, default: str = "") -> str:
    if key not in data.files:
        return default
    value = data[key]
    return str(value.item() if value.ndim == 0 else value)


def load_npz_trial(path: Path) -> MocapTrial:
    """A trial from the mocap ``.npz`` format (never unpickles)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if "joints" not in data.files or "joint_names" not in data.files:
                raise UserError(f"{path}: not a mocap trial (needs 'joints' and 'joint_names')")
            joints = np.asarray(data["joints"], dtype=np.float32)
            names = tuple(str(n) for n in data["joint_names"])
            fps = float(data["fps"]) if "fps" in data.files else 30.0
            meta = {k: _scalar(data, k) for k in ("subject", "label", "label_raw", "source")}
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"{path}: cannot read mocap trial ({exc})") from None
    return _checked(joints, names, fps, meta, path)


def _checked(joints: np.ndarray, names: tuple[str, ...], fps: float, meta: dict[str, str], path: Path) -> MocapTrial:
    if joints.ndim != 3 or joints.shape[2] != 3 or joints.shape[1] != len(names):
        raise UserError(f"{path}: joints must be (T, {len(names)}, 3), got {joints.shape}")
    if not 2 <= joints.shape[0] <= MAX_FRAMES:
        raise UserError(f"{path}: {joints.shape[0]} frames (need 2 to {MAX_FRAMES})")
    if not np.isfinite(fps) or not 1.0 <= fps <= 1000.0:
        raise UserError(f"{path}: fps must be in [1, 1000], got {fps}")
    if not np.isfinite(joints).all():
        raise UserError(f"{path}: joint positions contain NaN or Inf")
    return MocapTrial(joints, names, fps, meta.get("subject", ""), meta.get("label", ""),
                      meta.get("label_raw", "") or meta.get("label", ""), meta.get("source", "") or "user", path.stem)


def load_bvh(path: Path, label: str = "", subject: str = "", unit: float | None = None) -> MocapTrial:
    """A trial from a BVH file (parsed with ``bvhio``): every joint's world position per frame.

    ``unit`` is metres per BVH unit; by default it is guessed from the standing height (cm, inches or metres).
    BVH is y-up by convention, which the product assumes.
    """
    try:
        import bvhio
    except ImportError:  # pragma: no cover - bvhio is a dependency
        raise UserError("reading BVH files needs the 'bvhio' package (pip install bvhio)") from None
    frame_time = _check_bvh(path)
    try:
        root = bvhio.readAsHierarchy(str(path))
        joints = root.layout()
        frames = len(root.Keyframes) if hasattr(root, "Keyframes") else 0
        names = tuple(j[0].Name for j in joints)
        positions = np.empty((max(frames, 1), len(joints), 3), dtype=np.float64)
        for f in range(max(frames, 1)):
            root.loadPose(f)
            for k, (joint, _, _) in enumerate(joints):
                p = joint.PositionWorld
                positions[f, k] = (p.x, p.y, p.z)
    except Exception as exc:  # noqa: BLE001 - any parser failure is bad input
        raise UserError(f"{path}: cannot read BVH ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    if unit is None:
        extent = float(np.ptp(positions[0, :, 1])) or 1.0
        unit = 0.01 if extent > 30 else (0.0254 if extent > 6 else 1.0)  # cm, inches, metres
    fps = 1.0 / frame_time
    meta = {"subject": subject, "label": label, "label_raw": label, "source": "bvh"}
    return _checked((positions * unit).astype(np.float32), names, fps, meta, path)


MAX_BVH_BYTES = 512 * 1024 * 1024


def _check_bvh(path: Path) -> float:
    """Check the structure the parser relies on (it can loop forever on a truncated file); returns the frame time."""
    if not path.is_file():
        raise UserError(f"BVH file not found: {path}")
    if path.stat().st_size > MAX_BVH_BYTES:
        raise UserError(f"{path}: larger than {MAX_BVH_BYTES >> 20} MB")
    text = path.read_text(encoding="utf-8", errors="replace")
    head, sep, motion = text.partition("MOTION")
    if not head.lstrip().startswith("HIERARCHY") or not sep:
        raise UserError(f"{path}: not a BVH file (needs HIERARCHY and MOTION sections)")
    if head.count("{") != head.count("}") or head.count("{") == 0:
        raise UserError(f"{path}: cannot read BVH (unbalanced braces in the hierarchy)")
    lines = [ln.strip() for ln in motion.splitlines() if ln.strip()]
    try:
        frames = int(lines[0].split(":", 1)[1]) if lines[0].lower().startswith("frames:") else -1
        frame_time = float(lines[1].split(":", 1)[1]) if lines[1].lower().startswith("frame time:") else -1.0
    except (IndexError, ValueError):
        frames, frame_time = -1, -1.0
    if frames < 1 or not np.isfinite(frame_time) or frame_time <= 0:
        raise UserError(f"{path}: cannot read BVH (needs 'Frames: N' and a positive 'Frame Time:')")
    if len(lines) - 2 < frames:
        raise UserError(f"{path}: cannot read BVH ({frames} frames announced, {len(lines) - 2} present)")
    return frame_time


def load_trial(path: str | Path, label: str = "", subject: str = "") -> MocapTrial:
    """A ``.npz`` or ``.bvh`` trial; ``label``/``subject`` fill in what the file does not say."""
    path = Path(path)
    if path.suffix.lower() == ".bvh":
        return load_bvh(path, label, subject)
    trial = load_npz_trial(path)
    trial.label = trial.label or label
    trial.label_raw = trial.label_raw or label
    trial.subject = trial.subject or subject
    return trial


def find_trials(root: str | Path) -> list[tuple[Path, dict[str, str]]]:
    """(file, known metadata) of every trial under ``root``: manifest.csv rows, else ``*.npz`` and ``*.bvh`` files."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"mocap folder not found: {root}")
    manifest = root / "manifest.csv"
    if manifest.is_file():
        with open(manifest, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        if not rows or "file" not in rows[0]:
            raise UserError(f"{manifest}: needs a 'file' column")
        return [(root / r["file"], {k: r.get(k) or "" for k in ("subject", "label", "label_raw", "source")})
                for r in rows]
    found = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".npz", ".bvh") and p.is_file())
    if not found:
        raise UserError(f"no mocap trials (.npz or .bvh files) in {root}")
    out = []
    for p in found:
        rel = p.relative_to(root).parts
        label = rel[0] if len(rel) > 1 else ""
        subject = p.stem.split("_")[0] if len(rel) > 1 and "_" in p.stem else ""
        out.append((p, {"label": label, "subject": subject}))
    return out
