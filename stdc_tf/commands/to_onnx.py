"""Export a Keras model to ONNX (tf2onnx) and check it against Keras on onnxruntime (CPU).

By default the ONNX graph is the model itself (normalized float input "image", logits
"logits"); --uint8-input moves the ImageNet normalization into the graph and --class-map
returns the uint8 class map "classes" (--deploy: both; what TensorRT engines and Triton serve).
The check runs the file on onnxruntime's CPU provider and prints the largest logit difference
relative to the logit range (a class-map file is checked on the logits before its ArgMax). The
file is written under a temporary name and kept only when the check holds (float models:
--tolerance; a QAT .h5, whose logits differ by rounding and BN folding: class agreement alone,
--min-agreement); --check-images 0 writes it unchecked. --precision int8 writes
onnxruntime's static int8 quantization of the float graph (QDQ, int8 per-channel weights, uint8
activations), calibrated on --calibration-images images of the --dataset's --calibration-split;
it is reported against Keras, not refused (--min-agreement sets a limit). The int8 file is for
onnxruntime (uint8 activations); TensorRT takes a QAT export or calibrates the float ONNX itself
(convert/to_tensorrt.py --precision int8 --dataset ...).

Examples:
  python convert/to_onnx.py --model stdc1_seg50.keras --output stdc1_seg50.onnx --input-size 512x1024
  python convert/to_onnx.py --model stdc1_seg50.keras --output stdc1_seg50_deploy.onnx \\
      --input-size 512x1024 --deploy --dataset cityscapes --data-root data/cityscapes
  python convert/to_onnx.py --model stdc1_seg50.keras --output stdc1_seg50_int8.onnx \\
      --input-size 512x1024 --deploy --precision int8 --dataset cityscapes --data-root data/cityscapes
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.cli import input_size
from stdc_tf.errors import ConfigError
from stdc_tf.export.contract import DEFAULT_CALIBRATION_STEPS  # light
from stdc_tf.export.onnx import MAX_RELATIVE_LOGIT_DIFF, MIN_QAT_CLASS_AGREEMENT  # light

MIN_OPSET = 17


def build_parser() -> argparse.ArgumentParser:
    p = cli.parser(__doc__)
    p.add_argument("--model", required=True, type=Path,
                   help="the .keras model to export, or a QAT .h5 (exported with explicit "
                        "QuantizeLinear/DequantizeLinear nodes for a strongly typed int8 TensorRT engine)")
    p.add_argument("--output", required=True, type=Path, help="the .onnx file to write")
    p.add_argument("--input-size", type=input_size, metavar="HxW",
                   help="fix the input size (default: the model's own; dynamic if it takes any size)")
    p.add_argument("--opset", type=int, default=MIN_OPSET, help=f"ONNX opset, >= {MIN_OPSET} "
                                                                  f"(default: {MIN_OPSET})")
    p.add_argument("--uint8-input", action="store_true",
                   help="take uint8 RGB and normalize inside the graph")
    p.add_argument("--class-map", action="store_true", help="return the uint8 class map")
    p.add_argument("--deploy", action="store_true", help="--uint8-input and --class-map")
    p.add_argument("--precision", choices=("fp32", "int8"), default="fp32",
                   help="fp32, or int8: onnxruntime static quantization calibrated on --dataset "
                        "(needs --input-size; a QAT .h5 is always exported as qat)")
    p.add_argument("--calibration-images", type=int, default=DEFAULT_CALIBRATION_STEPS,
                   help=f"int8: images to calibrate on (default: {DEFAULT_CALIBRATION_STEPS})")
    p.add_argument("--calibration-split", default="train",
                   help="int8: the dataset split to calibrate on (default: train)")
    check = p.add_argument_group("parity check (onnxruntime CPU vs Keras)")
    check.add_argument("--check-images", type=int, default=4,
                       help="images to compare on (default: 4; 0 skips the check)")
    check.add_argument("--tolerance", type=float,
                       help=f"float models: largest relative logit difference accepted "
                            f"(default: {MAX_RELATIVE_LOGIT_DIFF:g}; a QAT model is judged by "
                            f"--min-agreement alone)")
    check.add_argument("--min-agreement", type=float,
                       help=f"QAT models: smallest class-map agreement accepted; their logits differ "
                            f"by rounding and BN folding (default: {MIN_QAT_CLASS_AGREEMENT:g}); "
                            f"int8: none, reported only")
    check.add_argument("--dataset", help="take the images from this dataset (default: random "
                                         "images); cityscapes, camvid, folder or synthetic")
    check.add_argument("--data-root", type=Path, help="the dataset's folder")
    check.add_argument("--split", default="val", help="the dataset's split (default: val)")
    return p


def run(args: argparse.Namespace) -> int:
    if args.opset < MIN_OPSET:
        raise ConfigError(f"--opset must be >= {MIN_OPSET}, got {args.opset}")
    if args.check_images < 0:
        raise ConfigError(f"--check-images must be >= 0, got {args.check_images}")
    if args.dataset and not args.data_root:
        raise ConfigError("--dataset needs --data-root")
    if args.precision == "int8" and not (args.dataset and args.input_size):
        raise ConfigError("--precision int8 needs --dataset/--data-root to calibrate on and --input-size")
    if args.min_agreement is not None and not 0 <= args.min_agreement <= 1:
        raise ConfigError(f"--min-agreement must be within 0..1, got {args.min_agreement}")
    if args.model.suffix == ".h5" and args.tolerance is not None:
        raise ConfigError("--tolerance is for float models; a QAT .h5 is judged by class agreement "
                          "alone (--min-agreement)")
    if args.calibration_images < 1:
        raise ConfigError(f"--calibration-images must be positive, got {args.calibration_images}")
    cli.check_output(args.output, ".onnx")
    cli.check_input(args.model)
    cli.import_tensorflow()
    from stdc_tf.data import load_dataset
    from stdc_tf.export.contract import ExportSpec
    from stdc_tf.export.onnx import export_onnx
    from stdc_tf.quantization.trained import load_trained_model

    model = load_trained_model(args.model)
    qat = args.model.suffix == ".h5"
    int8 = args.precision == "int8" and not qat
    calibration = load_dataset(args.dataset, args.data_root, args.calibration_split) if int8 else None
    spec = ExportSpec(args.input_size, "uint8" if args.uint8_input or args.deploy else "float",
                      "classes" if args.class_map or args.deploy else "logits",
                      "qat" if qat else args.precision, calibration=calibration,
                      calibration_steps=args.calibration_images,
                      check=load_dataset(args.dataset, args.data_root, args.split) if args.dataset else None,
                      check_images=args.check_images,
                      # unset: the precision's own limits (export_onnx); an explicit 0 is 0
                      max_relative_logit_diff=args.tolerance, min_class_agreement=args.min_agreement,
                      progress=not args.quiet)
    print("\n".join(export_onnx(model, args.output, spec, opset=args.opset).lines()))
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
