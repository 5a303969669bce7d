"""A disk cache of serialized TensorRT engines, keyed by what makes an engine valid.

An engine only runs on the TensorRT version and GPU model it was built for, so the key is
(sha256 of the ONNX file, TensorRT version, GPU name, precision, max batch) plus the calibration-data id for INT8.
Each entry is `<name>.engine` with a `<name>.json` sidecar holding the full key; both are written atomically, and
an entry whose sidecar does not match its key (a hash collision, a half-copied folder) counts as a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from aclnet_core.io_utils import atomic_write

CACHE_ENV = "ACLNET_ENGINE_CACHE"      # overrides the cache folder (tests, shared build machines)


@dataclass(frozen=True)
class EngineKey:
    onnx_sha256: str
    trt_version: str
    gpu_name: str
    precision: str               # 'fp16' | 'fp32' | 'int8'
    max_batch: int
    calib_id: str = ""           # sha256[:16] of the INT8 calibration clips ('' otherwise)

    def to_dict(self) -> dict:
        return asdict(self)

    def digest(self) -> str:
        """sha256 over the whole key: the file name of the entry."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    def stem(self) -> str:
        return f"{self.onnx_sha256[:12]}-{self.precision}-b{self.max_batch}-{self.digest()[:16]}"


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def default_cache_dir() -> Path:
    """`$ACLNET_ENGINE_CACHE`, else the user cache dir (platformdirs) / 'tensorrt'."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    import platformdirs
    return Path(platformdirs.user_cache_dir("aclnet-live", appauthor=False)) / "tensorrt"


class EngineCache:
    """get / put / get_or_build over one folder; every write is complete or absent."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()

    def engine_path(self, key: EngineKey) -> Path:
        return self.root / f"{key.stem()}.engine"

    def _sidecar(self, key: EngineKey) -> Path:
        return self.root / f"{key.stem()}.json"

    def get(self, key: EngineKey) -> Path | None:
        """The cached engine file for `key`, or None (missing, or its sidecar names another key)."""
        engine, sidecar = self.engine_path(key), self._sidecar(key)
        if not engine.is_file() or not sidecar.is_file():
            return None
        try:
            stored = json.loads(sidecar.read_text())
        except (OSError, ValueError):
            return None
        return engine if stored == key.to_dict() and engine.stat().st_size > 0 else None

    def put(self, key: EngineKey, engine: bytes) -> Path:
        """Store an engine atomically (engine first, sidecar last: a sidecar implies a complete engine)."""
        if not engine:
            raise ValueError("refusing to cache an empty engine")
        path = self.engine_path(key)
        with atomic_write(path) as tmp:
            tmp.write_bytes(engine)
        with atomic_write(self._sidecar(key)) as tmp:
            tmp.write_text(json.dumps(key.to_dict(), sort_keys=True, indent=1))
        return path

    def get_or_build(self, key: EngineKey, build: Callable[[], bytes]) -> tuple[Path, bool]:
        """(engine path, True on a cache hit); `build()` runs only on a miss."""
        hit = self.get(key)
        if hit is not None:
            return hit, True
        return self.put(key, bytes(build())), False

    def entries(self) -> list[EngineKey]:
        keys = []
        for sidecar in sorted(self.root.glob("*.json")):
            try:
                keys.append(EngineKey(**json.loads(sidecar.read_text())))
            except (OSError, ValueError, TypeError):
                continue
        return keys
