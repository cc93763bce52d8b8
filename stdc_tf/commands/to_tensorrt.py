"""Build a TensorRT deployment: a TensorRT engine from ONNX, onnxruntime's TensorRT EP, or TF-TRT.

--engine onnx   ONNX -> engine (.plan) with the tensorrt Python API (TensorRT 10 or 11). The ONNX is
                first checked against TensorRT 10's import rules on the CPU (Q/DQ zero points and
                axes, operators, opset, dynamic dims), each violation named in one line. One
                optimization profile for batch min..max of --batch, a timing cache, INT8
                calibrated on --dataset images (TensorRT 10; TensorRT 11 needs a Q/DQ ONNX) and
                a JSON sidecar (model.plan.json). Needs: tensorrt, cuda-python, an NVIDIA GPU.
--engine ort    ONNX -> onnxruntime's TensorRT execution provider builds the engine for the same
                profile and writes an "EP context" .onnx with the engine inside, which
                onnxruntime-gpu loads without rebuilding. Needs: onnxruntime-gpu + TensorRT, a GPU.
--engine tftrt  .keras (or its serving SavedModel) -> TF-TRT SavedModel that TF Serving of the
                same TensorFlow serves. Needs TensorFlow <= 2.17 built with TensorRT
                (requirements-tensorrt.txt, its own environment) and a GPU.
--check-rules  only check the .onnx against TensorRT 10's import rules (no GPU needed): one line
                per violation, exit 1 if there is any (--input-size: the size a dynamic ONNX is
                built for).
onnxruntime's int8 ONNX (convert/to_onnx.py --precision int8) is for onnxruntime only and is
refused: TensorRT int8 comes from the float ONNX (calibrated) or a QAT export.
Engines are specific to the GPU and the TensorRT version that built them: build on the target.

Examples:
  python convert/to_onnx.py --model stdc1_seg50.keras --output stdc1_seg50.onnx \
      --input-size 512x1024 --deploy
  python convert/to_tensorrt.py --model stdc1_seg50.onnx --output stdc1_seg50_fp16.plan \
      --precision fp16 --batch 1,8
  python convert/to_tensorrt.py --model stdc1_seg50.onnx --output stdc1_seg50_int8.plan --precision int8 \\
      --batch 1,8 --dataset cityscapes --data-root data/cityscapes --split train --calib-images 256
  python convert/to_tensorrt.py --check-rules --model stdc1_qat_qdq.onnx
  python convert/to_tensorrt.py --engine ort --model stdc1_seg50.onnx --output stdc1_seg50_trt_ctx.onnx
  python convert/to_tensorrt.py --engine tftrt --model stdc1_seg50.keras --output models/stdc1_trt/1 \\
      --input-size 512x1024 --precision fp16 --batch 1,4,8
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from stdc_tf import cli
from stdc_tf.cli import input_size, int_list
from stdc_tf.errors import ConfigError
from stdc_tf.export.tensorrt import PRECISIONS  # light: TensorRT and TensorFlow load on use
from stdc_tf.runtime.tensorrt import ENGINE_SUFFIXES

ENGINES = ("onnx", "ort", "tftrt")


def build_parser() -> argparse.ArgumentParser:
    p = cli.parser(__doc__)
    p.add_argument("--engine", choices=ENGINES, default="onnx", help="the route (default: onnx)")
    p.add_argument("--model", required=True, type=Path,
                   help=".onnx file (engines onnx, ort); .keras file or serving SavedModel (tftrt)")
    p.add_argument("--output", type=Path,
                   help="engine file (onnx), .onnx file (ort) or SavedModel folder (tftrt); "
                        "required unless --check-rules")
    p.add_argument("--check-rules", action="store_true",
                   help="only check the .onnx --model against TensorRT 10's import rules and print "
                        "one line per violation (exit 1 if any)")
    p.add_argument("--precision", choices=PRECISIONS, default="fp16", help="(default: fp16)")
    p.add_argument("--batch", type=int_list, default=[1, 8], metavar="N,N",
                   help="batch sizes; the profile covers their min..max (default: 1,8)")
    p.add_argument("--opt-batch", type=int,
                   help="batch TensorRT tunes its kernels for (default: the largest; batch-1 latency wants 1)")
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
    p.add_argument("--check-images", type=int, default=4,
                   help="images the engine is compared on with its source on the CPU (default: 4; 0: none)")
    return p


def _spec(args: argparse.Namespace, calibrates: bool, size: tuple[int, int] | None) -> Any:
    """The export spec; an INT8 build that calibrates reads its images through TensorFlow's data
    pipeline, with TensorFlow kept off the GPU (it would take the memory the builder needs)."""
    from stdc_tf.export.contract import ExportSpec

    if calibrates and not args.dataset:
        raise ConfigError("--precision int8 calibrates on dataset images: give --dataset and "
                          "--data-root (a QAT model's Q/DQ ONNX needs none)")
    calibration = None
    if calibrates:
        cli.import_tensorflow(lambda tf: tf.config.set_visible_devices([], "GPU"))
        from stdc_tf.data import load_dataset

        calibration = load_dataset(args.dataset, args.data_root, args.split)
    return ExportSpec(size, precision=args.precision, calibration=calibration,
                      calibration_steps=args.calib_images, check_images=args.check_images)


def _onnx_engine(args: argparse.Namespace, workspace: int) -> Any:
    from stdc_tf.export.tensorrt import build_plan, export_tensorrt
    from stdc_tf.export.tensorrt_rules import check_tensorrt_onnx
    from stdc_tf.runtime.tensorrt import require_engine_runtime

    source, size, _ = build_plan(args.model, args.precision, args.input_size, args.batch, args.opt_batch)
    check_tensorrt_onnx(args.model, size)   # TensorRT's import rules, before anything else
    spec = _spec(args, args.precision == "int8" and not source.explicit_quantization, size)
    require_engine_runtime("building a TensorRT engine")   # before calibrating for nothing
    return export_tensorrt(args.model, args.output, spec, batch_sizes=args.batch, opt_batch=args.opt_batch,
                           calibration_batch=args.calib_batch,
                           timing_cache=args.timing_cache or args.output.parent / "timing.cache",
                           workspace_bytes=workspace)


def _tftrt(args: argparse.Namespace, workspace: int) -> Any:
    if not args.input_size:
        raise ConfigError("--engine tftrt needs --input-size HxW (the shapes its engines are built for)")
    from stdc_tf.runtime.devices import configure_tensorflow_gpu

    cli.import_tensorflow(configure_tensorflow_gpu)   # TF-TRT builds inside TensorFlow's process
    from stdc_tf.export.tftrt import export_tftrt, require_tftrt
    from stdc_tf.quantization.trained import load_trained_model

    spec = _spec(args, args.precision == "int8", args.input_size)
    require_tftrt()
    model = args.model if args.model.is_dir() else load_trained_model(args.model, quantized=False)
    return export_tftrt(model, args.output, spec, batch_sizes=args.batch, workspace_bytes=workspace)


def _check_rules(args: argparse.Namespace) -> int:
    """Every TensorRT 10 import rule the ONNX breaks, one line each; exit 1 if any."""
    from stdc_tf.export.tensorrt_rules import tensorrt_violations, tensorrt_warnings

    found = tensorrt_violations(args.model, args.input_size)
    for line in tensorrt_warnings(args.model):
        print(f"warning: {line}", file=sys.stderr)
    for line in found:
        print(line)
    print(f"{args.model}: {len(found)} TensorRT 10 import rule violation(s)" if found
          else f"{args.model}: TensorRT 10 import rules: ok")
    return 1 if found else 0


def run(args: argparse.Namespace) -> int:
    if args.check_rules:
        if args.model.suffix != ".onnx":
            raise ConfigError(f"--check-rules takes an .onnx --model, got {args.model}")
        cli.check_input(args.model)
        return _check_rules(args)
    if args.output is None:
        raise ConfigError("--output is required (or --check-rules)")
    if args.dataset and not args.data_root:
        raise ConfigError("--dataset needs --data-root")
    if args.calib_images < 1 or args.calib_batch < 1 or args.workspace_gb <= 0:
        raise ConfigError("--calib-images, --calib-batch and --workspace-gb must be positive")
    cli.check_input(args.model)
    if args.engine == "tftrt":
        cli.check_output(args.output, option="--output", folder=True)
    else:   # an engine file (onnx) or an EP-context .onnx (ort)
        cli.check_output(args.output, ".onnx" if args.engine == "ort" else None)
        if args.engine == "onnx" and args.output.suffix not in ENGINE_SUFFIXES:
            raise ConfigError(f"--output must end in one of {', '.join(ENGINE_SUFFIXES)}, got {args.output}")
    workspace = int(args.workspace_gb * (1 << 30))
    if args.engine == "tftrt":
        result = _tftrt(args, workspace)
    elif args.engine == "onnx":
        result = _onnx_engine(args, workspace)
    else:
        from stdc_tf.export.tensorrt import export_ort_tensorrt

        result = export_ort_tensorrt(args.model, args.output, _spec(args, False, args.input_size),
                                     batch_sizes=args.batch, opt_batch=args.opt_batch,
                                     workspace_bytes=workspace)
    print("\n".join(result.lines()))
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
