"""Parameters and MACs per stage of any preset.

    python -m stdc_tf.models.summary stdc1_seg50
    python -m stdc_tf.models.summary stdc2 --input-size 224 224

MACs count convolutions and dense layers only (multiply-accumulates, as the reference's figures
do: 806 M for the STDC1 classifier at 224×224). Parameters are trainable weights plus BN
scale/shift, i.e. what PyTorch calls parameters (BN running statistics are buffers, not counted).
Segmentation presets are counted on the inference graph by default (``--graph training`` adds
the auxiliary and detail heads).
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from collections import OrderedDict
from typing import Any, Sequence

from stdc_tf.models.backbone import backbone_spec
from stdc_tf.models.registry import PRESETS, build_model, get_preset
from stdc_tf.models.segmentation import inference_model


def layer_macs(layer: Any) -> int:
    """Multiply-accumulates of one conv/dense layer for one image (0 for other layers)."""
    kind = type(layer).__name__
    if kind not in ("Conv2D", "DepthwiseConv2D", "Dense"):
        return 0
    out_shape = layer.output.shape
    positions = math.prod(int(d) for d in out_shape[1:-1])
    kernel = layer.weights[0].shape            # (kh, kw, in, out|multiplier) or (in, out)
    return positions * math.prod(int(d) for d in kernel)


def layer_params(layer: Any) -> int:
    return sum(math.prod(int(d) for d in w.shape) for w in layer.trainable_weights)


def stage_of(layer_name: str, variant: str) -> str:
    """The row a layer is counted in: backbone stage, context path or head."""
    match = re.match(r"features\.(\d+)\.", layer_name)
    if match:
        n = int(match.group(1))
        if n < 2:
            return f"backbone x{2 ** (n + 1)}"
        ends = [1 + sum(backbone_spec(variant).layers[:i + 1]) for i in range(3)]
        return f"backbone x{8 * 2 ** next(i for i, e in enumerate(ends) if n <= e)}"
    head = layer_name.split(".", 1)[0]
    if head in ("conv_last", "fc", "linear"):
        return "classifier head"
    if head.startswith(("arm", "conv_avg", "conv_head")):
        return "context path"
    if head.startswith("conv_out_sp"):
        return f"detail head x{head[len('conv_out_sp'):]}"
    return {"ffm": "feature fusion", "conv_out": "head out", "conv_out16": "aux head out16",
            "conv_out32": "aux head out32"}.get(head, "other")


def summarize(model: Any, variant: str) -> "OrderedDict[str, tuple[int, int]]":
    """Row name → (params, MACs), in graph order, plus a ``total`` row."""
    rows: OrderedDict[str, list[int]] = OrderedDict()
    for layer in model.layers:
        params, macs = layer_params(layer), layer_macs(layer)
        if params or macs:
            row = rows.setdefault(stage_of(layer.name, variant), [0, 0])
            row[0] += params
            row[1] += macs
    rows["total"] = [sum(r[0] for r in rows.values()), sum(r[1] for r in rows.values())]
    return OrderedDict((k, (v[0], v[1])) for k, v in rows.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stdc_tf.models.summary", description=__doc__.split("\n\n")[0],
        epilog=f"presets: {', '.join(PRESETS)}")
    parser.add_argument("preset", help="model preset name")
    parser.add_argument("--input-size", nargs=2, type=int, metavar=("H", "W"),
                        help="input height and width (default: the preset's)")
    parser.add_argument("--num-classes", type=int, help="classes (default: the preset's)")
    parser.add_argument("--graph", choices=("inference", "training"), default="inference",
                        help="segmentation graph to count (default: inference)")
    args = parser.parse_args(argv)
    try:
        preset = get_preset(args.preset)
    except ValueError as exc:
        parser.exit(2, f"error: {exc}\n")
    hw = tuple(args.input_size or preset.input_size)
    model = build_model(args.preset, args.num_classes, (*hw, 3))
    if preset.task == "seg" and args.graph == "inference":
        model = inference_model(model)
    print(f"{args.preset} ({args.graph if preset.task == 'seg' else 'classifier'} graph) "
          f"at {hw[0]}x{hw[1]}")
    print(f"{'stage':22s} {'params (M)':>12s} {'MACs (G)':>12s}")
    for name, (params, macs) in summarize(model, preset.backbone).items():
        print(f"{name:22s} {params / 1e6:12.3f} {macs / 1e9:12.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
