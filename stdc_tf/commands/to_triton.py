"""Add an exported model to a Triton Inference Server model repository.

Writes REPOSITORY/NAME/config.pbtxt and REPOSITORY/NAME/VERSION/model.{onnx,plan,savedmodel}.
Inputs, outputs and their types come from the model itself (an engine from its sidecar JSON);
the batch dimension becomes max_batch_size, with dynamic batching. --tensorrt adds the ONNX
Runtime backend's TensorRT accelerator to an ONNX model (the server builds and caches the
engine). The config is checked by parsing it into Triton's ModelConfig (tritonclient) first.

Examples:
  python convert/to_triton.py --model stdc1_seg50_deploy.onnx --repository triton_models \\
      --name stdc1_seg50 --max-batch 8 --tensorrt fp16
  python convert/to_triton.py --model stdc1_seg50_fp16.plan --repository triton_models --max-batch 8
  docker run --gpus all -p 8000:8000 -p 8001:8001 -v $PWD/triton_models:/models \\
      nvcr.io/nvidia/tritonserver:<yy.mm>-py3 tritonserver --model-repository=/models
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.cli import int_list, non_negative_int, positive_int
from stdc_tf.export.tensorrt import PRECISIONS  # light: TensorRT and TensorFlow load on use


def build_parser() -> argparse.ArgumentParser:
    p = cli.parser(__doc__)
    p.add_argument("--model", required=True, type=Path,
                   help=".onnx file, TensorRT engine (.plan/.engine/.trt) or SavedModel folder")
    p.add_argument("--repository", required=True, type=Path, help="the model repository folder")
    p.add_argument("--name", help="model name (default: the file's name without its suffix)")
    p.add_argument("--version", type=positive_int, default=1, help="version folder (default: 1)")
    p.add_argument("--max-batch", type=positive_int, default=8, help="max_batch_size (default: 8)")
    p.add_argument("--preferred-batch", type=int_list, metavar="N,N",
                   help="dynamic batching's preferred sizes (default: --max-batch)")
    p.add_argument("--queue-delay-us", type=non_negative_int, default=100,
                   help="longest wait to fill a batch, microseconds (default: 100)")
    p.add_argument("--instances", type=positive_int, default=1, help="model instances (default: 1)")
    p.add_argument("--device", choices=("gpu", "cpu"), default="gpu", help="(default: gpu)")
    p.add_argument("--tensorrt", choices=PRECISIONS, metavar="PRECISION",
                   help=f"ONNX only: run it through TensorRT at this precision ({', '.join(PRECISIONS)})")
    p.add_argument("--trt-cache-path", metavar="DIR",
                   help="where the server caches its TensorRT engines (a path on the server)")
    return p


def run(args: argparse.Namespace) -> int:
    cli.check_input(args.model)
    cli.check_output(args.repository, option="--repository", folder=True)
    if args.model.is_dir():   # a SavedModel's signature is read with TensorFlow
        cli.import_tensorflow()
    from stdc_tf.export.triton import write_triton_model

    model_dir = write_triton_model(
        args.model, args.repository, args.name, args.version, max_batch_size=args.max_batch,
        preferred_batch_sizes=args.preferred_batch, queue_delay_us=args.queue_delay_us,
        instances=args.instances, device=args.device, tensorrt_precision=args.tensorrt,
        trt_cache_path=args.trt_cache_path)
    print((model_dir / "config.pbtxt").read_text(), end="")
    cli.log.info("wrote %s (config.pbtxt, version %d)", model_dir, args.version)
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
