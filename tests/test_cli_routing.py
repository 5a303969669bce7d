"""CLI wiring: `bench` chooses the model or pipeline benchmark; `annotate --demo` runs on the embedded default."""

import json
import subprocess
import sys
from pathlib import Path

from main import build_parser

ROOT = Path(__file__).resolve().parents[1]


def bench_args(*argv):
    return build_parser().parse_args(["bench", *argv])


def test_bench_routing():
    from app.cli import _is_model_bench

    assert _is_model_bench(bench_args("--model", "m.onnx"))
    assert _is_model_bench(bench_args("--source", "clip.mp4", "--batches", "1,8"))
    assert not _is_model_bench(bench_args("--source", "clip.mp4", "--model", "m.onnx"))
    assert not _is_model_bench(bench_args())


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], check=False, capture_output=True,
                          text=True, timeout=300)


def test_bench_unknown_backend_is_one_line(tmp_path):
    res = run("bench", "--model", str(tmp_path / "m.onnx"), "--backend", "nope")
    assert res.returncode == 2 and res.stderr.startswith("error:") and "nope" in res.stderr


def test_annotate_demo_rejects_inputs():
    res = run("annotate", "--demo", "clip.mp4")
    assert res.returncode == 2 and "--demo takes no input files" in res.stderr


def test_annotate_demo_writes_video_and_timeline(tmp_path):
    out = tmp_path / "demo.mp4"
    res = run("annotate", "--demo", "--max-frames", "40", "-o", str(out), "--json", "--no-progress")
    assert res.returncode == 0, res.stderr
    timeline = json.loads(out.with_suffix(".json").read_text())
    assert timeline["frames_processed"] == 40 and timeline["complete"]
    import av
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in c.decode(video=0)) == 40


def test_eval_option_must_be_key_value(tmp_path, capsys):
    """`eval --option` takes KEY=VALUE; anything else is a one-line error before any checkpoint is read."""
    from main import main

    assert main(["eval", str(tmp_path / "missing.pt"), "--option", "seed"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "key.sub=value" in err[0]
