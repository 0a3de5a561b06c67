"""A tiny background-removal ONNX model built at test time with the `onnx` package.

No real cutout model can be downloaded here, so the model plumbing (store, check, import,
onnxruntime session, pre- and post-processing) is tested with this one: its "logits" are four
times the mean of the normalised colour channels, so a bright subject on a dark backdrop comes
out as the subject. It tests the plumbing, not cutout quality. The hostile variants keep their
weights in another file or call a custom operator.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SIDE = 64


def tiny_cutout_model(path: Path, *, external: bool = False, custom_op: bool = False) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    scale = numpy_helper.from_array(np.array([4.0], np.float32), name="scale")
    mean = helper.make_node("ReduceMean", ["input"], ["mean"], axes=[1], keepdims=1)
    domain = "com.example.custom" if custom_op else ""
    logits = helper.make_node("Mul", ["mean", "scale"], ["output"], domain=domain)
    graph = helper.make_graph(
        [mean, logits],
        "tiny-cutout",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, SIDE, SIDE])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, SIDE, SIDE])],
        initializer=[scale],
    )
    opsets = [helper.make_opsetid("", 13)] + ([helper.make_opsetid(domain, 1)] if custom_op else [])
    model = helper.make_model(graph, opset_imports=opsets, producer_name="sweedle-tests", ir_version=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    if external:
        onnx.save_model(
            model, str(path), save_as_external_data=True, location="weights.bin", size_threshold=0
        )
    else:
        onnx.save_model(model, str(path))
    return path


def bright_square(size: int = 256) -> np.ndarray:
    """RGBA: a white square (rows and columns size/4 to 3·size/4) on black; the model's subject."""
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4, :3] = 255
    return rgba
