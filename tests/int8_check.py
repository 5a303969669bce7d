"""Is a static INT8 model worth offering? A speed probe (not a test; numbers for docs/RESULTS.md)

    python tests/int8_check.py MODEL.onnx [N,M,T,V,C]

Quantises MODEL statically with onnxruntime.quantization (QDQ, per-channel int8 weights, uint8 activations,
calibrated on 16 random windows: enough to time it, not to judge its accuracy) and times fp32 and int8 interleaved in
ONNX Runtime on 1 thread (median calling-thread CPU ms per call over 100 rounds).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main(src: str, shape: tuple[int, ...]) -> None:
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Windows(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter([{"skeleton": np.random.default_rng(i).standard_normal(shape).astype(np.float32)}
                               for i in range(16)])

        def get_next(self):
            return next(self.items, None)

    folder = Path(tempfile.mkdtemp(prefix="int8-"))
    quant_pre_process(src, str(folder / "pre.onnx"), skip_symbolic_shape=True)
    quantize_static(str(folder / "pre.onnx"), str(folder / "int8.onnx"), Windows(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sessions = [ort.InferenceSession(p, so, providers=["CPUExecutionProvider"]) for p in (src, str(folder / "int8.onnx"))]
    x = np.random.default_rng(99).standard_normal(shape).astype(np.float32)
    for s in sessions:
        for _ in range(10):
            s.run(None, {"skeleton": x})
    cpu: list[list[float]] = [[], []]
    for _ in range(100):
        for j, s in enumerate(sessions):
            c0 = time.thread_time()
            s.run(None, {"skeleton": x})
            cpu[j].append(time.thread_time() - c0)
    print(f"fp32 {np.median(cpu[0]) * 1e3:.2f} ms CPU, int8 {np.median(cpu[1]) * 1e3:.2f} ms CPU")


if __name__ == "__main__":
    main(sys.argv[1], tuple(int(v) for v in (sys.argv[2] if len(sys.argv) > 2 else "1,1,32,33,3").split(",")))
