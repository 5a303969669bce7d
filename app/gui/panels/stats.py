"""Pipeline statistics: frame rates, drops, per-stage latency, backend and models."""

from __future__ import annotations

from PyQt6.QtWidgets import QFormLayout, QLabel, QSizePolicy, QWidget

STAGES = (("capture", "capture"), ("pose", "pose"), ("track", "track + windows"), ("infer", "inference"),
          ("end_to_end", "capture → label"))


class StatsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout(self)
        rows = [("fps", "fps"), ("dropped", "dropped frames"), ("inferences", "model calls")]
        rows += [(key, f"{name} p50 / p95") for key, name in STAGES]
        rows += [("backend", "backend"), ("action", "action model"), ("gait", "gait model"), ("source", "source")]
        for key, title in rows:
            label = QLabel("–")
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # clip, never widen
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
        self.fields["backend"].setText(info.backend)
        self.fields["action"].setText(info.action_name)
        self.fields["action"].setToolTip(info.action_name)
        self.fields["gait"].setText(info.gait_name + ("" if info.identity or info.gait_name == "none" else " (off)"))
        self.fields["gait"].setToolTip(info.gait_name)
        self.fields["source"].setText(info.spec.label)
        self.fields["source"].setToolTip(info.source_name)

    def clear(self) -> None:
        """Every value back to '–' (no source)."""
        for label in self.fields.values():
            label.setText("–")
            label.setToolTip("")

    def text(self, key: str) -> str:
        return self.fields[key].text()
