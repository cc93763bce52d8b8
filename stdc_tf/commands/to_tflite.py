"""Convert a trained STDC model to a LiteRT (.tflite) file for phones: fp32, fp16, dynamic, int8 or qat.

Examples:
  python convert/to_tflite.py --model runs/quickstart/final.keras --precision fp32 --output stdc1.tflite
  python convert/to_tflite.py --model runs/quickstart/final.keras --precision int8 \\
      --dataset synthetic --data-root data/synthetic --calibration-steps 100 --eval --output stdc1_int8.tflite
  python convert/to_tflite.py --model runs/qat_quickstart/final.h5 --precision qat \\
      --dataset synthetic --data-root data/synthetic --eval --output stdc1_qat.tflite
  python convert/to_tflite.py --model stdc1_seg50.keras --precision fp16 --input-size 512x1024 \\
      --io float --output-kind logits --output stdc1_fp16_logits.tflite

The file takes one RGB image of the fixed --input-size: uint8 pixels with the ImageNet
normalization inside the graph (--io uint8, default) or float32 already normalized (--io float).
It returns a uint8 class map [1, H, W] (--output-kind classes, default) or the logits
[1, H, W, C] (float32; int8 with the tensor's scale/zero point for int8 and qat). Only builtin
LiteRT ops are allowed: an op that would need Flex fails the conversion with its name.

int8 is calibrated on --calibration-steps images of the --calibration-split of --dataset; qat
takes a quantization-aware tf_keras model from the QAT trainer and needs no calibration. After
writing, the file is compared with the Keras model on a few images (class-map pixel agreement,
max logit difference) and its op list is printed; --eval also scores both with the evaluator on
--eval-split. The file is written under a temporary name and renamed when it has loaded and run
on LiteRT, so a failed or interrupted conversion leaves no file. The file carries metadata
(classes, palette, input size, normalization, precision, output kind; JSON under the "stdc_tf"
entry of the flatbuffer's metadata table): `python -m stdc_tf.commands.metadata FILE` prints it.
"""
from __future__ import annotations

import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.data.datasets import DATASETS
from stdc_tf.errors import ConfigError
from stdc_tf.export.contract import DEFAULT_CALIBRATION_STEPS, INPUT_TYPES, OUTPUT_KINDS
from stdc_tf.export.tflite import PRECISIONS


def run(args) -> int:
    if args.precision == "int8" and args.dataset is None:
        raise ConfigError("--precision int8 calibrates on real images: give --dataset and --data-root")
    if args.eval and args.dataset is None:
        raise ConfigError("--eval needs --dataset and --data-root")
    if args.calibration_steps < 1 or args.check_images < 1:
        raise ConfigError("--calibration-steps and --check-images must be positive")
    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"--threads must be positive, got {args.threads}")
    cli.check_output(args.output, ".tflite")
    cli.check_input(args.model)
    cli.import_tensorflow()
    from stdc_tf.data import load_dataset
    from stdc_tf.export.contract import ExportSpec, deployment_size
    from stdc_tf.export.tflite import export_tflite
    from stdc_tf.quantization.trained import load_trained_model

    model = load_trained_model(args.model, quantized=args.precision == "qat")
    size = deployment_size(model, args.input_size, str(args.model))
    check = calibration = None
    if args.dataset is not None:
        check = load_dataset(args.dataset, args.data_root, args.eval_split)
        if args.precision == "int8":
            calibration = load_dataset(args.dataset, args.data_root, args.calibration_split)
    spec = ExportSpec(size, args.io, args.output_kind, args.precision, calibration, args.calibration_steps,
                      check, args.check_images, progress=not args.quiet)
    result = export_tflite(model, args.output, spec, threads=args.threads,
                           require_integer=not args.allow_float_ops)
    print("\n".join(result.lines()))
    if args.eval:
        _print_miou(model, result.path, size, check, args.threads, not args.quiet)
    return 0


def _print_miou(model, path: Path, size: tuple[int, int], dataset, threads: int | None,
                progress: bool) -> None:
    """mIoU of the Keras model and of the file, same protocol, same input size."""
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.models import fixed_input_model
    from stdc_tf.native import native_stderr
    from stdc_tf.runtime import load_predictor

    keras = evaluate(load_predictor(fixed_input_model(model, size)), dataset, progress=progress)
    with native_stderr():
        litert = load_predictor(path, **({"threads": threads} if threads else {}))
    file = evaluate(litert, dataset, progress=progress)
    k, f = keras.summary["mIoU"], file.summary["mIoU"]
    print(f"mIoU: keras {100 * k:.2f} %, litert {100 * f:.2f} % (change {100 * (f - k):+.2f} points)")


def build_parser():
    p = cli.parser(__doc__)
    p.add_argument("--model", type=Path, required=True,
                   help=".keras model (fp32/fp16/dynamic/int8), or the QAT trainer's tf_keras model (qat)")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32", help="default: %(default)s")
    p.add_argument("--output", type=Path, required=True, help="the .tflite file to write")
    p.add_argument("--input-size", type=cli.input_size, metavar="HxW",
                   help="fixed input height x width, e.g. 512x1024 (default: the size training "
                        "validated the model at, recorded in its file; else its preset's size)")
    p.add_argument("--io", choices=INPUT_TYPES, default="uint8",
                   help="input: uint8 pixels, normalized in the graph, or float32 normalized "
                        "(default: %(default)s)")
    p.add_argument("--output-kind", choices=OUTPUT_KINDS, default="classes",
                   help="output: uint8 class map (in-graph argmax) or logits (default: %(default)s)")
    p.add_argument("--dataset", choices=DATASETS,
                   help="dataset for int8 calibration, the checks, --eval and the class names "
                        "in the metadata (default: none; 19-class models get Cityscapes' names)")
    p.add_argument("--data-root", type=Path, default=Path("data/synthetic"), metavar="DIR",
                   help="dataset root folder (default: %(default)s)")
    p.add_argument("--calibration-split", default="train",
                   help="int8 calibration split (default: %(default)s)")
    p.add_argument("--calibration-steps", type=int, default=DEFAULT_CALIBRATION_STEPS,
                   help="int8 calibration images (the split is repeated if smaller; default: %(default)s)")
    p.add_argument("--eval", action="store_true",
                   help="score the Keras model and the file with the evaluator on --eval-split")
    p.add_argument("--eval-split", default="val",
                   help="split for --eval and for the comparison images (default: %(default)s)")
    p.add_argument("--check-images", type=int, default=4,
                   help="images the file is compared with the Keras model on (default: %(default)s)")
    p.add_argument("--threads", type=int, help="LiteRT threads for the checks (default: all cores)")
    p.add_argument("--allow-float-ops", action="store_true",
                   help="int8/qat: keep a file that computes in float away from its input/output "
                        "edges (default: refuse it)")
    return p


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
