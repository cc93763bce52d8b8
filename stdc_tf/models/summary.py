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

import math
import sys
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from stdc_tf import cli
from stdc_tf.errors import ConfigError
from stdc_tf.models.registry import PRESETS, build_model, get_preset
from stdc_tf.models.segmentation import inference_model
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


def build_parser():
    p = cli.parser(__doc__, prog="python -m stdc_tf.models.summary")
    p.epilog = f"{p.epilog}\n\npresets: {', '.join(PRESETS)}"
    p.add_argument("preset", help="model preset name")
    p.add_argument("--input-size", nargs=2, type=int, metavar=("H", "W"),
                   help="input height and width (default: the preset's)")
    p.add_argument("--num-classes", type=int, help="classes (default: the preset's)")
    p.add_argument("--graph", choices=("inference", "training"), default="inference",
                   help="segmentation graph to count (default: inference)")
    return p


def run(args) -> int:
    try:
        preset = get_preset(args.preset)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    hw = tuple(args.input_size or preset.input_size)
    cli.import_tensorflow()
    model = build_model(args.preset, args.num_classes, (*hw, 3))
    if preset.task == "seg" and args.graph == "inference":
        model = inference_model(model)
    print(f"{args.preset} ({args.graph if preset.task == 'seg' else 'classifier'} graph) "
          f"at {hw[0]}x{hw[1]}")
    print(f"{'stage':22s} {'params (M)':>12s} {'MACs (G)':>12s}")
    for name, (params, macs) in summarize(model).items():
        print(f"{name:22s} {params / 1e6:12.3f} {macs / 1e9:12.3f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
