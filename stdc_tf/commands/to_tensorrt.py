"""Build a TensorRT deployment: a TensorRT engine from ONNX, onnxruntime's TensorRT EP, or TF-TRT.

--engine onnx   ONNX -> engine (.plan) with the tensorrt Python API (TensorRT 10 or 11): one
                optimization profile for batch min..max of --batch, a timing cache, INT8
                calibrated on --dataset images (TensorRT 10; TensorRT 11 needs a Q/DQ ONNX) and
                a JSON sidecar (model.plan.json). Needs: tensorrt, cuda-python, an NVIDIA GPU.
--engine ort    ONNX -> onnxruntime's TensorRT execution provider builds the engine for the same
                profile and writes an "EP context" .onnx with the engine inside, which
                onnxruntime-gpu loads without rebuilding. Needs: onnxruntime-gpu + TensorRT, a GPU.
--engine tftrt  .keras (or its serving SavedModel) -> TF-TRT SavedModel that TF Serving of the
                same TensorFlow serves. Needs TensorFlow <= 2.17 built with TensorRT
                (requirements-tensorrt.txt, its own environment) and a GPU.
Engines are specific to the GPU and the TensorRT version that built them: build on the target.

Examples:
  python convert/to_onnx.py --model stdc1_seg50.keras --output stdc1_seg50.onnx \
      --input-size 512x1024 --deploy
  python convert/to_tensorrt.py --model stdc1_seg50.onnx --output stdc1_seg50_fp16.plan \
      --precision fp16 --batch 1,8
  python convert/to_tensorrt.py --model stdc1_seg50.onnx --output stdc1_seg50_int8.plan --precision int8 \\
      --batch 1,8 --dataset cityscapes --data-root data/cityscapes --split train --calib-images 256
  python convert/to_tensorrt.py --engine ort --model stdc1_seg50.onnx --output stdc1_seg50_trt_ctx.onnx
  python convert/to_tensorrt.py --engine tftrt --model stdc1_seg50.keras --output models/stdc1_trt/1 \\
      --input-size 512x1024 --precision fp16 --batch 1,4,8
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from stdc_tf import cli
from stdc_tf.cli import input_size, int_list
from stdc_tf.errors import ConfigError
from stdc_tf.export.tensorrt import PRECISIONS  # light: TensorRT and TensorFlow load on use

ENGINES = ("onnx", "ort", "tftrt")


def build_parser() -> argparse.ArgumentParser:
    p = cli.parser(__doc__)
    p.add_argument("--engine", choices=ENGINES, default="onnx", help="the route (default: onnx)")
    p.add_argument("--model", required=True, type=Path,
                   help=".onnx file (engines onnx, ort); .keras file or serving SavedModel (tftrt)")
    p.add_argument("--output", required=True, type=Path,
                   help="engine file (onnx), .onnx file (ort) or SavedModel folder (tftrt)")
    p.add_argument("--precision", choices=PRECISIONS, default="fp16", help="(default: fp16)")
    p.add_argument("--batch", type=int_list, default=[1, 8], metavar="N,N",
                   help="batch sizes; the profile covers their min..max (default: 1,8)")
    p.add_argument("--opt-batch", type=int, help="batch TensorRT tunes for (default: the largest)")
    p.add_argument("--input-size", type=input_size, metavar="HxW",
                   help="image size to build for, if the model takes any (e.g. 512x1024)")
    p.add_argument("--timing-cache", type=Path,
                   help="TensorRT timing cache, reused and updated (default: timing.cache next "
                        "to the output; engine onnx)")
    p.add_argument("--workspace-gb", type=float, default=1.0,
                   help="TensorRT workspace limit in GiB (default: 1)")
    calib = p.add_argument_group("INT8 calibration (engines onnx and tftrt)")
    calib.add_argument("--dataset", help="cityscapes, camvid, folder or synthetic")
    calib.add_argument("--data-root", type=Path, help="the dataset's folder")
    calib.add_argument("--split", default="train", help="the split to take images from (default: train)")
    calib.add_argument("--calib-images", type=int, default=128,
                       help="calibration images, spread over the split (default: 128)")
    calib.add_argument("--calib-batch", type=int, default=1, help="calibration batch size (default: 1)")
    return p


def _check_calibration(args: argparse.Namespace, calibrates: bool) -> None:
    if calibrates and not args.dataset:
        raise ConfigError("--precision int8 calibrates on dataset images: give --dataset and "
                          "--data-root (a QAT model's Q/DQ ONNX needs none)")


def _calibration(args: argparse.Namespace, size: tuple[int, int]) -> list:
    """The calibration batches of an INT8 build that calibrates (the data pipeline is TensorFlow)."""
    cli.import_tensorflow()
    from stdc_tf.export.calibration import dataset_batches

    return list(dataset_batches(args.dataset, args.data_root, args.split, args.calib_images, size,
                                args.calib_batch))


def _onnx_engine(args: argparse.Namespace, workspace: int) -> Path:
    from stdc_tf.export.tensorrt import build_engine, inspect_onnx, spatial_size
    from stdc_tf.runtime.tensorrt import require_engine_runtime

    spec = inspect_onnx(args.model)
    size = spatial_size(spec, args.input_size)
    calibrates = args.precision == "int8" and not spec.explicit_quantization
    _check_calibration(args, calibrates)
    require_engine_runtime("building a TensorRT engine")   # before calibrating for nothing
    return build_engine(args.model, args.output, args.precision, args.batch, size,
                        calibration=_calibration(args, size) if calibrates else None,
                        timing_cache=args.timing_cache or args.output.parent / "timing.cache",
                        opt_batch=args.opt_batch, workspace_bytes=workspace)


def _tftrt(args: argparse.Namespace, workspace: int) -> Path:
    cli.import_tensorflow()
    from stdc_tf.export.saved_model import export_serving
    from stdc_tf.export.tftrt import convert_tftrt, require_tftrt
    from stdc_tf.models.io import load_keras

    if not args.input_size:
        raise ConfigError("--engine tftrt needs --input-size HxW (the shapes its engines are built for)")
    _check_calibration(args, args.precision == "int8")
    require_tftrt()
    calibration = _calibration(args, args.input_size) if args.precision == "int8" else None
    if args.model.is_dir():
        return convert_tftrt(args.model, args.output, args.precision, args.batch, args.input_size,
                             calibration, workspace)
    with tempfile.TemporaryDirectory() as work:
        serving = export_serving(load_keras(args.model), Path(work) / "serving", 1, args.input_size)
        return convert_tftrt(serving, args.output, args.precision, args.batch, args.input_size,
                             calibration, workspace)


def run(args: argparse.Namespace) -> int:
    if args.dataset and not args.data_root:
        raise ConfigError("--dataset needs --data-root")
    if args.calib_images < 1 or args.calib_batch < 1 or args.workspace_gb <= 0:
        raise ConfigError("--calib-images, --calib-batch and --workspace-gb must be positive")
    workspace = int(args.workspace_gb * (1 << 30))
    if args.engine == "tftrt":
        path = _tftrt(args, workspace)
    elif args.engine == "onnx":
        path = _onnx_engine(args, workspace)
    else:
        from stdc_tf.export.tensorrt import build_ort_tensorrt

        path = build_ort_tensorrt(args.model, args.output, args.precision, args.batch,
                                  args.input_size, args.opt_batch, workspace)
    cli.log.info("wrote %s (%s, %s, batch %d..%d)", path, args.engine, args.precision,
                 min(args.batch), max(args.batch))
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
