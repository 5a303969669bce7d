"""`annotate` end to end on generated videos: H.264 at the source's fps and frame count, timelines, bad input,
interruption (no partial video, a valid timeline of what was processed)."""

from __future__ import annotations

import csv
import json
from fractions import Fraction

import numpy as np
import pytest
from conftest import needs_shared
from test_app_fixtures import SHARED_MEDIA, FakeRuntime, fake_pose_factory, probe_video, write_video

from aclnet_core.errors import UserError
from app.annotate import AnnotateOptions, annotate_video, output_paths, run_annotate
from app.recogniser import Recogniser

pytest.importorskip("av")


def _options(**kw) -> AnnotateOptions:
    return AnnotateOptions(write_json=True, write_csv=True, progress=False, **kw)


@pytest.fixture
def clip(tmp_path):
    return write_video(tmp_path / "clip.mp4", frames=45, size=(160, 120), fps=Fraction(25))


def test_annotate_end_to_end_with_a_fake_model(tmp_path, clip):
    runtime = FakeRuntime(window=16)
    out = tmp_path / "out" / "clip.annotated.mp4"
    seen = []
    report = annotate_video(str(clip), out, _options(), recogniser=Recogniser(runtime),
                            pose_factory=fake_pose_factory(), on_frame=seen.append)
    assert probe_video(out) == ("h264", Fraction(25), 45, (160, 120))
    assert report.frames == 45 and report.codec == "h264" and report.backend == "fake"
    assert [r.frame.index for r in seen] == list(range(45))
    assert runtime.calls and all(shape[1:] == (1, 16, 33, 3) for shape in runtime.calls)
    timeline = json.loads(out.with_suffix(".json").read_text())
    assert timeline["complete"] is True and timeline["frames_processed"] == 45 and timeline["fps"] == 25.0
    assert timeline["model"]["labels"] == ["idle", "wave", "jump"]
    (track,) = timeline["tracks"]
    assert track["track_id"] == 1 and track["end_frame"] == 44
    (segment,) = track["segments"]
    assert segment["label"] == "wave" and 0 < segment["start_time"] < segment["end_time"] <= 44 / 25 + 1e-6
    assert 0.5 <= segment["score"] <= 1.0
    rows = list(csv.DictReader(out.with_suffix(".csv").open()))
    assert [(r["track_id"], r["label"]) for r in rows] == [("1", "wave")]
    assert sorted(p.name for p in out.parent.iterdir()) == ["clip.annotated.csv", "clip.annotated.json", "clip.annotated.mp4"]


def test_annotate_with_a_randomly_initialised_model(tmp_path, clip):
    import torch

    from aclnet_core.data.preprocess import PreprocessConfig
    from aclnet_core.model.encoder import ACLNet
    from aclnet_core.model.metadata import ModelMetadata
    from aclnet_core.runtime.torch_runtime import TorchRuntime

    torch.manual_seed(0)
    model = ACLNet(3, 33, 3, "lite")
    meta = ModelMetadata("action", ["a", "b", "c"], "lite", 33, 3, model.embed_dim,
                         PreprocessConfig("mediapipe33", window=16).to_dict(), "random")
    runtime = TorchRuntime(model, meta, device="cpu")
    out = tmp_path / "random.mp4"
    (report,) = run_annotate([str(clip)], str(out), _options(), runtime=runtime, pose_factory=fake_pose_factory())
    assert report.backend == "torch-cpu" and probe_video(out)[2] == 45
    timeline = json.loads(out.with_suffix(".json").read_text())
    assert timeline["tracks"][0]["track_id"] == 1  # labels may or may not pass the threshold: the model is random


def test_several_inputs_go_to_a_directory(tmp_path, clip):
    other = write_video(tmp_path / "other.mp4", frames=10, size=(64, 48), fps=Fraction(30))
    reports = run_annotate([str(clip), str(other)], str(tmp_path / "outdir"), _options(pose_only=True),
                           pose_factory=fake_pose_factory())
    assert [r.output for r in reports] == [str(tmp_path / "outdir" / "clip.annotated.mp4"),
                                           str(tmp_path / "outdir" / "other.annotated.mp4")]
    assert probe_video(tmp_path / "outdir" / "other.annotated.mp4")[1:] == (Fraction(30), 10, (64, 48))


def test_output_paths():
    assert [p.name for p in output_paths(["a/x.mp4"], None)] == ["x.annotated.mp4"]
    assert [str(p) for p in output_paths(["x.mp4"], "y.mp4")] == ["y.mp4"]
    with pytest.raises(UserError):
        output_paths(["a.mp4", "b.mp4"], "one.mp4")


def _zero_frame_video(path):
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()  # header and index, no frames
    assert path.stat().st_size > 0
    return path


@pytest.mark.parametrize("make_input", ["missing", "corrupt", "zero_frames", "text"])
def test_bad_input_is_a_one_line_error_and_leaves_no_output(tmp_path, make_input):
    src = tmp_path / "in.mp4"
    if make_input == "corrupt":
        src.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    elif make_input == "zero_frames":
        _zero_frame_video(src)
    elif make_input == "text":
        src = tmp_path / "in.txt"
        src.write_text("not a video")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(UserError) as info:
        annotate_video(str(src), out_dir / "x.mp4", _options(pose_only=True), pose_factory=fake_pose_factory())
    assert "\n" not in str(info.value) and str(src.name) in str(info.value)
    assert list(out_dir.iterdir()) == []


def test_unwritable_output_fails_before_any_work(tmp_path, clip):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    with pytest.raises(UserError, match="cannot write"):
        annotate_video(str(clip), blocker / "x.mp4", _options(pose_only=True), pose_factory=fake_pose_factory())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "clip.mp4"]


def test_interrupting_keeps_a_valid_timeline_and_no_partial_video(tmp_path, clip):
    out = tmp_path / "out.mp4"

    def stop_at_30(result):
        if result.frame.index == 29:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        annotate_video(str(clip), out, _options(), recogniser=Recogniser(FakeRuntime(window=16)),
                       pose_factory=fake_pose_factory(), on_frame=stop_at_30)
    assert not out.exists()
    timeline = json.loads(out.with_suffix(".json").read_text())
    assert timeline["complete"] is False and timeline["frames_processed"] == 30 and timeline["last_frame"] == 29
    assert timeline["segments"] and all(s["end_frame"] <= 29 for s in timeline["segments"])
    assert out.with_suffix(".csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "out.csv", "out.json"]


def test_cli_reports_bad_input_on_one_line(tmp_path, capsys):
    import main

    code = main.main(["annotate", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "o.mp4"), "--pose-only",
                      "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and err.startswith("error: input not found")
    assert not (tmp_path / "o.mp4").exists()


@needs_shared("media/mmaction2_demo.mp4")
def test_real_clip_keeps_frame_count_and_rate(tmp_path):
    from app.sources import VideoFileSource

    src = SHARED_MEDIA / "mmaction2_demo.mp4"
    with VideoFileSource(src) as source:
        rate = source.rate
    out = tmp_path / "demo.mp4"
    report = annotate_video(str(src), out, _options(pose_only=True), pose_factory=fake_pose_factory())
    codec, out_rate, count, size = probe_video(out)
    assert (codec, out_rate, size) == ("h264", rate, (340, 256))
    assert count == report.frames == 280
    assert np.isclose(float(out_rate), 28.0)
