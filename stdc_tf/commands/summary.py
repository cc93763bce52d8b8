"""Parameters and MACs per stage of any preset.

    python -m stdc_tf.commands.summary stdc1_seg50
    python -m stdc_tf.commands.summary stdc2 --input-size 224 224

MACs count convolutions and dense layers only (multiply-accumulates, as the reference's figures
do: 806 M for the STDC1 classifier at 224x224). Parameters are trainable weights plus BN
scale/shift, i.e. what PyTorch calls parameters (BN running statistics are buffers, not counted).
Segmentation presets are counted on the inference graph by default (``--graph training`` adds
the auxiliary and detail heads).
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

from stdc_tf import cli
from stdc_tf.errors import ConfigError
from stdc_tf.models.registry import PRESETS, build_model, get_preset
from stdc_tf.models.segmentation import inference_model
from stdc_tf.models.summary import summarize


def build_parser():
    p = cli.parser(__doc__, prog="python -m stdc_tf.commands.summary")
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
