"""Pipeline statistics: frame rates, drops, per-stage latency, backend and models."""

from __future__ import annotations

import re

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFormLayout, QLabel, QSizePolicy, QWidget

STAGES = (("capture", "capture"), ("pose", "pose"), ("track", "track + windows"), ("infer", "inference"),
          ("end_to_end", "capture → label"))


_ZWSP = "\u200b"


def breakable(text: str) -> str:
    """`text` with invisible break chances after path and name separators (a long path wraps, not cut)."""
    return re.sub(r"([/\\_.\-·,])", "\\1" + _ZWSP, text)


class StatsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout(self)
        rows = [("fps", "fps"), ("dropped", "dropped frames"), ("inferences", "model calls")]
        rows += [(key, f"{name} p50 / p95") for key, name in STAGES]
        rows += [("backend", "backend"), ("action", "action model"), ("gait", "gait model"), ("source", "source")]
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow panel puts values under titles
        for key, title in rows:
            label = QLabel("–")
            label.setWordWrap(True)  # long values wrap (at '/', '_', '-', '.', '·' too): never cut off
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
            label.setTextInteractionFlags(label.textInteractionFlags() | Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = label
            form.addRow(title, label)

    def show_stats(self, snapshot: dict) -> None:
        fps = snapshot.get("fps", {})
        self.fields["fps"].setText(f"{fps.get('output', 0.0):.1f} out / {fps.get('capture', 0.0):.1f} in")
        self.fields["dropped"].setText(str(snapshot.get("dropped", 0)))
        self.fields["inferences"].setText(f"{snapshot.get('inferences', 0)} ({snapshot.get('windows', 0)} windows)")
        latency = snapshot.get("latency", {})
        for key, _ in STAGES:
            s = latency.get(key, {})
            text = f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} ms" if s.get("count") else "–"
            self.fields[key].setText(text)

    def show_session(self, info) -> None:
        """`info`: app.gui.worker.SessionInfo."""
        self._set("backend", info.backend)
        self._set("action", info.action_name, info.action_name)
        self._set("gait", info.gait_name + ("" if info.identity or info.gait_name == "none" else " (off)"), info.gait_name)
        self._set("source", info.spec.label, info.source_name)

    def clear(self) -> None:
        """Every value back to '–' (no source)."""
        for label in self.fields.values():
            label.setText("–")
            label.setToolTip("")

    def text(self, key: str) -> str:
        return self.fields[key].text().replace(_ZWSP, "")

    def _set(self, key: str, text: str, tooltip: str | None = None) -> None:
        self.fields[key].setText(breakable(text))
        if tooltip is not None:
            self.fields[key].setToolTip(tooltip)
