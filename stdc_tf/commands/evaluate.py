"""Measure the mIoU of any model artifact, or of a folder of predictions, the same way.

One protocol for every runtime: a .keras file, a SavedModel directory, a .tflite file (LiteRT) or
an .onnx file (onnxruntime); or label PNGs produced elsewhere (a phone, another tool):

  python training/evaluate.py --model runs/quickstart/final.keras --dataset synthetic --data-root data/synthetic
  python training/evaluate.py --model stdc1_seg50.tflite --dataset cityscapes --data-root /data/cityscapes --scale 0.5 --output eval/tflite
  python training/evaluate.py --model stdc1_seg50.keras --dataset cityscapes --data-root /data/cityscapes --scales 0.5 0.75 1.0 1.25 1.5 1.75 --flip
  python training/evaluate.py --predictions phone_results/ --ids labelIds --dataset cityscapes --data-root /data/cityscapes
  python training/evaluate.py --model final.keras --save-predictions preds/   # label PNGs as stdc-predict writes them

Prints mIoU, pixel accuracy, frequency-weighted IoU and images/s; --output writes metrics.json,
per_class_iou.md and confusion_matrix.png. Classes absent from both the ground truth and the
predictions are reported as absent and left out of the mean.
"""
from __future__ import annotations

import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.atomic import check_writable_dir
from stdc_tf.data.datasets import DATASETS
from stdc_tf.errors import ConfigError
from stdc_tf.evaluation.label_files import PREDICTION_IDS


def build_parser():
    parser = cli.parser(__doc__)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", type=Path, metavar="PATH",
                      help="model to run: .keras file, SavedModel directory (also TF-TRT), .tflite, "
                           ".onnx or TensorRT engine (.plan/.engine) file")
    what.add_argument("--predictions", type=Path, metavar="DIR",
                      help="folder of predicted label PNGs (searched recursively), one per image; "
                           "a file belongs to the image whose name it starts with "
                           "(Cityscapes: city_seq_frame*)")
    parser.add_argument("--ids", choices=PREDICTION_IDS, default="trainIds",
                        help="with --predictions: what the PNG values are; trainIds are class "
                             "indices (255 = no class), labelIds are Cityscapes labelIds as the "
                             "official benchmark wants them (default: %(default)s)")
    parser.add_argument("--dataset", choices=DATASETS, default="synthetic",
                        help="ground-truth layout (default: %(default)s)")
    parser.add_argument("--data-root", type=Path, default=Path("data/synthetic"), metavar="DIR",
                        help="dataset root folder; never generated here (default: %(default)s)")
    parser.add_argument("--split", default="val", help="split to evaluate (default: %(default)s)")
    scale = parser.add_mutually_exclusive_group()
    scale.add_argument("--scale", type=float, metavar="S",
                       help="single-scale protocol: resize images by S before the model (Cityscapes "
                            "Seg50: 0.5, Seg75: 0.75); default 1, or the model's fixed input size, "
                            "or for a .keras model the size training validated it at (recorded "
                            "in the file: its training's own score)")
    scale.add_argument("--scales", type=float, nargs="+", metavar="S",
                       help="multi-scale: average probabilities over these scales, e.g. "
                            "0.5 0.75 1.0 1.25 1.5 1.75 (models that take any input size)")
    parser.add_argument("--flip", action="store_true",
                        help="also average over horizontally flipped images")
    parser.add_argument("--batch-size", type=int, default=1,
                        help="images per model call; >1 needs images of one size (default: %(default)s)")
    parser.add_argument("--skip-bad-samples", action="store_true",
                        help="leave unreadable images out (counted and named) instead of stopping")
    parser.add_argument("--output", type=Path, metavar="DIR",
                        help="write metrics.json, per_class_iou.md and confusion_matrix.png here")
    parser.add_argument("--save-predictions", type=Path, metavar="DIR",
                        help="with --model: write each image's prediction here as a label PNG "
                             "(IMAGE_labelTrainIds.png, or IMAGE_labelIds.png with --ids labelIds), "
                             "the files stdc-predict writes and --predictions scores")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def check_options(args) -> None:
    """Every option, before a model is loaded or an image read."""
    if args.predictions and (args.scale is not None or args.scales or args.flip or args.batch_size != 1):
        raise ConfigError("--scale/--scales/--flip/--batch-size apply to --model only: predictions "
                          "are scored as they are")
    if args.model and args.ids != "trainIds" and args.save_predictions is None:
        raise ConfigError("--ids applies to --predictions and --save-predictions only")
    if args.predictions and args.save_predictions is not None:
        raise ConfigError("--save-predictions applies to --model only")
    if args.save_predictions is not None:
        check_writable_dir(args.save_predictions, "--save-predictions")
    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {args.batch_size}")
    for value in ([args.scale] if args.scale is not None else []) + (args.scales or []):
        if not 0 < value <= 16:
            raise ConfigError(f"--scale(s) must be in (0, 16], got {value:g}")
    if args.output is not None:
        check_writable_dir(args.output, "--output")
    if args.model is not None:
        cli.check_input(args.model)
    else:
        cli.check_input(args.predictions, "--predictions")


def _check_recorded_classes(model: Path, dataset) -> None:
    """A ``.tflite`` file records the classes it was exported for: a class-map file scored against
    a dataset with fewer classes would otherwise pass unnoticed until a prediction exceeded them."""
    from stdc_tf.evaluation.evaluator import EvaluationError
    from stdc_tf.export.metadata import read_metadata

    if model.suffix != ".tflite":
        return
    meta = read_metadata(model)
    recorded = (meta or {}).get("output", {}).get("num_classes")
    if recorded is not None and recorded != dataset.info.num_classes:
        raise EvaluationError(f"{model} was exported for {recorded} classes (its metadata) but dataset "
                              f"{dataset.info.name!r} has {dataset.info.num_classes}")


def _predictor(model: Path, scales: list[float] | None):
    """The runtime for ``model``; a ``.keras`` model that records the size training validated it
    at is scored at that size when no scale is asked for, so the default gives the number
    training reported for it."""
    from stdc_tf.models.io import trained_input_size
    from stdc_tf.runtime import load_predictor

    size = trained_input_size(model) if scales is None and model.suffix == ".keras" else None
    if size is None:
        return load_predictor(model)
    from stdc_tf.models import fixed_input_model
    from stdc_tf.models.io import load_keras
    from stdc_tf.runtime.tensorflow import KerasPredictor

    cli.log.info("scoring at %dx%d, the size %s was trained and validated at (--scale S scores a "
                 "scale of each image instead)", *size, model)
    return KerasPredictor(fixed_input_model(load_keras(model), size), model)


def run(args) -> int:
    check_options(args)
    cli.import_tensorflow()
    from stdc_tf.data.datasets import load_dataset
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.evaluation.outputs import format_summary, write_report
    from stdc_tf.evaluation.predictions import score_predictions

    dataset = load_dataset(args.dataset, args.data_root, args.split)
    if args.model is not None:
        _check_recorded_classes(args.model, dataset)
    if args.predictions:
        result = score_predictions(args.predictions, dataset, args.ids, progress=not args.no_progress)
    else:
        scales = args.scales or ([args.scale] if args.scale is not None else None)
        result = evaluate(_predictor(args.model, scales), dataset, scales, args.flip, args.batch_size,
                          progress=not args.no_progress, skip_bad_samples=args.skip_bad_samples,
                          save_predictions=args.save_predictions, ids=args.ids)
    print(format_summary(result))
    if args.output:
        context = {"dataset": {"name": args.dataset, "root": str(args.data_root),
                               "split": args.split, "classes": dataset.info.name}}
        paths = write_report(result, args.output, context)
        print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
