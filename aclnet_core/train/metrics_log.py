"""Per-epoch metrics: CSV (always complete rows) and optionally TensorBoard."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


class MetricsLogger:
    def __init__(self, run_dir: Path, kind: str = "csv", resume: bool = False) -> None:
        self.path = run_dir / "metrics.csv"
        self.kind = kind
        self._fields: list[str] | None = None
        if resume and self.path.exists():
            with self.path.open() as f:
                self._fields = next(csv.reader(f), None)
        elif self.path.exists():
            self.path.unlink()
        self._tb = None
        if kind in ("tensorboard", "both"):
            try:
                from torch.utils.tensorboard import SummaryWriter
                self._tb = SummaryWriter(str(run_dir / "tb"))
            except ImportError:
                print("note: tensorboard is not installed; metrics go to metrics.csv only")

    def log(self, row: dict[str, Any]) -> None:
        if self._fields is None:
            self._fields = list(row)
            with self.path.open("w", newline="") as f:
                csv.writer(f).writerow(self._fields)
        with self.path.open("a", newline="") as f:
            csv.writer(f).writerow([row.get(k, "") for k in self._fields])
        if self._tb is not None:
            for key, value in row.items():
                if isinstance(value, (int, float)) and key != "epoch":
                    self._tb.add_scalar(key, value, row["epoch"])
            self._tb.flush()
