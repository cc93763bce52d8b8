"""Export a Keras model as a TF Serving SavedModel: uint8 RGB in, class map out.

The serving_default signature takes uint8 RGB images [N, H, W, 3] ("image"; the ImageNet
normalization is inside the graph) and returns "classes" (uint8 class map [N, H, W]) and, with
--probabilities, "probabilities" (float32 softmax [N, H, W, C]). It is written as
OUTPUT/VERSION, TF Serving's layout, atomically (a polling server never sees half a version).

Examples:
  python convert/to_saved_model.py --model stdc1_seg50.keras --output models/stdc1_seg50
  python convert/to_saved_model.py --model stdc1_seg50.keras --output models/stdc1_seg50 \\
      --version 2 --input-size 512x1024 --probabilities
  saved_model_cli show --dir models/stdc1_seg50/1 --tag_set serve --signature_def serving_default
  docker run -p 8501:8501 -v $PWD/models/stdc1_seg50:/models/stdc1_seg50 \\
      -e MODEL_NAME=stdc1_seg50 tensorflow/serving
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.cli import input_size
from stdc_tf.errors import ConfigError


def build_parser() -> argparse.ArgumentParser:
    p = cli.parser(__doc__)
    p.add_argument("--model", required=True, type=Path, help="the .keras model to export")
    p.add_argument("--output", required=True, type=Path, metavar="MODEL_DIR",
                   help="the model's folder (TF Serving's MODEL_NAME); the version goes inside")
    p.add_argument("--version", type=int,
                   help="version folder to write (default: one more than the newest there, else 1)")
    p.add_argument("--input-size", type=input_size, metavar="HxW",
                   help="fix the input size (default: the model's own; STDC models take any size)")
    p.add_argument("--probabilities", action="store_true",
                   help="also return the per-class softmax probabilities (the file is then not checked)")
    p.add_argument("--check-images", type=int, default=4,
                   help="random images the written SavedModel is compared with the model on (default: 4)")
    return p


def run(args: argparse.Namespace) -> int:
    if args.version is not None and args.version < 1:
        raise ConfigError(f"--version must be a positive integer (TF Serving's layout), got {args.version}")
    cli.check_output(args.output, folder=True)
    cli.check_input(args.model)
    cli.import_tensorflow()
    from stdc_tf.export.contract import ExportSpec
    from stdc_tf.export.saved_model import export_saved_model, next_version
    from stdc_tf.quantization.trained import load_trained_model

    model = load_trained_model(args.model, quantized=False)
    version = args.version or next_version(args.output)
    result = export_saved_model(model, args.output, ExportSpec(args.input_size, check_images=args.check_images),
                                version=version, probabilities=args.probabilities)
    print("\n".join(result.lines()))
    outputs = "classes, probabilities" if args.probabilities else "classes"
    cli.log.info("serving_default: image uint8 [N, H, W, 3] -> %s", outputs)
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
