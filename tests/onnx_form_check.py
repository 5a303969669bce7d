"""Which graph should the ONNX export write? (not a test; numbers for docs/RESULTS.md)

    python tests/onnx_form_check.py PRESET WINDOW JOINTS [ITERS]

Exports one encoder (weights perturbed so that no term is zero) three ways — the baseline the plain way, the
product export (`torch_to_onnx`: training-form graph + merge_sibling_convs), and `fuse_for_inference(conv_ops=True)`
with the same graph pass — and times them in ONNX Runtime (the product's session options, 1 thread) interleaved;
prints median wall and calling-thread CPU ms and the CPU-time ratio to the baseline.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(preset: str, window: int, joints: int, iters: int = 100) -> None:
    from aclnet_core.bench import vs_baseline as vb
    from aclnet_core.export.graph_passes import merge_sibling_convs
    from aclnet_core.export.onnx_export import _quiet_exporter, set_metadata, torch_to_onnx
    from aclnet_core.model.fast_inference import fuse_for_inference
    from aclnet_core.runtime.onnx_runtime import INPUT_NAME, OUTPUT_NAMES, OnnxRuntime, OrtOptions
    from tests.test_baseline_encoder import trained_like

    torch.set_num_threads(1)
    model, meta = vb.encoder_for(None, preset, window, joints)
    model = trained_like(model)
    folder = Path(tempfile.mkdtemp(prefix="onnx-form-"))
    vb.plain_onnx(vb.baseline_from(model), meta, folder / "baseline.onnx")
    proto, _ = torch_to_onnx(model, meta)
    (folder / "product.onnx").write_bytes(proto.SerializeToString())
    with _quiet_exporter():
        program = torch.onnx.export(fuse_for_inference(model, conv_ops=True), (torch.zeros(meta.input_shape(2)),),
                                    dynamo=True, opset_version=18, optimize=True, input_names=[INPUT_NAME],
                                    output_names=list(OUTPUT_NAMES),
                                    dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=1 << 16)},))
    fused = program.model_proto
    merge_sibling_convs(fused)
    set_metadata(fused, meta)
    (folder / "fused.onnx").write_bytes(fused.SerializeToString())
    names = ("baseline", "product", "fused")
    options = OrtOptions(threads=1, spinning=False)
    fns = [OnnxRuntime(folder / f"{n}.onnx", options=options).infer for n in names]
    x = np.random.default_rng(0).standard_normal(meta.input_shape(1)).astype(np.float32)
    ref = fns[0](x)
    wall, cpu = vb.time_interleaved(fns, x, iters, 10)
    for j, name in enumerate(names):
        print(f"{name:9s} max|diff| {vb.max_relative_diff(fns[j](x), ref):.1e}  wall {np.median(wall[:, j]):7.2f} ms  "
              f"CPU {np.median(cpu[:, j]):7.2f} ms  CPU ratio {np.median(cpu[:, j] / cpu[:, 0]):.3f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *(int(a) for a in sys.argv[4:5]))
