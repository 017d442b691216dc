"""How much faster ONNX Runtime's int8 matrix products are than fp32 ones on this CPU, at the text encoder's shapes.

all-MiniLM-L6-v2 spends its time in six layers of dense products: per token, four 384x384 (query, key, value,
attention output), one 384x1536 and one 1536x384 (the feed-forward pair). This times each shape alone, fp32
against dynamic int8 with per-channel weights (what `interest_units/onnx_encoder.py` builds), on a batch of
64 texts of 23 tokens (the median listing text), best of 3 rounds. The int8 / fp32 ratio of these products alone
bounds what int8 can give the whole encoder: the rest of the graph (attention softmax, layer norms, GELU,
quantising activations) only adds time.

    .venv/bin/python docs/benchmarks/int8_gemm_ceiling.py [THREADS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

TOKENS = 64 * 23  # rows of each product: a batch of 64 median-length listing texts
SHAPES = {(384, 384): 4, (384, 1536): 1, (1536, 384): 1}  # (in, out) -> products per layer
ROUNDS, REPEATS = 3, 60


def matmul_models(inputs: int, outputs: int, work: Path, rng: np.random.Generator) -> tuple[Path, Path]:
    """One MatMul by a random weight, as fp32 and as dynamic int8 (per-channel weights)."""
    weight = numpy_helper.from_array((rng.standard_normal((inputs, outputs)) * 0.05).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="dense")], "dense",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, inputs])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, outputs])], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    fp32, int8 = work / f"fp32_{inputs}x{outputs}.onnx", work / f"int8_{inputs}x{outputs}.onnx"
    onnx.save(model, str(fp32))
    quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QInt8)
    return fp32, int8


def seconds_per_call(path: Path, x: np.ndarray, threads: int) -> float:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    for _ in range(5):  # warm-up
        session.run(None, {"x": x})
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(REPEATS):
            session.run(None, {"x": x})
        best = min(best, (time.perf_counter() - start) / REPEATS)
    return best


def main(threads: int) -> None:
    rng = np.random.default_rng(0)
    layer = {"fp32": 0.0, "int8": 0.0}
    with tempfile.TemporaryDirectory() as work:
        for (inputs, outputs), count in SHAPES.items():
            fp32, int8 = matmul_models(inputs, outputs, Path(work), rng)
            x = rng.standard_normal((TOKENS, inputs)).astype(np.float32)
            seconds = {"fp32": seconds_per_call(fp32, x, threads), "int8": seconds_per_call(int8, x, threads)}
            gmacs = TOKENS * inputs * outputs / 1e9
            print(f"{TOKENS}x{inputs}x{outputs}: " + ", ".join(
                f"{kind} {s * 1e3:.2f} ms ({gmacs / s:.1f} GMAC/s)" for kind, s in seconds.items())
                + f", int8 x{seconds['fp32'] / seconds['int8']:.2f}")
            for kind in layer:
                layer[kind] += count * seconds[kind]
    print(f"one layer's products: fp32 {layer['fp32'] * 1e3:.1f} ms, int8 {layer['int8'] * 1e3:.1f} ms, "
          f"int8 x{layer['fp32'] / layer['int8']:.2f} ({threads} thread{'s' if threads > 1 else ''})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
