"""Rewrite tf2onnx's rendering of symmetric fake-quant into the int8 Q/DQ TensorRT takes.

tf2onnx writes every activation fake-quant as UINT8 QuantizeLinear/DequantizeLinear with
``zero = -round(min / scale)``. A symmetric tfmot range (``[-128/127 m, m]``, the ``tensorrt``
QAT scheme's) becomes zero point 128, which is *exactly* int8 with zero point 0 and the same
scale: ``round(x/s) + 128`` clipped to [0, 255] dequantizes to the same values as ``round(x/s)``
clipped to [-128, 127]. TensorRT's ONNX parser refuses the UINT8 form, so
:func:`symmetric_int8_qdq` rewrites it. Asymmetric pairs (any other zero point) are left as they
are: no exact int8-zero rewrite exists, and :mod:`stdc_tf.export.tensorrt_rules` reports them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

QDQ_OPS = ("QuantizeLinear", "DequantizeLinear")
UINT8_SYMMETRIC_ZERO = 128


def symmetric_int8_qdq(proto: Any) -> int:
    """Rewrite, in place, every Q/DQ node whose zero point is a UINT8 initializer of all 128 to
    an INT8 zero point 0 (same scale); returns the number of nodes rewritten."""
    from onnx import TensorProto, numpy_helper

    inits = {init.name: init for init in proto.graph.initializer}
    replaced: dict[str, str] = {}
    q_outputs: set[str] = set()
    done = 0
    for node in proto.graph.node:
        if node.op_type not in QDQ_OPS or len(node.input) < 3:
            continue
        zero = inits.get(node.input[2])
        if zero is None or zero.data_type != TensorProto.UINT8:
            continue
        values = numpy_helper.to_array(zero)
        if not (values == UINT8_SYMMETRIC_ZERO).all():
            continue
        if zero.name not in replaced:
            name = f"{zero.name}_int8"
            proto.graph.initializer.append(numpy_helper.from_array(np.zeros(values.shape, np.int8), name))
            replaced[zero.name] = name
        node.input[2] = replaced[zero.name]
        if node.op_type == "QuantizeLinear":
            q_outputs.add(node.output[0])
        done += 1
    for info in list(proto.graph.value_info) + list(proto.graph.output):
        if info.name in q_outputs and info.type.tensor_type.elem_type == TensorProto.UINT8:
            info.type.tensor_type.elem_type = TensorProto.INT8
    used = {name for node in proto.graph.node for name in node.input}
    keep = [init for init in proto.graph.initializer if init.name in used
            or init.name not in replaced]
    del proto.graph.initializer[:]
    proto.graph.initializer.extend(keep)
    return done
