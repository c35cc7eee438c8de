"""Recover a BERT classifier's torch weights from its shipped int8 ONNX export, to continue training from it.

Dynamic int8 quantisation keeps every weight as ``(q - zero_point) · scale`` (one scale per tensor), so the
weights come back exactly as the int8 model uses them. Quantised matrices are found through the MatMul node
that reads them (the exporter names nodes after modules: ``/inner/bert/encoder/layer.0/attention/self/query/``);
biases and LayerNorm weights are stored as they were, under their module names.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

PREFIX = "inner."
_MATMUL = re.compile(r"^/inner/(.+)/(?:Gemm_)?MatMul_quant$")


def _dequantized(values: dict[str, np.ndarray], name: str) -> np.ndarray:
    stem = name.removesuffix("_quantized")
    q = values[name].astype(np.float32)
    return (q - values[f"{stem}_zero_point"].astype(np.float32)) * values[f"{stem}_scale"].astype(np.float32)


def bert_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """``state_dict`` entries (transformers names) of the BERT classifier exported to ``path``."""
    model = onnx.load(str(path))
    values = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    state: dict[str, torch.Tensor] = {}
    for node in model.graph.node:
        match = _MATMUL.match(node.name)
        if node.op_type == "MatMulInteger" and match:
            module = match.group(1).replace("/", ".")
            weight = _dequantized(values, node.input[1])  # (in, out); torch's Linear keeps (out, in)
            state[f"{module}.weight"] = torch.from_numpy(np.ascontiguousarray(weight.T))
    for name, array in values.items():
        if not name.startswith(PREFIX) or name.endswith(("_scale", "_zero_point")):
            continue
        if name.endswith("_quantized"):
            if "_Transposed" in name:
                continue  # a matrix read by a MatMul node: done above
            state[name.removeprefix(PREFIX).removesuffix("_quantized")] = torch.from_numpy(_dequantized(values, name))
        else:
            state[name.removeprefix(PREFIX)] = torch.from_numpy(array.astype(np.float32))
    return state
