"""The threaded pipeline (order, live dropping, errors), sources, the recogniser (batching, shared
preprocessing, layout conversion) and the bench report."""

from __future__ import annotations

import numpy as np
import pytest
from test_app_fixtures import PHOTO, FakeRuntime, fake_pose_factory, stick_world

from aclnet_core.data.preprocess import PreprocessConfig, prepare_clip
from aclnet_core.errors import UserError
from app.pipeline import Pipeline
from app.recogniser import Recogniser, RecogniserOptions, default_model_path
from app.records import Frame, Window
from app.sources import ImageSource, PacedSource, Source, SourceError, open_source
from app.windows import WindowOptions


def _image_source(repeat: int, fps: float = 30.0) -> ImageSource:
    return ImageSource(PHOTO, repeat=repeat, fps=fps, size=(160, 120))


def test_file_sources_lose_nothing_and_keep_order():
    pipeline = Pipeline(_image_source(40), None, pose_factory=fake_pose_factory(delay_s=0.002))
    results = list(pipeline.results())
    assert [r.frame.index for r in results] == list(range(40))
    assert pipeline.stats.dropped == 0
    snap = pipeline.stats.snapshot()
    assert snap["latency"]["pose"]["count"] == 40 and snap["latency"]["end_to_end"]["count"] == 40
    assert all(r.tracks and r.tracks[0].track_id == 1 for r in results[1:])


def test_live_sources_drop_stale_frames():
    source = PacedSource(_image_source(60, fps=200.0))  # frames come faster than the pose stage runs
    pipeline = Pipeline(source, None, pose_factory=fake_pose_factory(delay_s=0.02))
    results = list(pipeline.results())
    indices = [r.frame.index for r in results]
    assert pipeline.live and pipeline.stats.dropped > 10
    assert len(results) + pipeline.stats.dropped == 60
    assert indices == sorted(indices) and indices[-1] == 59  # the newest frame wins


class _Failing(Source):
    name = "failing"

    def _open(self):
        self.fps, self.size = 30.0, (32, 32)

    def _frames(self):
        for i in range(3):
            yield Frame(np.zeros((32, 32, 3), np.uint8), i, i / 30)
        raise SourceError("failing: the device went away")


def test_a_source_error_reaches_the_consumer():
    pipeline = Pipeline(_Failing(), None, pose_factory=fake_pose_factory())
    got = []
    with pytest.raises(SourceError, match="went away"):
        for result in pipeline.results():
            got.append(result.frame.index)
    assert got == [0, 1, 2]
    assert not any(t.is_alive() for t in pipeline._threads)


def test_pipeline_labels_and_batches_all_tracks():
    runtime = FakeRuntime(window=16)
    recogniser = Recogniser(runtime, RecogniserOptions(stride=4))
    pipeline = Pipeline(_image_source(40), recogniser, pose_factory=fake_pose_factory(people=((0.3, 0.5), (0.7, 0.5))))
    results = list(pipeline.results())
    assert runtime.calls and all(shape[0] == 2 for shape in runtime.calls)  # both tracks in one call
    last = results[-1]
    assert {t.track_id for t in last.tracks} == {1, 2}
    assert {p.label for p in last.predictions.values()} == {"wave"}
    assert any(r.inferred for r in results) and pipeline.stats.inferences == len(runtime.calls)


def _window(T=20) -> Window:
    world = np.stack([stick_world(t / 30) for t in range(T)])
    return Window(track_id=1, keypoint=world, score=np.ones((T, 33), np.float32), start_time=0.0,
                  end_time=(T - 1) / 30, end_frame=T - 1)


def test_recogniser_input_is_prepare_clip_of_the_window():
    runtime = FakeRuntime(window=16)
    recogniser = Recogniser(runtime)
    window = _window()
    x = recogniser.model_input([window, window], recogniser.cfg, 3)
    expected = prepare_clip(window.keypoint[None], PreprocessConfig("mediapipe33", window=16), window.score[None])
    assert x.shape == (2, 1, 16, 33, 3) and np.array_equal(x[0], expected)
    assert recogniser.window_options() == WindowOptions(length=16, sample_fps=30.0, stride=8)


def test_window_rate_follows_the_models_training_time_scale():
    runtime = FakeRuntime(window=16)
    runtime.meta.extra = {"sample_fps": 8.0}  # a model trained on ~2 s clips squeezed into 16 samples
    options = Recogniser(runtime).window_options()
    assert options == WindowOptions(length=16, sample_fps=8.0, stride=8) and options.span_s == pytest.approx(1.875)


def test_recogniser_converts_to_the_model_layout():
    runtime = FakeRuntime(window=12)
    runtime.meta.preprocess = PreprocessConfig("ntu25", window=12).to_dict()
    runtime.meta.num_joints = 25
    recogniser = Recogniser(runtime)
    assert recogniser.model_input([_window()], recogniser.cfg, 3).shape == (1, 1, 12, 25, 3)


def test_recogniser_skips_windows_with_too_little_data_and_reports_top_k():
    recogniser = Recogniser(FakeRuntime(window=16), RecogniserOptions(min_fill=0.9, top_k=2))
    sparse = _window()
    sparse.fill = 0.5
    assert recogniser.predict([sparse]) == {}
    (prediction,) = recogniser.predict([_window()]).values()
    assert prediction.label == "wave" and prediction.raw_label == "wave"
    assert len(prediction.top_k) == 2 and prediction.top_k[0][0] == "wave"
    assert prediction.embedding.shape == (4,)
    recogniser.drop(1)
    assert recogniser.current() == {}


def test_recogniser_reports_identities_and_drops_ended_tracks():
    class Identity:
        def __init__(self):
            self.dropped = []

        def update_many(self, windows):
            return {k: type("Match", (), {"name": "ada", "score": 0.9})() for k in windows}

        def drop(self, track_id):
            self.dropped.append(track_id)

    identity = Identity()
    recogniser = Recogniser(FakeRuntime(window=16), identity=identity)
    (prediction,) = recogniser.predict([_window()]).values()
    assert prediction.identity == "ada" and prediction.identity_score == 0.9
    recogniser.drop(1)
    assert identity.dropped == [1]


def test_identity_service_plugs_into_the_recogniser(tmp_path):
    from app import identity as identity_module
    from app.gallery.store import GalleryStore

    gait = FakeRuntime(window=16)
    gait.meta.task = "gait"
    with GalleryStore(tmp_path / "gallery.sqlite") as store:
        store.add_templates("ada", [np.array([1, 0, 0, 0], np.float32)], gait.meta.model_id)
        service = identity_module.IdentityService(gait, store, threshold=0.5,
                                                  options=identity_module.IdentityOptions(min_windows=1))
        recogniser = Recogniser(FakeRuntime(window=16), identity=service)
        (prediction,) = recogniser.predict([_window()]).values()
    assert prediction.identity == "ada" and prediction.identity_score == pytest.approx(1.0)


def test_default_model_path_prefers_onnx_and_explains_a_missing_model(monkeypatch, tmp_path):
    import importlib.resources

    path = default_model_path("action")                       # the shipped model (tests/test_shipped_models.py)
    assert path.name == "action.onnx" and path.is_file()
    (tmp_path / "models").mkdir()
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    for task, option in (("action", "--model"), ("gait", "--gait-model")):
        with pytest.raises(UserError, match=f"no {task} model found.*{option}"):
            default_model_path(task)
    (tmp_path / "models" / "gait.pt").write_bytes(b"")
    assert default_model_path("gait") == tmp_path / "models" / "gait.pt"   # the checkpoint when there is no .onnx


def test_open_source_dispatch_and_errors(tmp_path):
    assert isinstance(open_source(str(PHOTO)), ImageSource)
    with pytest.raises(UserError, match="not found"):
        open_source(str(tmp_path / "nope.mp4"))
    with pytest.raises(UserError, match="no camera"):
        open_source("57")


def test_synthetic_demo_source_yields_skeletons():
    source = open_source("synthetic:3", max_frames=5)
    frames = list(source.frames())
    assert len(frames) == 5 and source.provides_skeletons
    assert all(f.image is not None and f.image.shape[:2] == (480, 640) for f in frames)
    assert all(len(f.skeletons) <= 1 for f in frames)
    assert any(f.skeletons and f.skeletons[0].world.shape == (33, 3) for f in frames)


def test_bench_reports_latency_and_fps():
    from app.bench import BenchOptions, format_report, run_bench

    report = run_bench(BenchOptions(size=(160, 120), fps=60.0, seconds=0.6, warmup_s=0.2, pose_only=True),
                       pose_factory=fake_pose_factory(delay_s=0.005))
    results = report["results"]
    assert results["frames_out"] > 5 and results["sustained_fps"] > 10  # loose: the CPU may be shared
    assert results["latency_ms"]["pose"]["p95_ms"] >= 5.0
    assert report["hardware"]["cores"] >= 1
    text = format_report(report)
    assert "capture→label" in text and "sustained" in text


def test_looping_source_keeps_counting(tmp_path):
    from app.sources import LoopingSource

    source = LoopingSource(lambda: _image_source(3, fps=10.0), loops=2).open()
    frames = list(source.frames())
    assert [f.index for f in frames] == list(range(9))
    assert np.allclose([f.timestamp for f in frames], np.arange(9) / 10.0)
    assert source.frame_count == 9


@pytest.mark.parametrize("model", ["action.onnx", "action.pt"])
def test_tracks_batched_in_one_call_predict_as_one_by_one(model):
    """Two people cost one encoder call, and each gets what it would get alone (the shipped model, ORT and torch)."""
    from pathlib import Path

    from app.recogniser import open_runtime

    runtime = open_runtime(Path(__file__).resolve().parents[1] / "assets" / "models" / model, "auto")
    calls = []
    real_infer = runtime.infer

    def counting_infer(x):
        calls.append(x.shape[0])
        return real_infer(x)

    runtime.infer = counting_infer
    T = runtime.meta.window
    windows = []
    for track, hz in ((1, 1.0), (2, 0.0)):
        world = np.stack([stick_world(t / 30, wave_hz=hz) for t in range(T)])
        windows.append(Window(track_id=track, keypoint=world, score=np.ones((T, 33), np.float32), start_time=0.0,
                              end_time=(T - 1) / 30, end_frame=T - 1))
    together = Recogniser(runtime).predict(windows)
    assert calls == [2]
    alone = {}
    for window in windows:
        alone.update(Recogniser(runtime).predict([window]))
    assert calls == [2, 1, 1] and set(together) == set(alone) == {1, 2}
    for track in (1, 2):
        a, b = together[track], alone[track]
        assert a.raw_label == b.raw_label and a.label == b.label
        assert a.raw_score == pytest.approx(b.raw_score, abs=1e-5)
        assert np.allclose(a.embedding, b.embedding, atol=1e-5)
