"""Evaluator throughput per runtime on the synthetic val split, side by side (not a test).

One STDC model (random weights, or --model) is exported to every artifact kind and evaluated
with the same protocol; the table shows that the mIoU agrees and how fast each runtime is:

  python benchmarks/evaluator_throughput.py
  python benchmarks/evaluator_throughput.py --model runs/quickstart/final.keras --num-val 60

"images/s" is the whole evaluation loop (decode, resize, model, argmax, confusion matrix);
"model images/s" only the predictor calls. Both leave out the first batch (warm-up).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from stdc_tf import cli


def build_parser():
    parser = cli.parser(__doc__)
    parser.add_argument("--model", type=Path,
                        help=".keras model, exported as it is (default: stdc1_seg50 with random "
                             "weights, built at the evaluation input size)")
    parser.add_argument("--num-val", type=int, default=60, help="synthetic val images (default: 60)")
    parser.add_argument("--size", type=int, nargs=2, default=(128, 256), metavar=("H", "W"),
                        help="synthetic image size (default: 128 256)")
    parser.add_argument("--scale", type=float, default=0.5, help="evaluation scale (default: 0.5)")
    return parser


def run(args) -> int:
    cli.import_tensorflow()

    from stdc_tf.data.datasets import load_dataset
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.export.contract import AS_IS
    from stdc_tf.export.onnx import export_onnx
    from stdc_tf.export.saved_model import export_saved_model
    from stdc_tf.export.tflite import export_tflite
    from stdc_tf.models import build_model, inference_model
    from stdc_tf.models.io import load_keras
    from stdc_tf.runtime import load_predictor

    input_shape = (int(args.size[0] * args.scale), int(args.size[1] * args.scale), 3)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        data = load_dataset("synthetic", work / "synthetic", "val", num_train=1,
                            num_val=args.num_val, height=args.size[0], width=args.size[1])
        if args.model:
            model, keras_file = load_keras(args.model), args.model
        else:
            model = inference_model(build_model("stdc1_seg50", num_classes=19, input_shape=input_shape))
            keras_file = work / "model.keras"
            model.save(keras_file)
        sources = {"keras": keras_file,
                   "saved_model": export_saved_model(model, work / "saved_model", AS_IS).path,
                   "litert": export_tflite(model, work / "model.tflite", AS_IS).path,
                   "onnxruntime": export_onnx(model, work / "model.onnx", AS_IS).path}
        print(f"\n{len(data)} synthetic val images {args.size[0]}x{args.size[1]}, scale {args.scale} "
              f"(input {input_shape[0]}x{input_shape[1]}), {os.cpu_count()} CPU cores\n")
        print("| runtime | mIoU (%) | images/s | model images/s |\n| --- | ---: | ---: | ---: |")
        for name, source in sources.items():
            r = evaluate(load_predictor(source), data, [args.scale], progress=False)
            print(f"| {name} | {100 * r.summary['mIoU']:.2f} | {r.images_per_s:.1f} | "
                  f"{r.model_images_per_s:.1f} |")
    return 0


def main(argv=None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
