"""Import a reference STDC PyTorch checkpoint (MichaelFan01/STDC-Seg) into a Keras model.

Examples:
  python convert/import_reference.py --checkpoint model_maxmIOU50.pth --preset stdc1_seg50 \\
      --num-classes 19 --output stdc1_seg50.keras
  python convert/import_reference.py --checkpoint STDCNet813M_73.91.tar --preset stdc1 \\
      --output stdc1_imagenet.keras

ImageNet backbone checkpoints (.tar) also go into a segmentation preset (--part backbone, or
auto-detected): the backbone is filled, the heads keep their initialization.
"""
from __future__ import annotations

import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.errors import ConfigError
from stdc_tf.models.registry import PRESETS


def build_parser():
    parser = cli.parser(__doc__)
    parser.add_argument("--checkpoint", required=True, type=Path,
                        help=".pth/.tar (needs PyTorch) or .npz file with the reference's state_dict")
    parser.add_argument("--preset", required=True, choices=list(PRESETS), metavar="PRESET",
                        help=f"model preset: {', '.join(PRESETS)}")
    parser.add_argument("--num-classes", type=int, help="number of classes (default: the preset's)")
    parser.add_argument("--output", required=True, type=Path,
                        help="output .keras file (written atomically)")
    parser.add_argument("--part", choices=("auto", "full", "backbone"), default="auto",
                        help="what the checkpoint holds (default: auto-detect)")
    parser.add_argument("--detail-strides", type=int, nargs="*", default=[8],
                        help="detail heads to build for segmentation presets (default: 8)")
    parser.add_argument("--non-strict", action="store_true",
                        help="report missing/unexpected keys instead of failing")
    return parser


def _check_num_classes(preset: str, num_classes: int | None) -> None:
    """Segmentation class maps are 8-bit (255 is the ignore label): 1..255 classes. A classifier
    (the reference's ImageNet backbones: 1000 classes) only needs a positive count."""
    from stdc_tf.models.registry import get_preset

    if num_classes is None:
        return
    if get_preset(preset).task == "seg" and not 1 <= num_classes <= 255:
        raise ConfigError(f"--num-classes must be in 1..255 for segmentation preset {preset} "
                          f"(8-bit class maps), got {num_classes}")
    if num_classes < 1:
        raise ConfigError(f"--num-classes must be positive, got {num_classes}")


def run(args) -> int:
    from stdc_tf.atomic import check_writable_dir

    if args.output.suffix != ".keras":   # before the checkpoint is read
        raise ConfigError(f"--output {args.output}: the output must end in .keras")
    _check_num_classes(args.preset, args.num_classes)
    check_writable_dir(args.output.parent, "--output")
    if not args.checkpoint.is_file():
        raise FileNotFoundError(f"checkpoint not found: {args.checkpoint}")
    cli.import_tensorflow()
    from stdc_tf.models import build_model, get_preset
    from stdc_tf.models.io import save_keras
    from stdc_tf.weights import load_reference_weights

    kwargs = {"detail_strides": args.detail_strides} if get_preset(args.preset).task == "seg" else {}
    model = build_model(args.preset, args.num_classes, **kwargs)
    report = load_reference_weights(model, args.checkpoint, part=args.part, strict=not args.non_strict)
    save_keras(model, args.output)
    print(f"{report}; wrote {args.output}")
    return 0


def main(argv=None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
