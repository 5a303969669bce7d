"""Model metadata: everything needed to use a model (labels, layout, preset, preprocessing) travels with it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from aclnet_core.errors import UserError

TASKS = ("action", "gait")


@dataclass
class ModelMetadata:
    task: str                        # 'action' | 'gait'
    labels: list[str]                # class names (identities for a gait model)
    preset: str
    num_joints: int
    in_channels: int
    embed_dim: int
    preprocess: dict[str, Any]       # PreprocessConfig.to_dict(): layout, window, num_person, modality, …
    model_id: str = ""               # sha256[:16] of the weights; galleries refuse templates of another id
    extra: dict[str, Any] = field(default_factory=dict)   # free-form: training data, metrics, …

    @property
    def layout(self) -> str:
        return self.preprocess["layout"]

    @property
    def window(self) -> int:
        return int(self.preprocess["window"])

    @property
    def num_person(self) -> int:
        return int(self.preprocess.get("num_person", 1))

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    def preprocess_config(self):
        """The PreprocessConfig the model was trained with (the app feeds windows through it)."""
        from aclnet_core.data.preprocess import PreprocessConfig
        return PreprocessConfig.from_dict(self.preprocess)

    def input_shape(self, batch: int = 1) -> tuple[int, int, int, int, int]:
        return (batch, self.num_person, self.window, self.num_joints, self.in_channels)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelMetadata:
        try:
            meta = cls(**d)
        except TypeError as exc:
            raise UserError(f"malformed model metadata: {exc}") from None
        if meta.task not in TASKS:
            raise UserError(f"malformed model metadata: unknown task {meta.task!r}")
        return meta

    @classmethod
    def from_json(cls, s: str) -> ModelMetadata:
        try:
            return cls.from_dict(json.loads(s))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise UserError(f"malformed model metadata: {type(exc).__name__}") from None


def weights_id(state_dict: dict) -> str:
    """A stable id for a set of weights: sha256 over the tensors' names and bytes, first 16 hex digits."""
    h = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name]
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]
