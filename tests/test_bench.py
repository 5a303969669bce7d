"""Model benchmark: timing loop, rows, CSV/JSON/PNG outputs, the CLI glue and its errors."""

from __future__ import annotations

import argparse
import csv
import json

import numpy as np
import pytest
import torch

from aclnet_core.bench import model_bench
from aclnet_core.bench.model_bench import BenchRow, run_model_bench, time_runtime, write_results
from aclnet_core.errors import UserError
from aclnet_core.export.cli import add_model_bench_args, is_model_bench, parse_batches, run_model_bench_cli
from aclnet_core.export.onnx_export import torch_to_onnx
from aclnet_core.model.checkpoint import save_checkpoint
from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.metadata import ModelMetadata, weights_id
from aclnet_core.model.presets import EncoderPreset

PREPROCESS = {"layout": "kinect20", "window": 16, "num_person": 1, "modality": "j", "center": True, "scale": True,
              "align": False}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A lite checkpoint (V=20, T=16) and an ONNX model of the same input (a two-block net: a quick export)."""
    folder = tmp_path_factory.mktemp("bench")
    torch.manual_seed(0)
    model = ACLNet(3, 20, 3, "lite").eval()
    state = model.state_dict()
    meta = ModelMetadata("action", ["a", "b", "c"], "lite", 20, 3, model.embed_dim, dict(PREPROCESS), weights_id(state))
    save_checkpoint(folder / "lite.pt", {"meta": meta.to_dict(), "model": state})
    proto, _ = torch_to_onnx(ACLNet(3, 20, 3, EncoderPreset("tiny-test", (8, 16), (1, 2))).eval(), meta)
    (folder / "lite.onnx").write_bytes(proto.SerializeToString())
    return folder


class CountingRuntime:
    backend = "counting"

    def __init__(self) -> None:
        self.meta = ModelMetadata("action", ["a"], "lite", 20, 3, 128, dict(PREPROCESS))
        self.calls, self.shapes = 0, set()

    def infer(self, x):
        self.calls += 1
        self.shapes.add(x.shape)
        return np.zeros((len(x), 1)), np.zeros((len(x), 128))


def test_time_runtime_counts_warmup_iters_and_budget():
    runtime = CountingRuntime()
    row = time_runtime(runtime, "fake", batch=4, iters=5, warmup=2, budget_s=60)
    assert runtime.calls == 7 and row.iters == 5 and runtime.shapes == {(4, 1, 16, 20, 3)}
    assert 0 <= row.p50_ms <= row.p95_ms and row.throughput == pytest.approx(4 / (row.p50_ms / 1e3))
    runtime = CountingRuntime()
    assert time_runtime(runtime, "fake", batch=1, iters=100, warmup=0, budget_s=0.0, min_iters=3).iters == 3
    row = time_runtime(CountingRuntime(), "fake", batch=1, iters=4, warmup=0, budget_s=60, rounds=3)
    assert row.iters == 12 and row.best_p50_ms <= row.p95_ms


def test_bench_torch_and_onnxruntime_writes_csv_json_png(models, tmp_path, monkeypatch):
    exports = []

    def fake_export(checkpoint, folder):              # the real export is covered by test_export.py
        exports.append(checkpoint)
        return models / "lite.onnx"
    monkeypatch.setattr(model_bench, "_export_for_bench", fake_export)
    rows = run_model_bench(models / "lite.pt", ["torch-cpu", "onnxruntime-cpu"], batches=[2, 1], iters=4, warmup=1,
                           out_prefix=tmp_path / "out" / "lite", rounds=2)
    assert exports == [models / "lite.pt"]
    assert [(r.backend, r.runs_on, r.batch) for r in rows] == [
        ("torch-cpu", "torch-cpu", 1), ("torch-cpu", "torch-cpu", 2),
        ("onnxruntime-cpu", "onnxruntime-cpu", 1), ("onnxruntime-cpu", "onnxruntime-cpu", 2)]
    assert all(2 <= r.iters <= 4 and 0 < r.best_p50_ms and r.p50_ms <= r.p95_ms and r.cpu_ms > 0 for r in rows), rows
    with open(tmp_path / "out" / "lite.csv") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 4 and table[0]["backend"] == "torch-cpu" and float(table[3]["throughput"]) > 0
    report = json.loads((tmp_path / "out" / "lite.json").read_text())
    assert len(report["rows"]) == 4 and "onnxruntime" in report["machine"] and report["settings"]["rounds"] == 2
    assert (tmp_path / "out" / "lite.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_errors_are_user_errors(models, tmp_path):
    with pytest.raises(UserError, match="not found"):
        run_model_bench(tmp_path / "missing.pt", ["torch-cpu"])
    with pytest.raises(UserError, match="needs a .pt checkpoint"):
        run_model_bench(models / "lite.onnx", ["torch-cpu"], batches=[1], iters=1, warmup=0)
    with pytest.raises(UserError, match="batch sizes"):
        run_model_bench(models / "lite.onnx", ["onnxruntime-cpu"], batches=[0])
    with pytest.raises(UserError, match="comma-separated"):
        parse_batches("1,two")
    assert parse_batches(None)[-1] == 256 and parse_batches("1, 8") == [1, 8]


def test_write_results_plots_several_backends(tmp_path):
    rows = [BenchRow(b, b, n, 5, 1.0 * n, 1.5 * n, 1.1 * n, 0.9 * n, 2.0 * n, 1000.0) for b in ("x", "y") for n in (1, 2, 4)]
    paths = write_results(rows, tmp_path / "r")
    assert [p.suffix for p in paths] == [".csv", ".json", ".png"] and all(p.stat().st_size > 0 for p in paths)


def test_cli_merges_into_a_shared_bench_parser_and_runs(models, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=300)       # an option the pipeline bench already defines
    add_model_bench_args(parser)
    assert not is_model_bench(parser.parse_args([]))
    assert not is_model_bench(parser.parse_args(["--model", "m.onnx"]))        # the pipeline bench takes --model too
    args = parser.parse_args(["--model", str(models / "lite.onnx"), "--backend", "onnxruntime-cpu",
                              "--batches", "1", "--iters", "2", "--warmup", "0", "--out", str(tmp_path / "cli")])
    assert is_model_bench(args) and args.backends == ["onnxruntime-cpu"]
    assert run_model_bench_cli(args) == 0
    out = capsys.readouterr().out
    assert "onnxruntime-cpu" in out and (tmp_path / "cli.csv").is_file()
    with pytest.raises(UserError, match="--model"):
        run_model_bench_cli(parser.parse_args(["--batches", "1"]))
