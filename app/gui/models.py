"""The action and gait models the GUI runs, loaded once per (file, backend) and shared by sessions and exports.

A missing model is not an error here: without the action model the GUI shows skeletons only, without the gait
model there are no identities and no enrolment; `LoadedModels.messages` says so in one line each.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aclnet_core.errors import UserError
from app.gui.settings import GuiSettings

log = logging.getLogger(__name__)


@dataclass
class LoadedModels:
    action: Any | None = None  # an InferenceRuntime (task 'action') or None
    gait: Any | None = None  # an InferenceRuntime (task 'gait', with a model_id) or None
    action_name: str = "none"
    gait_name: str = "none"
    messages: list[str] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return str(getattr(self.action, "backend", None) or getattr(self.gait, "backend", None) or "none")


class ModelCache:
    """Loads runtimes by path and backend; thread-safe (sessions load in their worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runtimes: dict[tuple[str, str, str], Any] = {}

    def load(self, settings: GuiSettings) -> LoadedModels:
        models = LoadedModels()
        for task, path, consequence in (("action", settings.action_model, "showing skeletons only; pick one in Settings"),
                                        ("gait", settings.gait_model, "identities and enrolment are off")):
            try:
                runtime = self._get(path or None, settings.backend, task)
            except Exception as exc:
                if not isinstance(exc, UserError):
                    log.exception("cannot load the %s model", task)
                models.messages.append(f"no {task} model ({_reason(exc, task, path)}): {consequence}")
                continue
            setattr(models, task, runtime)
            setattr(models, f"{task}_name", _name(path, runtime))
            used = str(getattr(runtime, "backend", ""))
            if task == "action" and settings.backend != "auto" and used and not used.startswith(settings.backend):
                models.messages.append(f"asked for the {settings.backend} backend, running on {used}")
        return models

    def _get(self, path: str | None, backend: str, task: str) -> Any:
        from app.recogniser import default_model_path, open_runtime

        resolved = str(Path(path).expanduser()) if path else str(default_model_path(task))
        key = (resolved, backend, task)
        with self._lock:
            runtime = self._runtimes.get(key)
            if runtime is None:
                runtime = open_runtime(resolved if path else None, backend, task=task)
                meta = runtime.meta
                if getattr(meta, "task", task) != task:
                    raise UserError(f"{Path(resolved).name} is a {meta.task} model, not a {task} model")
                if task == "gait" and not getattr(meta, "model_id", ""):
                    raise UserError(f"{Path(resolved).name} has no model_id; re-save it with the current trainer")
                self._runtimes[key] = runtime
                log.info("loaded %s model %s (%s)", task, resolved, runtime.backend)
            return runtime

    def clear(self) -> None:
        with self._lock:
            self._runtimes.clear()


def _reason(exc: Exception, task: str, path: str) -> str:
    if not path and isinstance(exc, UserError) and "no " + task + " model found" in str(exc):
        return f"assets/models/{task}.onnx or .pt not found"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if isinstance(exc, UserError) else f"{type(exc).__name__}: {text}"


def _name(path: str, runtime: Any) -> str:
    shown = Path(path).name if path else "shipped"
    return f"{shown} ({getattr(runtime.meta, 'preset', '?')}, T={runtime.meta.window})"
