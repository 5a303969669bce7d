"""Loading files that could carry code: `.pt` checkpoints and pickled (pyskl) datasets.

Both formats are pickles, and a pickle can call any function while it is read. Checkpoints are read with
``torch.load(weights_only=True)`` (tensors, plain containers and numbers; numpy arrays are admitted for older
training checkpoints). Pickled datasets go through `SafeUnpickler`, which admits only numpy arrays, dtypes and
scalars and builtin containers; anything else raises `UserError` naming ``--trust-pickle`` unless the caller
trusts the file explicitly.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import pickle
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from aclnet_core.errors import UserError

TRUST_FLAG = "--trust-pickle"

# (module, name) pairs a dataset pickle may reference: numpy arrays, dtypes and scalars (numpy 1 and 2 names)
_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}
_BUILTIN_GLOBALS = {"list", "dict", "tuple", "set", "frozenset", "bytearray", "complex", "slice", "range"}


_trust_all_pickles = False


@contextlib.contextmanager
def trusting_pickles(trust: bool = True) -> Iterator[None]:
    """Within the block, `load_pickle` unpickles anything (the CLI's ``--trust-pickle``)."""
    global _trust_all_pickles
    before, _trust_all_pickles = _trust_all_pickles, bool(trust) or _trust_all_pickles
    try:
        yield
    finally:
        _trust_all_pickles = before


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle references a global outside the allow-list."""


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that resolves only numpy array/dtype/scalar globals and builtin containers."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        if module == "builtins" and name in _BUILTIN_GLOBALS:
            return getattr(builtins, name)
        if module == "numpy.dtypes" and name.endswith("DType"):    # numpy >= 1.25 pickles dtype classes
            return super().find_class(module, name)
        raise UnsafePickleError(f"{module}.{name}")


def load_pickle(source: str | Path | BinaryIO, trust: bool | None = None) -> Any:
    """Unpickle a dataset file. Untrusted (the default, unless inside `trusting_pickles`): only numpy data and
    builtin containers are admitted, anything else raises UserError naming the flag that allows it."""
    trust = _trust_all_pickles if trust is None else trust
    if isinstance(source, (str, Path)):
        with Path(source).open("rb") as f:
            return load_pickle(f, trust)
    if trust:
        return pickle.load(source)
    try:
        return SafeUnpickler(source).load()
    except UnsafePickleError as exc:
        name = getattr(source, "name", "the pickle")
        raise UserError(f"{name}: refusing to unpickle {exc} (it could run code); pass {TRUST_FLAG} only if you "
                        "trust this file") from None


def _numpy_safe_globals() -> list[Any]:
    """numpy globals admitted in checkpoints (older training checkpoints hold numpy's RNG state)."""
    import numpy as np

    found: list[Any] = [np.ndarray, np.dtype]
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            mod = __import__(module, fromlist=["_reconstruct"])
        except ImportError:
            continue
        found.append(mod._reconstruct)
        break
    found += [type(np.dtype(t)) for t in ("u4", "i4", "i8", "f4", "f8", "u1", "b1")]
    return found


def load_torch_file(path: str | Path) -> Any:
    """``torch.load`` with ``weights_only=True`` on the CPU: tensors, plain containers, numbers, strings and numpy
    arrays only; a file referencing anything else raises UserError (no code from the file runs)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint not found: {path}")
    try:
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        detail = str(exc)
        if "global" in detail.lower():          # "Unsupported global: GLOBAL x", "unsupported GLOBAL x whose module"
            what = _unsupported_global(detail)
            raise UserError(f"{path}: refusing to load a checkpoint that references {what} (only tensors and "
                            "plain data are loaded, so no code in the file can run)") from None
        # anything else torch's weights-only reader stops at (an unknown opcode: random bytes, a video, a
        # truncated file) is not a checkpoint at all; nothing in it ran either way
        raise UserError(f"{path} is not a readable checkpoint (not a PyTorch weights file)") from None
    except (zipfile.BadZipFile, RuntimeError, EOFError, OSError, ValueError, io.UnsupportedOperation,
            AttributeError, TypeError, KeyError, IndexError, MemoryError) as exc:
        raise UserError(f"{path} is not a readable checkpoint ({type(exc).__name__})") from None


def _unsupported_global(detail: str) -> str:
    """The offending global named in torch's weights_only message, or a generic phrase."""
    import re

    match = re.search(r"GLOBAL ([\w.]+)", detail)
    return match.group(1) if match else "objects other than tensors"
