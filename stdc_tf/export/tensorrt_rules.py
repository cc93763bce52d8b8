"""TensorRT 10's ONNX import rules, checked on the CPU before any GPU sees the file.

No GPU with TensorRT is at hand where the toolkit is built, and TensorRT's own parser reports a
refused Q/DQ or operator deep inside an engine build. :func:`tensorrt_violations` reads an ONNX
model (a ``ModelProto`` or a path) and lists, one line each naming the node (name and op type)
and the rule, what TensorRT 10's parser (onnx-tensorrt) or builder would refuse:

* opset: the default-domain opset is within the range TensorRT 10 imports (9..20); a node of
  another domain needs a plugin;
* operators: every op is in TensorRT 10's supported-operator list, kept as data with its source
  in ``tensorrt_onnx_ops.json`` (onnx-tensorrt ``docs/operators.md``), plus the Resize modes the
  same table restricts;
* Q/DQ: zero points present, constant, INT8 and all 0 (TensorRT takes symmetric quantization
  only; a UINT8 zero point is refused); scales constant, float, positive and finite; zero point
  and scale of the same shape; per-channel only on constant weights (activations are per-tensor),
  with a valid ``axis`` and a scale of shape ``(weight.shape[axis],)``; a weight feeding Conv or
  Gemm quantized along its output channels (axis 0);
* dynamic dimensions: only the batch dimension (the first) of the one image input, which the
  engine's optimization profile covers; any other dynamic dimension needs a given input size
  (``input_size``) from which the profile is made.

:func:`check_tensorrt_onnx` raises one :class:`~stdc_tf.export.ExportError` line listing the
first few violations and their count.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.export import ExportError

OPERATORS_FILE = Path(__file__).with_name("tensorrt_onnx_ops.json")
DEFAULT_DOMAINS = ("", "ai.onnx")
QDQ_OPS = ("QuantizeLinear", "DequantizeLinear")
SHOWN = 3   # violations named in the one-line error
WEIGHT_AXIS_ZERO_OPS = ("Conv", "Gemm", "MatMul")   # per-output-channel weights are along axis 0


@functools.lru_cache(maxsize=1)
def operator_table() -> dict[str, Any]:
    """TensorRT 10's ONNX operator table (see the file's ``source``)."""
    return json.loads(OPERATORS_FILE.read_text(encoding="utf-8"))


def _load(model: Any) -> Any:
    import onnx

    if isinstance(model, (str, Path)):
        path = Path(model)
        if not path.is_file():
            raise FileNotFoundError(f"ONNX model not found: {path}")
        try:
            return onnx.load(str(path))
        except Exception as exc:  # protobuf raises DecodeError and others for bad files
            raise ExportError(f"{path}: not a readable ONNX model ({type(exc).__name__})") from None
    return model


def _node(node: Any) -> str:
    return f"node '{node.name or node.output[0]}' ({node.op_type})"


def _attr(node: Any, name: str, default: Any = None) -> Any:
    from onnx import helper

    for a in node.attribute:
        if a.name == name:
            value = helper.get_attribute_value(a)
            return value.decode() if isinstance(value, bytes) else value
    return default


def _constants(graph: Any) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    found = {init.name: init for init in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            found[node.output[0]] = node.attribute[0].t
    return {name: (tensor, numpy_helper.to_array(tensor)) for name, tensor in found.items()}


def _check_qdq(node: Any, consts: dict, consumers: dict, table: dict) -> list[str]:
    from onnx import TensorProto

    where, out = _node(node), []
    if len(node.input) < 3 or not node.input[2]:
        return [f"{where}: no zero point (ONNX then means UINT8); TensorRT needs an INT8 zero point 0"]
    scale, zero = consts.get(node.input[1]), consts.get(node.input[2])
    if zero is None:
        out.append(f"{where}: zero point '{node.input[2]}' is not a constant")
    else:
        kind = TensorProto.DataType.Name(zero[0].data_type)
        if kind not in table["quantized_types"]:
            out.append(f"{where}: zero point is {kind}; TensorRT takes INT8 (symmetric) only")
        if np.any(zero[1] != 0):
            out.append(f"{where}: zero point is not 0 (values {np.unique(zero[1])[:4].tolist()}); "
                       f"TensorRT takes symmetric quantization only")
    if scale is None:
        return [*out, f"{where}: scale '{node.input[1]}' is not a constant"]
    kind = TensorProto.DataType.Name(scale[0].data_type)
    if kind not in ("FLOAT", "FLOAT16", "BFLOAT16"):
        out.append(f"{where}: scale is {kind}, not a float type")
    elif not (np.isfinite(scale[1]).all() and (scale[1] > 0).all()):
        out.append(f"{where}: scale has zero, negative or non-finite values")
    if zero is not None and zero[1].shape != scale[1].shape:
        out.append(f"{where}: zero point shape {zero[1].shape} differs from scale shape {scale[1].shape}")
    if scale[1].size <= 1 and scale[1].ndim <= 1:
        return out
    # per-channel
    data = consts.get(node.input[0])
    if data is None:
        return [*out, f"{where}: per-channel scale {scale[1].shape} on an activation; TensorRT quantizes "
                      f"activations per tensor (per-channel only for constant weights)"]
    rank, axis = data[1].ndim, _attr(node, "axis", 1)
    if scale[1].ndim != 1:
        out.append(f"{where}: per-channel scale must be 1-D, got shape {scale[1].shape}")
    if not -rank <= axis < rank:
        return [*out, f"{where}: axis {axis} out of range for a rank-{rank} weight"]
    axis %= rank
    if scale[1].shape != (data[1].shape[axis],):
        out.append(f"{where}: scale shape {scale[1].shape} != ({data[1].shape[axis]},), the weight's "
                   f"dimension {axis}")
    users = consumers.get(node.output[0], [])
    if axis != 0 and any(u.op_type in WEIGHT_AXIS_ZERO_OPS for u in users):
        out.append(f"{where}: weight quantized along axis {axis}; TensorRT takes per-output-channel "
                   f"weights along axis 0 for {users[0].op_type}")
    if node.op_type == "DequantizeLinear":
        kind = TensorProto.DataType.Name(data[0].data_type)
        if kind not in table["quantized_types"]:
            out.append(f"{where}: dequantizes a {kind} weight; TensorRT takes INT8 weights")
    return out


def _check_resize(node: Any, rules: dict) -> list[str]:
    out = []
    for name, default in (("coordinate_transformation_mode", "half_pixel"), ("mode", "nearest"),
                          ("nearest_mode", "round_prefer_floor"), ("antialias", 0)):
        value = _attr(node, name, default)
        if name == "nearest_mode" and _attr(node, "mode", "nearest") != "nearest":
            continue
        if value not in rules[name]:
            out.append(f"{_node(node)}: {name} {value!r} is not one TensorRT 10 supports "
                       f"({', '.join(map(str, rules[name]))})")
    return out


def _check_inputs(graph: Any, input_size: Sequence[int] | None) -> list[str]:
    initializers = {init.name for init in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    out = []
    for index, info in enumerate(inputs):
        dims = info.type.tensor_type.shape.dim
        for d, dim in enumerate(dims):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                continue
            if index == 0 and d == 0:
                continue   # the batch: the optimization profile's min/opt/max
            if index == 0 and input_size is not None:
                continue   # the profile is made from the given size
            label = dim.dim_param or "?"
            out.append(f"input '{info.name}' (graph input): dimension {d} is dynamic ({label}); only the "
                       f"batch of the image input is covered by an optimization profile, so export with "
                       f"a fixed input size or give the size the profile is made for")
    return out


def tensorrt_violations(model: Any, input_size: Sequence[int] | None = None) -> list[str]:
    """Every TensorRT 10 ONNX import rule ``model`` (``ModelProto`` or path) breaks, one line each.

    ``input_size``: the (H, W) an optimization profile will be made for; without it only the
    batch dimension may be dynamic.
    """
    table = operator_table()
    proto = _load(model)
    graph = proto.graph
    out = []
    opsets = {o.domain: o.version for o in proto.opset_import}
    version = next((opsets[d] for d in DEFAULT_DOMAINS if d in opsets), None)
    if version is None or not table["opset_min"] <= version <= table["opset_max"]:
        out.append(f"model: ONNX opset {version} is outside TensorRT 10's range "
                   f"{table['opset_min']}..{table['opset_max']}")
    out += _check_inputs(graph, input_size)
    consts = _constants(graph)
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    supported = table["supported"]
    for node in graph.node:
        if node.domain not in DEFAULT_DOMAINS:
            out.append(f"{_node(node)}: op of domain '{node.domain}' needs a TensorRT plugin")
            continue
        if node.op_type not in supported:
            out.append(f"{_node(node)}: op not in TensorRT 10's supported ONNX operators")
            continue
        if node.op_type in QDQ_OPS:
            out += _check_qdq(node, consts, consumers, table)
        elif node.op_type == "Resize":
            out += _check_resize(node, table["resize"])
    return out


def check_tensorrt_onnx(model: Any, input_size: Sequence[int] | None = None, name: str | None = None) -> None:
    """Raise one :class:`ExportError` line if ``model`` breaks any TensorRT 10 import rule."""
    found = tensorrt_violations(model, input_size)
    if found:
        label = name or (str(model) if isinstance(model, (str, Path)) else "ONNX model")
        more = f" (+{len(found) - SHOWN} more)" if len(found) > SHOWN else ""
        raise ExportError(f"{label}: {len(found)} TensorRT 10 import rule violation(s): "
                          f"{'; '.join(found[:SHOWN])}{more}")


def qdq_summary(model: Any) -> dict[str, int]:
    """Q/DQ node count and how many of them the rules refuse (for reports and tests)."""
    proto = _load(model)
    qdq = [n for n in proto.graph.node if n.op_type in QDQ_OPS]
    names = {n.name or n.output[0] for n in qdq}
    refused = {line.split("'")[1] for line in tensorrt_violations(proto) if line.startswith("node '")}
    return {"qdq_nodes": len(qdq), "refused": len(refused & names)}
