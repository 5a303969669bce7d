"""Encoder size presets: `base` is the paper's backbone, `lite` is sized for real time on a CPU."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from aclnet_core.errors import UserError


@dataclass(frozen=True)
class EncoderPreset:
    """Channel widths and temporal strides of the stacked blocks (the first block has no residual)."""

    name: str
    channels: tuple[int, ...]
    strides: tuple[int, ...]
    num_subsets: int = 8
    dropout: float = 0.0

    @property
    def embed_dim(self) -> int:
        return self.channels[-1]

    def to_dict(self) -> dict:
        return asdict(self)


PRESETS: dict[str, EncoderPreset] = {
    # The paper: 10 blocks, 96 → 192 (stride 2) → 384 (stride 2); about 3.7 M parameters.
    "base": EncoderPreset("base", (96, 96, 96, 96, 192, 192, 192, 384, 384, 384), (1, 1, 1, 1, 2, 1, 1, 2, 1, 1)),
    # Narrower and shorter: 6 blocks, 32 → 64 (stride 2) → 128 (stride 2).
    "lite": EncoderPreset("lite", (32, 32, 64, 64, 128, 128), (1, 1, 2, 1, 2, 1)),
}


def get_preset(name: str) -> EncoderPreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UserError(f"unknown model preset {name!r}; choose one of {', '.join(PRESETS)}") from None
