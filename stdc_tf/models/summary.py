"""Parameters and MACs per stage of a model (``python -m stdc_tf.commands.summary`` prints them).

MACs count convolutions and dense layers only (multiply-accumulates, as the reference's figures
do: 806 M for the STDC1 classifier at 224×224). Parameters are trainable weights plus BN
scale/shift, i.e. what PyTorch calls parameters (BN running statistics are buffers, not counted).
Segmentation presets are counted on the inference graph by default (``--graph training`` adds
the auxiliary and detail heads).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

from stdc_tf.models.structure import (
    backbone_stage,
    describe_model,
    inner_layer,
    is_weighted_conv,
    kernel_of,
    layer_part,
    reference_name,
)


def layer_macs(layer: Any) -> int:
    """Multiply-accumulates of one conv/dense layer for one image (0 for other layers)."""
    if not is_weighted_conv(layer):
        return 0
    out_shape = layer.output.shape
    positions = math.prod(int(d) for d in out_shape[1:-1])
    kernel = kernel_of(layer).shape            # (kh, kw, in, out|multiplier) or (in, out)
    return positions * math.prod(int(d) for d in kernel)


def layer_params(layer: Any) -> int:
    return sum(math.prod(int(d) for d in w.shape) for w in inner_layer(layer).trainable_weights)


_ROWS = {"context": "context path", "ffm": "feature fusion", "classifier": "classifier head"}


def row_of(layer: Any, backbone: str) -> str:
    """The row a layer is counted in: backbone stage, context path, fusion or a head."""
    name, part = reference_name(layer), layer_part(layer)
    if part == "backbone":
        return f"backbone x{backbone_stage(name, backbone)[len('feat'):]}"
    if part == "detail_head":
        return f"detail head x{name.split('.')[0][len('conv_out_sp'):]}"
    if part == "head":
        head = name.split(".")[0]
        return "head out" if head == "conv_out" else f"aux head {head[len('conv_'):]}"
    return _ROWS.get(part, "other")


def summarize(model: Any) -> OrderedDict[str, tuple[int, int]]:
    """Row name → (params, MACs), in graph order, plus a ``total`` row."""
    backbone = describe_model(model).backbone
    rows: OrderedDict[str, list[int]] = OrderedDict()
    for layer in model.layers:
        params, macs = layer_params(layer), layer_macs(layer)
        if params or macs:
            row = rows.setdefault(row_of(layer, backbone), [0, 0])
            row[0] += params
            row[1] += macs
    rows["total"] = [sum(r[0] for r in rows.values()), sum(r[1] for r in rows.values())]
    return OrderedDict((k, (v[0], v[1])) for k, v in rows.items())
