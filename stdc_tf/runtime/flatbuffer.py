"""What is inside a ``.tflite`` file, read from its flatbuffer (no interpreter): ops, tensor types,
the I/O tensors' shape, type and quantization, and whether an int8 graph computes in float.

The runtime layer owns it: LiteRT's CompiledModel API gives no quantization parameters, so
:class:`~stdc_tf.runtime.litert.LiteRTPredictor` reads them here instead of opening a second
runtime; the conversion checks its own output with it and builds the metadata from it.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_FLOAT_TYPES = ("FLOAT32", "FLOAT16")


@dataclass(frozen=True)
class Op:
    """One operator of a LiteRT graph; tensors are indices into the main subgraph, constants left out."""

    name: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


@dataclass(frozen=True)
class Graph:
    """The main subgraph of a ``.tflite`` file, read from the flatbuffer (no interpreter)."""

    ops: tuple[Op, ...]
    tensor_types: dict[int, str]        # activation tensor index → "INT8", "FLOAT32", …
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]

    def op_counts(self) -> dict[str, int]:
        """Op name → count, in order of first appearance."""
        return dict(Counter(op.name for op in self.ops))


def read_graph(source: str | os.PathLike | bytes) -> Graph:
    """The op list of a ``.tflite`` file (path or bytes), as the flatbuffer stores it (before any
    delegate): builtin op names (``CONV_2D``), custom ops by their code (``FlexXxx`` for Flex)."""
    from ai_edge_litert import schema_py_generated as schema

    data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    types = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    model = schema.Model.GetRootAs(data, 0)
    sub = model.Subgraphs(0)

    def is_constant(index: int) -> bool:
        buffer = sub.Tensors(index).Buffer()
        return buffer > 0 and (model.Buffers(buffer).DataLength() > 0 or model.Buffers(buffer).Size() > 0)

    def activations(indices: np.ndarray) -> tuple[int, ...]:
        return tuple(int(i) for i in indices if i >= 0 and not is_constant(int(i)))

    ops = []
    for i in range(sub.OperatorsLength()):
        op = sub.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = names.get(builtin, str(builtin))
        if name == "CUSTOM":
            name = (code.CustomCode() or b"CUSTOM").decode()
        ops.append(Op(name, activations(op.InputsAsNumpy()), activations(op.OutputsAsNumpy())))
    tensor_types = {i: types.get(sub.Tensors(i).Type(), "?") for i in range(sub.TensorsLength())}
    return Graph(tuple(ops), tensor_types, tuple(int(i) for i in sub.InputsAsNumpy()),
                 tuple(int(i) for i in sub.OutputsAsNumpy()))


def float_ops_inside(graph: Graph) -> list[str]:
    """Ops that compute in float away from the graph's edges (empty for an integer graph).

    Allowed float: the input edge (CASTs from a graph input, QUANTIZE of such a tensor) and the
    output edge (DEQUANTIZE or CAST into a graph output). Integer requantizations anywhere are fine.
    """
    edge = set(graph.inputs)
    inside = []
    for op in graph.ops:
        floats_in = [t for t in op.inputs if graph.tensor_types[t] in _FLOAT_TYPES]
        floats_out = [t for t in op.outputs if graph.tensor_types[t] in _FLOAT_TYPES]
        if not floats_in and not floats_out:
            continue
        from_input = all(t in edge for t in op.inputs)
        if op.name == "CAST" and from_input:
            edge.update(op.outputs)
        elif op.name == "QUANTIZE" and from_input and not floats_out:
            continue
        elif op.name in ("DEQUANTIZE", "CAST") and set(op.outputs) <= set(graph.outputs):
            continue
        else:
            inside.append(op.name)
    return [f"{name} x{count}" for name, count in Counter(inside).items()]


def _main_subgraph(source: str | os.PathLike | bytes) -> Any:
    from ai_edge_litert import schema_py_generated as schema

    data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    return schema.Model.GetRootAs(data, 0).Subgraphs(0)


def _detail(sub: Any, index: int) -> dict:
    from ai_edge_litert import schema_py_generated as schema

    types = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    tensor = sub.Tensors(int(index))
    quant = tensor.Quantization()
    scale = quant.ScaleAsNumpy() if quant is not None and quant.ScaleLength() else None
    zero = quant.ZeroPointAsNumpy() if quant is not None and quant.ZeroPointLength() else None
    shape = np.asarray(tensor.ShapeAsNumpy(), np.int32)
    return {"shape": shape,
            "shape_signature": np.asarray(tensor.ShapeSignatureAsNumpy(), np.int32)
            if tensor.ShapeSignatureLength() else shape,
            "dtype": np.dtype(types[tensor.Type()].lower()),
            "quantization": (float(scale[0]) if scale is not None else 0.0,
                             int(zero[0]) if zero is not None else 0)}


def tensor_detail(source: str | os.PathLike | bytes, index: int) -> dict:
    """One tensor of the main subgraph, as LiteRT's tensor details: ``shape``,
    ``shape_signature`` (-1 for a dynamic dimension), ``dtype`` and ``quantization`` =
    ``(scale, zero_point)`` of its first channel, scale 0 when not quantized."""
    return _detail(_main_subgraph(source), index)


def tensor_details(source: str | os.PathLike | bytes) -> tuple[list[dict], list[dict]]:
    """Every input and output tensor of the main subgraph (:func:`tensor_detail`)."""
    sub = _main_subgraph(source)
    return [_detail(sub, i) for i in sub.InputsAsNumpy()], [_detail(sub, i) for i in sub.OutputsAsNumpy()]


def io_details(source: str | os.PathLike | bytes) -> tuple[dict, dict]:
    """The first input and the first output of :func:`tensor_details`."""
    inputs, outputs = tensor_details(source)
    return inputs[0], outputs[0]
