"""Shared argparse option types and the CLI's parser class: numeric options are checked when they are parsed.

Each factory returns a callable for ``add_argument(type=…)`` that turns text into a value or raises
``argparse.ArgumentTypeError`` with a short reason; `OneLineArgumentParser` prints any parse error as a single
``error: …`` line and exits 2 (the project's rule for bad input).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import NoReturn

__all__ = [
    "BACKENDS",
    "OneLineArgumentParser",
    "backend_list",
    "backend_name",
    "finite_float",
    "float_list",
    "frame_size",
    "int_range",
    "nonneg_int",
    "positive_float",
    "positive_int",
    "probability",
    "source_seconds",
]


class OneLineArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one ``error: …`` line on stderr and exit code 2 (no usage block)."""

    def error(self, message: str) -> NoReturn:
        message = " ".join(str(message).split())
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


def _bounds_text(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo:g}"
    if hi is not None:
        return f"{'<' if hi_open else '<='} {hi:g}"
    return "finite"


def finite_float(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
                 hi_open: bool = False) -> Callable[[str], float]:
    """A finite float within [lo, hi] (open ends with lo_open/hi_open); nan and inf are always refused."""
    bounds = _bounds_text(lo, hi, lo_open, hi_open)

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        too_low = lo is not None and (value <= lo if lo_open else value < lo)
        too_high = hi is not None and (value >= hi if hi_open else value > hi)
        if too_low or too_high:
            raise argparse.ArgumentTypeError(f"expected a number {bounds}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def int_range(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """An integer within [lo, hi]."""
    bounds = _bounds_text(lo, hi, False, False)

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"expected an integer {bounds}, got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


positive_int = int_range(1)
nonneg_int = int_range(0)
positive_float = finite_float(0.0, lo_open=True)
probability = finite_float(0.0, 1.0)
# seconds of a source to read: positive and at most a day (a longer clip is a typo, and inf would never end)
source_seconds = finite_float(0.0, 86400.0, lo_open=True)


def frame_size(text: str) -> tuple[int, int]:
    """A frame size WxH, e.g. 640x480 (each side 1..16384)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x480, got {text!r}") from None
    if not (0 < w <= 16384 and 0 < h <= 16384):
        raise argparse.ArgumentTypeError(f"size must be 1..16384 pixels per side, got {text!r}")
    return w, h


def synthetic_seed(text: str) -> int:
    """The seed of a 'synthetic:SEED' source (0 without one); ValueError unless an integer 0..2**32-1."""
    if ":" not in text:
        return 0
    value = text.split(":", 1)[1].strip()
    if not value.isdigit() or len(value) > 10 or int(value) >= 2**32:
        raise ValueError(f"{text!r}: the synthetic source's seed must be an integer 0..{2**32 - 1}")
    return int(value)


def source_arg(text: str) -> str:
    """A source as typed (video, camera, URL, recording, 'demo'); a 'synthetic:SEED' source's seed is checked."""
    if text.strip().lower().startswith("synthetic:"):
        try:
            synthetic_seed(text.strip())
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return text


BACKENDS = ("auto", "tensorrt", "onnxruntime-trt", "onnxruntime-cuda", "onnxruntime-cpu", "torch", "torch-cpu",
            "torch-cuda")


def backend_name(text: str) -> str:
    """One inference backend name (see BACKENDS)."""
    if text not in BACKENDS:
        raise argparse.ArgumentTypeError(f"unknown backend {text!r}; choose from {', '.join(BACKENDS)}")
    return text


def backend_list(text: str) -> str:
    """One or more comma-separated backend names (the benchmark compares several); returned as given."""
    for part in text.split(","):
        backend_name(part.strip())
    return text


def float_list(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False
               ) -> Callable[[str], list[float]]:
    """Comma-separated finite floats, each within the bounds (e.g. ensemble weights ``2,2,1,1``)."""
    one = finite_float(lo, hi, lo_open=lo_open)

    def parse(text: str) -> list[float]:
        parts = [p.strip() for p in text.split(",")]
        if not all(parts):
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}")
        return [one(p) for p in parts]

    parse.__name__ = "list"
    return parse


def name_list(text: str) -> tuple[str, ...]:
    """Comma-separated non-empty names (e.g. probe splits ``nm,bg,cl``), without repeats."""
    parts = tuple(p.strip() for p in text.split(","))
    if not all(parts):
        raise argparse.ArgumentTypeError(f"expected comma-separated names, got {text!r}")
    if len(set(parts)) != len(parts):
        raise argparse.ArgumentTypeError(f"a name is repeated in {text!r}")
    return parts


def regex(text: str) -> str:
    """A regular expression (checked here; returned as given)."""
    import re

    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid regular expression ({exc})") from None
    return text


def epochs_arg(text: str) -> int | str:
    """A number of epochs (1..100000) or ``auto`` (sized from the training set: aclnet_core.train.budget)."""
    if text.strip().lower() == "auto":
        return "auto"
    return int_range(1, 100_000)(text)
