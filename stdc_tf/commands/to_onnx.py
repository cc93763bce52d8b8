"""Export a Keras model to ONNX (tf2onnx) and check it against Keras on onnxruntime (CPU).

By default the ONNX graph is the model itself (normalized float input "image", logits
"logits"); --uint8-input moves the ImageNet normalization into the graph and --class-map
returns the uint8 class map "classes" (--deploy: both; what TensorRT engines and Triton serve).
The check runs the file on onnxruntime's CPU provider and prints the largest logit difference
relative to the logit range (a class-map file is checked on the logits before its ArgMax); it
fails above --tolerance.

Examples:
  python convert/to_onnx.py --model stdc1_seg50.keras --output stdc1_seg50.onnx --input-size 512x1024
  python convert/to_onnx.py --model stdc1_seg50.keras --output stdc1_seg50_deploy.onnx \\
      --input-size 512x1024 --deploy --dataset cityscapes --data-root data/cityscapes
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.cli import input_size
from stdc_tf.errors import ConfigError, StdcError

MIN_OPSET = 17
CHECK_SIZE = (512, 1024)   # the Seg50 protocol, for models that take any size


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
    check = p.add_argument_group("parity check (onnxruntime CPU vs Keras)")
    check.add_argument("--check-images", type=int, default=4,
                       help="images to compare on (default: 4; 0 skips the check)")
    check.add_argument("--tolerance", type=float, default=1e-4,
                       help="largest relative logit difference accepted (default: 1e-4)")
    check.add_argument("--min-agreement", type=float, default=0.98,
                       help="QAT models: smallest class-map agreement accepted; their logits differ "
                            "by rounding and BN folding (default: 0.98)")
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
    cli.import_tensorflow()
    from stdc_tf.export.calibration import dataset_batches, random_batch
    from stdc_tf.export.onnx import export_onnx, verify_onnx
    from stdc_tf.models import inference_model
    from stdc_tf.models.io import load_keras
    from stdc_tf.quantization.qat import load_qat

    qat = args.model.suffix == ".h5"
    model = inference_model(load_qat(args.model)) if qat else load_keras(args.model)
    path = export_onnx(model, args.output, args.input_size, args.opset,
                       uint8_input=args.uint8_input or args.deploy,
                       class_map=args.class_map or args.deploy)
    cli.log.info("wrote %s (opset %d)", path, args.opset)
    if not args.check_images:
        return 0
    size = args.input_size or tuple(model.inputs[0].shape[1:3])
    size = size if None not in size else CHECK_SIZE
    images = (next(dataset_batches(args.dataset, args.data_root, args.split, args.check_images, size,
                                   batch_size=args.check_images))
              if args.dataset else random_batch(args.check_images, size))
    parity = verify_onnx(model, path, images)
    print(f"max relative logit difference {parity.max_relative_logit_diff:.3g} "
          f"(onnxruntime CPU vs Keras, {parity.images} images at {size[0]}x{size[1]}); "
          f"class agreement {100 * parity.class_agreement:.2f}%")
    if qat:   # fake-quant rounds half away from zero, QuantizeLinear to even; BN is folded here
        if parity.class_agreement < args.min_agreement:
            raise StdcError(f"{path}: class agreement with the QAT model {100 * parity.class_agreement:.2f}% "
                            f"is below --min-agreement {100 * args.min_agreement:g}% (file kept)")
        return 0
    if parity.max_relative_logit_diff > args.tolerance:
        raise StdcError(f"{path} differs from the Keras model by {parity.max_relative_logit_diff:.3g} "
                        f"(relative), more than --tolerance {args.tolerance:g} (file kept for inspection)")
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
