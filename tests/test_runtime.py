"""Runtimes and backend selection: ONNX Runtime CPU, the fallback chain (providers read back from the session),
the TensorRT engine cache and builder against a fake `tensorrt` module, calibration data. GPU tests skip here."""

from __future__ import annotations

import logging
import sys
import types

import numpy as np
import pytest
import torch

from aclnet_core.errors import UserError
from aclnet_core.export import calibration, tensorrt_build
from aclnet_core.export.calibration import ClipBatcher, load_calibration_clips
from aclnet_core.export.engine_cache import EngineCache, EngineKey
from aclnet_core.export.onnx_export import torch_to_onnx
from aclnet_core.export.tensorrt_build import BuildOptions, get_or_build_engine
from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.metadata import ModelMetadata
from aclnet_core.model.presets import EncoderPreset
from aclnet_core.runtime import select
from aclnet_core.runtime.base import load_runtime
from aclnet_core.runtime.onnx_runtime import OnnxRuntime, read_onnx_metadata
from aclnet_core.runtime.select import load_onnx_runtime

PREPROCESS = {"layout": "kinect20", "window": 16, "num_person": 1, "modality": "j", "center": True, "scale": True,
              "align": False}
SAMPLE = (1, 16, 20, 3)
HAS_CUDA = torch.cuda.is_available()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A two-block ACLNet exported to ONNX (a small graph keeps the export to a few seconds)."""
    torch.manual_seed(0)
    model = ACLNet(4, 20, 3, EncoderPreset("tiny-test", (8, 16), (1, 2))).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("alpha", "beta")) or name.startswith("fc."):
                param.normal_(0, 0.5)
    meta = ModelMetadata("action", list("abcd"), "tiny-test", 20, 3, 16, dict(PREPROCESS))
    proto, _ = torch_to_onnx(model, meta)
    path = tmp_path_factory.mktemp("tiny") / "tiny.onnx"
    path.write_bytes(proto.SerializeToString())
    return {"model": model, "meta": meta, "path": path}


def _input(batch: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((batch, *SAMPLE)).astype(np.float32)


# ---------------------------------------------------------------- ONNX Runtime CPU

def test_onnxruntime_cpu_matches_torch_and_checks_shapes(tiny):
    runtime = load_runtime(tiny["path"], "onnxruntime-cpu")
    assert runtime.backend == "onnxruntime-cpu" and runtime.providers == ["CPUExecutionProvider"]
    assert runtime.meta == tiny["meta"] == read_onnx_metadata(tiny["path"])
    x = _input(5)
    logits, embedding = runtime.infer(x)
    with torch.inference_mode():
        ref = [t.numpy() for t in tiny["model"].inference_forward(torch.from_numpy(x))]
    np.testing.assert_allclose(logits, ref[0], atol=1e-4)
    np.testing.assert_allclose(embedding, ref[1], atol=1e-4)
    with pytest.raises(UserError, match=r"model input must be \(N, 1, 16, 20, 3\)"):
        runtime.infer(np.zeros((1, 1, 16, 25, 3), np.float32))


def test_onnx_without_metadata_or_unreadable_is_a_user_error(tmp_path, tiny):
    import onnx
    proto = onnx.load(str(tiny["path"]))
    del proto.metadata_props[:]
    onnx.save(proto, str(tmp_path / "bare.onnx"))
    with pytest.raises(UserError, match="no ACLNet metadata"):
        load_onnx_runtime(tmp_path / "bare.onnx", "onnxruntime-cpu")
    (tmp_path / "junk.onnx").write_bytes(b"\x00garbage")
    with pytest.raises(UserError, match="not a readable ONNX model"):
        load_onnx_runtime(tmp_path / "junk.onnx")
    with pytest.raises(UserError, match="unknown backend"):
        load_onnx_runtime(tiny["path"], "openvino")


def test_thread_and_spinning_settings_come_from_the_environment(monkeypatch):
    from aclnet_core.runtime.onnx_runtime import OrtOptions, default_cpu_threads, default_spinning, session_options
    monkeypatch.delenv("ACLNET_ORT_THREADS", raising=False)
    monkeypatch.delenv("ACLNET_ORT_SPIN", raising=False)
    assert default_cpu_threads() == 1 and default_spinning() is False
    monkeypatch.setenv("ACLNET_ORT_THREADS", "2")
    monkeypatch.setenv("ACLNET_ORT_SPIN", "1")
    assert default_cpu_threads() == 2 and default_spinning() is True
    assert session_options(OrtOptions()).intra_op_num_threads == 2
    assert session_options(OrtOptions(threads=3)).intra_op_num_threads == 3
    monkeypatch.setenv("ACLNET_ORT_THREADS", "two")
    with pytest.raises(UserError, match="ACLNET_ORT_THREADS"):
        default_cpu_threads()
    monkeypatch.setenv("ACLNET_ORT_SPIN", "yes")
    with pytest.raises(UserError, match="ACLNET_ORT_SPIN"):
        default_spinning()


# ---------------------------------------------------------------- fallback chain

def test_auto_without_tensorrt_falls_back_to_cpu_with_one_notice(monkeypatch, caplog, tiny):
    monkeypatch.setitem(sys.modules, "tensorrt", None)                    # `import tensorrt` raises ImportError
    with caplog.at_level(logging.WARNING, logger="aclnet_core.runtime.select"):
        runtime = load_onnx_runtime(tiny["path"], "auto")
    assert runtime.backend == "onnxruntime-cpu"
    assert [s.split(":")[0] for s in runtime.fallback] == ["tensorrt", "onnxruntime-cuda"]
    assert "tensorrt is not installed" in runtime.fallback[0]
    notices = [r.getMessage() for r in caplog.records]
    assert len(notices) == 1 and "\n" not in notices[0] and notices[0].startswith("inference backend: onnxruntime-cpu")


def test_explicit_gpu_backend_that_onnxruntime_drops_silently_is_refused(monkeypatch, tiny):
    # Pretend the build lists CUDA: ONNX Runtime then opens the session on CPU without an error, and only
    # session.get_providers() shows it. An explicit request must fail; 'auto' must say it fell back.
    monkeypatch.setattr(select, "available_onnx_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    with pytest.raises(UserError, match="would run CPUExecutionProvider"):
        load_onnx_runtime(tiny["path"], "onnxruntime-cuda")
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    runtime = load_onnx_runtime(tiny["path"], "auto")
    assert runtime.backend == "onnxruntime-cpu"
    assert "could not start CUDAExecutionProvider" in runtime.fallback[1]


def test_auto_prefers_tensorrt_when_it_runs(monkeypatch, caplog, tiny):
    stub = types.SimpleNamespace(backend="tensorrt", meta=tiny["meta"], infer=lambda x: None)
    monkeypatch.setattr(select, "_open_tensorrt", lambda path, precision, max_batch: stub)
    with caplog.at_level(logging.WARNING):
        assert load_onnx_runtime(tiny["path"]) is stub
    assert stub.fallback == [] and not caplog.records


def test_auto_with_fake_tensorrt_falls_back_on_no_gpu_and_on_build_errors(monkeypatch, tmp_path, tiny):
    fake = FakeTensorRT(parse_ok=False)
    monkeypatch.setitem(sys.modules, "tensorrt", fake)
    monkeypatch.setenv("ACLNET_ENGINE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    runtime = load_onnx_runtime(tiny["path"])
    assert runtime.backend == "onnxruntime-cpu" and "no CUDA GPU" in runtime.fallback[0]
    monkeypatch.setattr(tensorrt_build, "cuda_device_name", lambda device=0: "Fake GPU")
    runtime = load_onnx_runtime(tiny["path"])
    assert runtime.backend == "onnxruntime-cpu"
    assert "TensorRT cannot parse tiny.onnx: fake parse error" in runtime.fallback[0]
    assert fake.builds == 0 and not list((tmp_path / "cache").glob("*.engine"))
    with pytest.raises(UserError, match="cannot parse"):                   # explicit: a one-line error
        load_onnx_runtime(tiny["path"], "tensorrt")


# ---------------------------------------------------------------- fake tensorrt

class FakeTensorRT(types.ModuleType):
    """Just enough of the TensorRT Python API for the builder code; records what it was asked to do."""

    def __init__(self, version: str = "10.3.0", parse_ok: bool = True) -> None:
        super().__init__("tensorrt")
        self.__version__ = version
        self.builds = 0
        self.configs: list = []
        fake = self

        class Logger:
            WARNING = 2

            def __init__(self, level=None) -> None:
                self.level = level

        class Profile:
            def __init__(self) -> None:
                self.shapes = {}

            def set_shape(self, name, lo, opt, hi) -> None:
                self.shapes[name] = (tuple(lo), tuple(opt), tuple(hi))

        class Config:
            def __init__(self) -> None:
                self.flags, self.profiles, self.pools = set(), [], {}
                self.int8_calibrator = self.calibration_profile = None

            def set_flag(self, flag) -> None:
                self.flags.add(flag)

            def set_memory_pool_limit(self, pool, size) -> None:
                self.pools[pool] = size

            def add_optimization_profile(self, profile) -> int:
                self.profiles.append(profile)
                return len(self.profiles) - 1

            def set_calibration_profile(self, profile) -> None:
                self.calibration_profile = profile

        class Parser:
            def __init__(self, network, logger) -> None:
                self.num_errors = 0 if parse_ok else 1

            def parse(self, data: bytes) -> bool:
                return parse_ok and data[:1] != b""

            def get_error(self, index: int) -> str:
                return "fake parse error"

        class Builder:
            def __init__(self, logger) -> None:
                pass

            def create_network(self, flags: int = 0):
                fake.network_flags = flags
                return object()

            def create_builder_config(self):
                fake.configs.append(Config())
                return fake.configs[-1]

            def create_optimization_profile(self):
                return Profile()

            def build_serialized_network(self, network, config):
                fake.builds += 1
                return b"fake-engine:" + ",".join(sorted(config.flags)).encode()

        self.Logger, self.Builder, self.OnnxParser = Logger, Builder, Parser
        self.NetworkDefinitionCreationFlag = types.SimpleNamespace(EXPLICIT_BATCH=0)
        self.BuilderFlag = types.SimpleNamespace(FP16="FP16", INT8="INT8")
        self.MemoryPoolType = types.SimpleNamespace(WORKSPACE="WORKSPACE")


def test_fake_tensorrt_build_sets_profile_precision_and_uses_the_cache(tmp_path, tiny):
    fake, cache = FakeTensorRT(), EngineCache(tmp_path)
    path, key, hit = get_or_build_engine(tiny["path"], BuildOptions("fp16", max_batch=8), cache, fake, "Fake GPU")
    assert not hit and fake.builds == 1 and path.read_bytes() == b"fake-engine:FP16"
    config = fake.configs[-1]
    assert config.profiles[0].shapes["skeleton"] == ((1, *SAMPLE), (4, *SAMPLE), (8, *SAMPLE))
    assert config.pools["WORKSPACE"] == 1024 << 20 and fake.network_flags == 0      # TensorRT 10: implicit flag
    assert (key.trt_version, key.gpu_name, key.precision, key.max_batch) == ("10.3.0", "Fake GPU", "fp16", 8)
    again, _, hit = get_or_build_engine(tiny["path"], BuildOptions("fp16", max_batch=8), cache, fake, "Fake GPU")
    assert hit and again == path and fake.builds == 1
    fp32, _, hit = get_or_build_engine(tiny["path"], BuildOptions("fp32", max_batch=8), cache, fake, "Fake GPU")
    assert not hit and fp32 != path and fp32.read_bytes() == b"fake-engine:"
    get_or_build_engine(tiny["path"], BuildOptions("fp16", max_batch=8), cache, FakeTensorRT("10.4.0"), "Fake GPU")
    get_or_build_engine(tiny["path"], BuildOptions("fp16", max_batch=8), cache, fake, "Other GPU")
    assert len(cache.entries()) == 4 and fake.builds == 3


def test_fake_tensorrt_int8_uses_a_calibrator_and_a_pinned_calibration_profile(monkeypatch, tmp_path, tiny):
    fake = FakeTensorRT("8.6.1")
    seen = {}

    def fake_calibrator(trt, clips, batch, cache_file=None):
        seen.update(clips=clips.shape, batch=batch)
        return "calibrator"
    monkeypatch.setattr(calibration, "make_entropy_calibrator", fake_calibrator)
    clips = _input(40)
    options = BuildOptions("int8", max_batch=32, calibration=clips, calib_batch=16)
    _, key, _ = get_or_build_engine(tiny["path"], options, EngineCache(tmp_path), fake, "Fake GPU")
    config = fake.configs[-1]
    assert config.flags == {"FP16", "INT8"} and config.int8_calibrator == "calibrator"
    assert config.calibration_profile.shapes["skeleton"] == ((16, *SAMPLE),) * 3
    assert seen == {"clips": clips.shape, "batch": 16}
    assert fake.network_flags == 1                                   # TensorRT 8: explicit-batch flag set
    assert key.calib_id and key.calib_id != BuildOptions("int8", 32, calibration=clips[:20]).calib_id()
    with pytest.raises(UserError, match="INT8 needs calibration"):
        BuildOptions("int8")


def test_engine_cache_keys_atomic_writes_and_mismatched_sidecars(tmp_path):
    cache = EngineCache(tmp_path)
    key = EngineKey("ab" * 32, "10.3.0", "NVIDIA H100", "fp16", 64)
    variants = [EngineKey("cd" * 32, "10.3.0", "NVIDIA H100", "fp16", 64),
                EngineKey("ab" * 32, "10.4.0", "NVIDIA H100", "fp16", 64),
                EngineKey("ab" * 32, "10.3.0", "NVIDIA A100", "fp16", 64),
                EngineKey("ab" * 32, "10.3.0", "NVIDIA H100", "int8", 64),
                EngineKey("ab" * 32, "10.3.0", "NVIDIA H100", "fp16", 128)]
    assert len({key.digest(), *(v.digest() for v in variants)}) == 6
    assert cache.get(key) is None

    def failing_build() -> bytes:
        raise RuntimeError("builder crashed")
    with pytest.raises(RuntimeError):
        cache.get_or_build(key, failing_build)
    assert list(tmp_path.iterdir()) == []                             # nothing half-written
    path, hit = cache.get_or_build(key, lambda: b"engine-bytes")
    assert not hit and path.read_bytes() == b"engine-bytes" and cache.get(key) == path
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".engine", ".json"]
    sidecar = path.with_suffix(".json")
    sidecar.write_text(sidecar.read_text().replace("NVIDIA H100", "NVIDIA L4"))   # entry for another key
    assert cache.get(key) is None
    assert cache.get_or_build(key, lambda: b"rebuilt") == (path, False) and path.read_bytes() == b"rebuilt"


def test_engine_cache_defaults_to_env_or_user_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("ACLNET_ENGINE_CACHE", str(tmp_path / "engines"))
    assert EngineCache().root == tmp_path / "engines"
    monkeypatch.delenv("ACLNET_ENGINE_CACHE")
    assert EngineCache().root.name == "tensorrt" and "aclnet-live" in str(EngineCache().root)


# ---------------------------------------------------------------- calibration data

def test_calibration_clips_from_arrays_and_recordings(tmp_path, tiny):
    from aclnet_core.data.recording import save_recording
    from aclnet_core.data.sequence import SkeletonSequence
    meta = tiny["meta"]
    np.save(tmp_path / "prepared.npy", _input(6))
    rng = np.random.default_rng(0)
    for i in range(2):
        seq = SkeletonSequence(rng.standard_normal((1, 40, 20, 3)).astype(np.float32), -1, "kinect20", f"r{i}")
        save_recording(tmp_path / f"rec{i}.npz", seq, "wave", 30.0)
    clips = load_calibration_clips([tmp_path], meta)
    assert clips.shape == (8, *SAMPLE) and clips.dtype == np.float32 and np.isfinite(clips).all()
    assert load_calibration_clips(_input(10), meta, limit=4).shape == (4, *SAMPLE)
    with pytest.raises(UserError, match="the model needs"):
        load_calibration_clips(np.zeros((3, 1, 16, 25, 3), np.float32), meta)
    with pytest.raises(UserError, match="not found"):
        load_calibration_clips([tmp_path / "missing"], meta)
    batcher = ClipBatcher(clips, 3)
    batches = [batcher.next() for _ in range(3)]
    assert len(batcher) == 2 and [b.shape[0] for b in batches[:2]] == [3, 3] and batches[2] is None


# ---------------------------------------------------------------- GPU (skip without CUDA; run where one exists)

@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU")
def test_gpu_torch_cuda_fp16_matches_cpu(tiny, record_property):
    import copy

    from aclnet_core.runtime.torch_runtime import TorchRuntime
    runtime = TorchRuntime(copy.deepcopy(tiny["model"]), tiny["meta"], device="cuda")
    record_property("gpu_backend", runtime.backend)
    x = _input(8)
    _, embedding = runtime.infer(x)
    with torch.inference_mode():
        ref = [t.numpy() for t in tiny["model"].cpu().inference_forward(torch.from_numpy(x))]
    assert runtime.backend == "torch-cuda-fp16"
    np.testing.assert_allclose(embedding, ref[1], atol=2e-2)


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU")
def test_gpu_onnxruntime_cuda(tiny, record_property):
    if "CUDAExecutionProvider" not in select.available_onnx_providers():
        pytest.skip("onnxruntime has no CUDAExecutionProvider (install onnxruntime-gpu)")
    runtime = load_onnx_runtime(tiny["path"], "onnxruntime-cuda")
    record_property("gpu_backend", runtime.backend)
    x = _input(8)
    cpu = OnnxRuntime(tiny["path"]).infer(x)
    for got, ref in zip(runtime.infer(x), cpu):
        np.testing.assert_allclose(got, ref, atol=1e-3)


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU")
def test_gpu_tensorrt_engine_runs_and_is_cached(tiny, tmp_path, record_property):
    pytest.importorskip("tensorrt")
    from aclnet_core.runtime.tensorrt_runtime import TensorRTRuntime
    cache = EngineCache(tmp_path)
    runtime = TensorRTRuntime.from_onnx(tiny["path"], "fp16", max_batch=8, cache=cache)
    record_property("gpu_backend", runtime.backend)
    x = _input(20)                                                    # > max batch: runs in chunks
    cpu = OnnxRuntime(tiny["path"]).infer(x)
    for got, ref in zip(runtime.infer(x), cpu):
        np.testing.assert_allclose(got, ref, atol=3e-2)
    assert len(cache.entries()) == 1
    TensorRTRuntime.from_onnx(tiny["path"], "fp16", max_batch=8, cache=cache)
    assert len(cache.entries()) == 1
