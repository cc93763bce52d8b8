"""TensorRT 10's ONNX import rules, checked on the CPU before any GPU sees the file.

No GPU with TensorRT is at hand where the toolkit is built, and TensorRT's own parser reports a
refused Q/DQ or operator deep inside an engine build. :func:`tensorrt_violations` reads an ONNX
model (a ``ModelProto`` or a path) and lists, one line each naming the node (name and op type)
and the rule, what TensorRT 10's parser (onnx-tensorrt) or builder would refuse:

Each rule cites the line of onnx-tensorrt's ``onnxOpImporters.cpp`` / ``ModelImporter.cpp``
(branch release/10.1-GA) it mirrors, and is no stricter than that source:

* operators: every op is in TensorRT 10's supported-operator list, kept as data with its source
  in ``tensorrt_onnx_ops.json`` (onnx-tensorrt ``docs/operators.md``), plus the Resize modes the
  importer takes (nearest, linear, cubic); a node of another domain needs a plugin;
* Q/DQ: a zero point, when given, constant, INT8 (or INT4/FP8) and all 0 (symmetric only; UINT8
  is refused; none at all means INT8); scales constant, float, positive and finite; zero point
  and scale of the same element count; a scale of one element is per tensor whatever its rank;
  per-channel only on constant weights (also a float weight behind its own QuantizeLinear, the
  pytorch-quantization/ModelOpt pattern), a 1-D scale of the weight's ``axis`` dimension or a
  block scale of the weight's rank blocking one dimension (INT4 block quantization); a weight
  quantized along its consumer's output channels (Conv 0, MatMul's B last, Gemm's B 1 or 0);
* dynamic dimensions: only the batch dimension (the first) of the one image input, which the
  engine's optimization profile covers; any other dynamic dimension needs a given input size
  (``input_size``) from which the profile is made.

:func:`tensorrt_warnings` lists what the parser only warns about (an opset outside 9..20).
:func:`check_tensorrt_onnx` raises one :class:`~stdc_tf.export.ExportError` line listing the
first few violations and their count; ``convert/to_tensorrt.py --check-rules`` prints them all.
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


def _weight(node: Any, consts: dict, producers: dict) -> tuple | None:
    """The constant a Q/DQ node quantizes: its own input, or, for a DequantizeLinear fed by a
    QuantizeLinear of a float constant (pytorch-quantization/ModelOpt's weight pattern), that
    constant. ``None`` for an activation."""
    data = consts.get(node.input[0])
    source = producers.get(node.input[0])
    if data is None and node.op_type == "DequantizeLinear" and source is not None \
            and source.op_type == "QuantizeLinear":
        data = consts.get(source.input[0])
    return data


def _output_channel_axis(user: Any, rank: int) -> int | None:
    """The output-channel axis of a weight feeding ``user`` as its second input: Conv's KCRS
    kernel axis 0, MatMul's B [.., K, N] its last, Gemm's B 1 (0 with ``transB``). TensorRT fuses
    a per-channel weight DQ into these layers only along that axis (TensorRT developer guide,
    "Q/DQ layer placement": weights are quantized per output channel)."""
    if user.op_type == "Conv":
        return 0
    if user.op_type == "MatMul":
        return rank - 1
    if user.op_type == "Gemm":
        return 0 if _attr(user, "transB", 0) else 1
    return None


def _check_zero(where: str, zero: tuple | None, node: Any, table: dict) -> list[str]:
    from onnx import TensorProto

    if zero is None:
        return [f"{where}: zero point '{node.input[2]}' is not a constant"]
    out, kind = [], TensorProto.DataType.Name(zero[0].data_type)
    # ModelImporter's Q/DQ helper refuses a UINT8 zero point (onnxOpImporters.cpp L1352-1355,
    # release/10.1-GA) and non-zero values (L1482-1485: "TensorRT only supports symmetric")
    if kind not in table["quantized_types"]:
        out.append(f"{where}: zero point is {kind}; TensorRT takes INT8 (symmetric) only")
    if np.any(zero[1] != 0):
        out.append(f"{where}: zero point is not 0 (values {np.unique(zero[1])[:4].tolist()}); "
                   f"TensorRT takes symmetric quantization only")
    return out


def _check_blocks(where: str, data: np.ndarray, scale: np.ndarray) -> list[str]:
    """Block quantization (a scale of the data's rank; onnxOpImporters.cpp L1541-1560): exactly
    one blocked dimension, a whole number of elements per block."""
    if any(s == 0 or d % s for d, s in zip(data.shape, scale.shape)):
        return [f"{where}: block scale shape {scale.shape} does not divide the weight's {data.shape}"]
    blocked = [d // s for d, s in zip(data.shape, scale.shape)]
    if sum(b == 1 for b in blocked) != data.ndim - 1:
        return [f"{where}: block scale {scale.shape} of a {data.shape} weight blocks more than one "
                f"dimension; TensorRT takes a single blocking dimension"]
    return []


def _check_qdq(node: Any, consts: dict, producers: dict, consumers: dict, table: dict) -> list[str]:
    """The Q/DQ rules of onnxOpImporters.cpp ``QuantDequantLinearHelper`` (release/10.1-GA)."""
    from onnx import TensorProto

    where, out = _node(node), []
    has_zero = len(node.input) >= 3 and bool(node.input[2])
    # no zero point: "ONNX default is UINT8, TRT will default to INT8" (L1427-1429)
    zero = consts.get(node.input[2]) if has_zero else None
    if has_zero:
        out += _check_zero(where, zero, node, table)
    scale = consts.get(node.input[1])
    if scale is None:
        return [*out, f"{where}: scale '{node.input[1]}' is not a constant"]
    kind = TensorProto.DataType.Name(scale[0].data_type)
    if kind not in ("FLOAT", "FLOAT16", "BFLOAT16"):
        out.append(f"{where}: scale is {kind}, not a float type")
    elif not (np.isfinite(scale[1]).all() and (scale[1] > 0).all()):   # L1383-1403
        out.append(f"{where}: scale has zero, negative or non-finite values")
    if zero is not None and zero[1].size != scale[1].size:   # volumes, not shapes (L1494-1499)
        out.append(f"{where}: zero point has {zero[1].size} values and scale {scale[1].size}")
    data = _weight(node, consts, producers)
    if data is not None and TensorProto.DataType.Name(data[0].data_type) == "INT4" \
            and data[1].shape and data[1].shape[-1] % 2:   # L1578-1583
        out.append(f"{where}: INT4 weight with an odd last dimension {data[1].shape}")
    if scale[1].size == 1:   # per tensor, whatever the scale's rank (L1524, L1566-1571)
        return out
    if data is None:   # the builder quantizes activations per tensor only
        return [*out, f"{where}: per-channel scale {scale[1].shape} on an activation; TensorRT quantizes "
                      f"activations per tensor (per-channel only for constant weights)"]
    weight, rank = data[1], data[1].ndim
    if scale[1].ndim == rank and rank > 1:
        return out + _check_blocks(where, weight, scale[1])
    if scale[1].ndim != 1:   # L1561-1565
        return [*out, f"{where}: per-channel scale must be 1-D (or of the weight's rank: blocks), "
                      f"got shape {scale[1].shape}"]
    axis = _attr(node, "axis")
    axis = 0 if axis is None else axis   # no axis: TensorRT takes 0 for per-channel (L1521, L1529-1532)
    if not -rank <= axis < rank:
        return [*out, f"{where}: axis {axis} out of range for a rank-{rank} weight"]
    axis %= rank
    if scale[1].size != weight.shape[axis]:   # L1533-1540
        out.append(f"{where}: scale shape {scale[1].shape} != ({weight.shape[axis]},), the weight's "
                   f"dimension {axis}")
    if node.op_type == "DequantizeLinear":
        for user in consumers.get(node.output[0], []):
            wanted = _output_channel_axis(user, rank) if list(user.input[1:2]) == [node.output[0]] else None
            if wanted is not None and axis != wanted:
                out.append(f"{where}: weight quantized along axis {axis}; TensorRT takes per-output-channel "
                           f"weights along axis {wanted} for {user.op_type}")
        kind = TensorProto.DataType.Name(data[0].data_type)
        if data is consts.get(node.input[0]) and kind not in table["quantized_types"]:   # L1349
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


def tensorrt_warnings(model: Any) -> list[str]:
    """What TensorRT 10's parser only warns about: an opset outside the range its operator table
    is documented for (ModelImporter.cpp L733-741, release/10.1-GA, logs a warning, no error)."""
    table = operator_table()
    proto = _load(model)
    opsets = {o.domain: o.version for o in proto.opset_import}
    version = next((opsets[d] for d in DEFAULT_DOMAINS if d in opsets), None)
    if version is not None and table["opset_min"] <= version <= table["opset_max"]:
        return []
    return [f"model: ONNX opset {version} is outside the range TensorRT 10's operators are documented "
            f"for ({table['opset_min']}..{table['opset_max']}); its parser only warns"]


def tensorrt_violations(model: Any, input_size: Sequence[int] | None = None) -> list[str]:
    """Every TensorRT 10 ONNX import rule ``model`` (``ModelProto`` or path) breaks, one line each.

    ``input_size``: the (H, W) an optimization profile will be made for; without it only the
    batch dimension may be dynamic.
    """
    table = operator_table()
    graph = _load(model).graph
    out = _check_inputs(graph, input_size)
    consts = _constants(graph)
    producers = {name: node for node in graph.node for name in node.output}
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
            out += _check_qdq(node, consts, producers, consumers, table)
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
