"""ONNX export: single file, opset, metadata, dynamic batch, parity with torch, the TensorRT op-set check, errors."""

from __future__ import annotations

import argparse
import copy
import json

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from aclnet_core.errors import UserError
from aclnet_core.export import onnx_export, trt_ops
from aclnet_core.export.cli import add_export_parser, run_export_cli
from aclnet_core.export.graph_passes import merge_sibling_convs
from aclnet_core.export.onnx_export import MIN_OPSET, check_parity, default_opset, export_onnx
from aclnet_core.export.trt_ops import TRT_SUPPORTED_OPS, check_trt_ops
from aclnet_core.model.checkpoint import save_checkpoint
from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.metadata import ModelMetadata, weights_id
from aclnet_core.runtime.onnx_runtime import OnnxRuntime

PREPROCESS = {"layout": "kinect20", "window": 16, "num_person": 1, "modality": "j", "center": True, "scale": True,
              "align": False}
LABELS = ["wave", "walk", "sit"]


def randomized_lite(num_joints: int = 20, seed: int = 0) -> ACLNet:
    """A lite ACLNet with non-trivial weights (α, β, head, BN statistics), so parity compares real numbers."""
    torch.manual_seed(seed)
    model = ACLNet(len(LABELS), num_joints, 3, "lite")
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("alpha", "beta", "add_coeff")) or name.startswith("fc."):
                param.normal_(0, 0.5)
        model.train()
        for _ in range(2):
            model(torch.randn(4, 1, PREPROCESS["window"], num_joints, 3))
    return model.eval()


def write_checkpoint(path, model: ACLNet) -> ModelMetadata:
    state = model.state_dict()
    meta = ModelMetadata("action", LABELS, "lite", model.num_joints, 3, model.embed_dim, dict(PREPROCESS),
                         weights_id(state))
    save_checkpoint(path, {"meta": meta.to_dict(), "model": state})
    return meta


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One real export (the slow part, ~10 s), shared by the tests of this module."""
    folder = tmp_path_factory.mktemp("export")
    model = randomized_lite()
    meta = write_checkpoint(folder / "lite.pt", model)
    report = export_onnx(folder / "lite.pt")
    proto = onnx.load(str(report.path))
    return {"folder": folder, "model": model, "meta": meta, "report": report, "proto": proto}


def test_export_writes_one_self_contained_file_with_metadata(exported):
    report, proto, meta = exported["report"], exported["proto"], exported["meta"]
    assert report.path == exported["folder"] / "lite.onnx"
    assert sorted(p.name for p in exported["folder"].iterdir()) == ["lite.onnx", "lite.pt"]   # no external data
    assert not any(onnx.external_data_helper.uses_external_data(t) for t in proto.graph.initializer)
    assert default_opset(proto) == report.opset >= MIN_OPSET
    props = {p.key: p.value for p in proto.metadata_props}
    assert ModelMetadata.from_json(props["aclnet_meta"]) == meta
    assert json.loads(props["labels"]) == LABELS
    assert (props["layout"], props["window"]) == ("kinect20", "16")
    onnx.checker.check_model(proto)


def test_input_has_dynamic_batch_and_named_outputs(exported):
    proto = exported["proto"]
    (graph_input,) = proto.graph.input
    dims = graph_input.type.tensor_type.shape.dim
    assert graph_input.name == "skeleton"
    assert dims[0].dim_param and not dims[0].dim_value                     # symbolic batch
    assert [d.dim_value for d in dims[1:]] == [1, 16, 20, 3]
    assert [o.name for o in proto.graph.output] == ["logits", "embedding"]


def test_parity_with_torch_at_export_and_other_batches(exported):
    report = exported["report"]
    assert sorted(report.parity) == [1, 8, 64]
    assert all(diff <= 1e-4 for diff in report.parity.values())
    runtime = OnnxRuntime(report.path)
    x = np.random.default_rng(5).standard_normal((3, 1, 16, 20, 3)).astype(np.float32)
    logits, embedding = runtime.infer(x)
    with torch.inference_mode():
        ref_logits, ref_embedding = exported["model"].inference_forward(torch.from_numpy(x))
    assert np.abs(ref_logits.numpy()).max() > 1e-2                         # the comparison is not trivially 0 ≈ 0
    np.testing.assert_allclose(logits, ref_logits.numpy(), atol=1e-4)
    np.testing.assert_allclose(embedding, ref_embedding.numpy(), atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(embedding, axis=1), 1.0, atol=1e-5)


def test_parity_check_fails_for_other_weights(exported):
    other = randomized_lite(seed=1)
    with pytest.raises(UserError, match="parity check failed"):
        check_parity(other, exported["report"].path, batches=(1,))


def test_every_op_is_in_the_tensorrt_set(exported):
    report = check_trt_ops(exported["proto"])
    assert report.ok and exported["report"].trt_check == "ok"
    assert {"Conv", "MatMul", "Softmax"} <= set(report.op_types) <= TRT_SUPPORTED_OPS
    assert exported["report"].merged_convs > 0 and "Split" in report.op_types


def _reuse_export(monkeypatch, exported):
    """Skip the slow torch.export step: later stages run on a copy of the module's exported graph."""
    def fake_torch_to_onnx(model, meta, opset=18, merge_convs=True):
        proto = copy.deepcopy(exported["proto"])
        return proto, 0
    monkeypatch.setattr(onnx_export, "torch_to_onnx", fake_torch_to_onnx)


def test_unsupported_ops_fail_the_export_unless_disabled(monkeypatch, exported, tmp_path):
    _reuse_export(monkeypatch, exported)
    monkeypatch.setattr(trt_ops, "TRT_SUPPORTED_OPS", TRT_SUPPORTED_OPS - {"Tanh", "Softmax"})
    out = tmp_path / "model.onnx"
    with pytest.raises(UserError, match=r"not supported by TensorRT: Softmax, Tanh"):
        export_onnx(exported["folder"] / "lite.pt", out, parity_batches=())
    assert not out.exists() and not list(tmp_path.iterdir())
    report = export_onnx(exported["folder"] / "lite.pt", out, trt_check=False, parity_batches=())
    assert report.trt_check == "skipped" and out.is_file()


def test_opset_below_17_is_refused_before_and_after_export(monkeypatch, exported, tmp_path):
    with pytest.raises(UserError, match="opset 16"):
        export_onnx(exported["folder"] / "lite.pt", tmp_path / "a.onnx", opset=16)

    def downgraded(model, meta, opset=18, merge_convs=True):       # an exporter that silently changed the opset
        proto = copy.deepcopy(exported["proto"])
        proto.opset_import[0].version = 16
        return proto, 0
    monkeypatch.setattr(onnx_export, "torch_to_onnx", downgraded)
    with pytest.raises(UserError, match="wrote opset 16"):
        export_onnx(exported["folder"] / "lite.pt", tmp_path / "b.onnx")
    assert not (tmp_path / "b.onnx").exists()


def test_missing_or_malformed_checkpoint_is_a_one_line_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        export_onnx(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(UserError) as info:
        export_onnx(tmp_path / "junk.pt")
    assert "\n" not in str(info.value)
    torch.save({"meta": {"task": "action"}, "model": {}}, tmp_path / "nometa.pt")
    with pytest.raises(UserError, match="metadata"):
        export_onnx(tmp_path / "nometa.pt")


def test_check_trt_ops_names_custom_domains_and_non_constant_axes():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    axes = helper.make_tensor_value_info("axes", TensorProto.INT64, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4])
    nodes = [helper.make_node("Gelu", ["x"], ["g"], domain="com.microsoft"),
             helper.make_node("Unsqueeze", ["g", "axes"], ["y"], name="unsq")]
    graph = helper.make_graph(nodes, "g", [x, axes], [y])
    report = check_trt_ops(helper.make_model(graph))
    assert not report.ok
    assert report.unsupported == ["com.microsoft::Gelu"]
    assert report.non_constant == ["Unsqueeze(unsq): input 1"]


def _sibling_conv_model() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    inits = []
    nodes = []
    for i, relu in enumerate((True, True, False)):
        inits += [numpy_helper.from_array(rng.standard_normal((5 + i, 4, 1, 1)).astype(np.float32), f"w{i}"),
                  numpy_helper.from_array(rng.standard_normal(5 + i).astype(np.float32), f"b{i}")]
        nodes.append(helper.make_node("Conv", ["x", f"w{i}", f"b{i}"], [f"c{i}"], kernel_shape=[1, 1]))
        nodes.append(helper.make_node("Relu" if relu else "Neg", [f"c{i}"], [f"y{i}"]))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4, 3, 2])
    outs = [helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, ["n", 5 + i, 3, 2]) for i in range(3)]
    model = helper.make_model(helper.make_graph(nodes, "siblings", [x], outs, inits),
                              opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 10
    return model


def test_merge_sibling_convs_is_exact():
    import onnxruntime as ort
    model = _sibling_conv_model()
    merged = copy.deepcopy(model)
    assert merge_sibling_convs(merged) == 1                      # the two Conv→Relu merge; the plain Conv stays
    onnx.checker.check_model(merged)
    ops = [n.op_type for n in merged.graph.node]
    assert ops.count("Conv") == 2 and ops.count("Split") == 1 and ops.count("Relu") == 1
    x = np.random.default_rng(1).standard_normal((2, 4, 3, 2)).astype(np.float32)

    def run(m: onnx.ModelProto) -> list[np.ndarray]:
        return ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    for a, b in zip(run(model), run(merged)):
        np.testing.assert_array_equal(a, b)


def test_cli_exports_onnx_and_reports_missing_tensorrt(monkeypatch, exported, tmp_path, capsys):
    _reuse_export(monkeypatch, exported)
    monkeypatch.setattr(onnx_export, "check_parity", lambda model, path, batches, tol: {1: 0.0})
    parser = argparse.ArgumentParser()
    add_export_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["export", str(exported["folder"] / "lite.pt"), "-o", str(tmp_path / "cli.onnx")])
    assert args.func(args) == 0
    assert (tmp_path / "cli.onnx").is_file() and "TensorRT op check: ok" in capsys.readouterr().out
    monkeypatch.setitem(__import__("sys").modules, "tensorrt", None)       # `import tensorrt` → ImportError
    args = parser.parse_args(["export", str(exported["folder"] / "lite.pt"), "--format", "tensorrt",
                              "-o", str(tmp_path / "m.engine")])
    with pytest.raises(UserError, match="tensorrt is not installed"):
        run_export_cli(args)
    assert not (tmp_path / "m.engine").exists() and not (tmp_path / "m.onnx").exists()


def test_cli_releases_a_deployable_checkpoint_with_notes(tmp_path, capsys):
    """--format checkpoint drops the training state and adds --note facts to the metadata's extra."""
    from aclnet_core.model.checkpoint import load_checkpoint, model_from_checkpoint

    model = randomized_lite(seed=3)
    training = tmp_path / "best.pt"
    meta = write_checkpoint(training, model)
    payload = torch.load(training, weights_only=True)
    payload.update(optimizer={"state": 1}, rng=[1, 2], epoch=7, config={"name": "x"})
    torch.save(payload, training)
    parser = argparse.ArgumentParser()
    add_export_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "shipped.pt"
    args = parser.parse_args(["export", str(training), "--format", "checkpoint", "-o", str(out),
                              "--note", "heldout_top1=0.97", "--note", "training_data=synthetic", "--note", "n=3"])
    assert args.func(args) == 0 and "deployable checkpoint" in capsys.readouterr().out
    released = load_checkpoint(out, full=True)
    assert set(released) == {"meta", "model", "config"}
    assert released["meta"].extra == {"heldout_top1": 0.97, "training_data": "synthetic", "n": 3, "epoch": 7}
    assert released["meta"].model_id == meta.model_id
    loaded, _ = model_from_checkpoint(out)
    x = torch.randn(2, 1, PREPROCESS["window"], 20, 3)
    assert torch.equal(loaded(x).logits, model(x).logits)
    for bad in (["--note", "novalue"], []):
        args = parser.parse_args(["export", str(training), "--format", "checkpoint", *bad,
                                  *(["-o", str(tmp_path / "x.pt")] if bad else [])])
        with pytest.raises(UserError):
            run_export_cli(args)
    assert not (tmp_path / "x.pt").exists()


def test_parity_is_relative_to_outputs_above_one(monkeypatch, exported):
    """Logits of many classes reach 10-1000 on random inputs: float32 reordering then moves digits far above 1e-4."""
    model, meta = exported["model"], exported["meta"]

    class Shifted:
        """ONNX Runtime stand-in: torch's own outputs with logits scaled up and a relative error of 1e-6."""

        def __init__(self, *args, **kwargs):
            self.meta = meta

        def infer(self, x):
            with torch.inference_mode():
                logits, embedding = (t.numpy() for t in model.inference_forward(torch.from_numpy(x)))
            return [logits * 1e4 * (1 + 1e-6), embedding + self.embedding_error]

    big = type(model)(len(LABELS), model.num_joints, 3, "lite")
    big.load_state_dict(model.state_dict())
    with torch.no_grad():
        big.fc.weight.mul_(1e4)
        big.fc.bias.mul_(1e4)
    monkeypatch.setattr(onnx_export, "OnnxRuntime", Shifted)
    Shifted.embedding_error = 0.0
    diffs = check_parity(big.eval(), "unused.onnx", batches=(2,))
    assert diffs[2] <= 1e-5                                            # 1e-6 relative on logits of ~1e4
    Shifted.embedding_error = 1e-3                                    # the unit-norm embedding stays absolute
    with pytest.raises(UserError, match="parity check failed"):
        check_parity(big.eval(), "unused.onnx", batches=(2,))
