"""Time a model on a GPU (or the CPU): p50/p90/p99, mean, FPS and images/s per batch.

Any artifact the evaluator runs: .keras, SavedModel (also TF-TRT), .onnx (onnxruntime on the CPU,
CUDA and TensorRT execution providers), TensorRT engines. Three timed regions (--regions):
compute (input already on the device, output left there, device synchronised), copies (plus the
host<->device copies) and end-to-end (uint8 in, pre-processing, model, argmax class map out).
A runtime or provider that is not installed is reported as "skipped: reason"; the report names
the device, the driver and the library versions.

Examples:
  python convert/profile_gpu.py --model stdc1_seg50.onnx --batch 1,4,8 --warmup 50 --runs 300
  python convert/profile_gpu.py --model stdc1_seg50.keras --input-size 512x1024 --regions compute \\
      --output profile/stdc1_keras.json
  python convert/profile_gpu.py --model a.onnx --model b.engine --providers cuda,tensorrt
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.cli import choice_list, input_size, int_list
from stdc_tf.errors import ConfigError
from stdc_tf.profiling.gpu import ONNX_PROVIDERS, REGIONS  # light: no runtime is imported

PROVIDERS = tuple(ONNX_PROVIDERS)
NO_TENSORFLOW = (".onnx", ".plan", ".engine", ".trt", ".tflite")


def build_parser() -> argparse.ArgumentParser:
    p = cli.parser(__doc__)
    p.add_argument("--model", required=True, action="append", metavar="ARTIFACT",
                   help="model file or SavedModel folder; repeat for several")
    p.add_argument("--batch", type=int_list, default=[1], metavar="N,N",
                   help="batch sizes (default: 1)")
    p.add_argument("--warmup", type=int, default=50, help="untimed warm-up runs (default: 50)")
    p.add_argument("--runs", type=int, default=300, help="timed runs (default: 300)")
    p.add_argument("--input-size", type=input_size, metavar="HxW",
                   help="input size for models that take any size (default: the model's own, "
                        "else 512x1024, the Seg50 protocol)")
    p.add_argument("--regions", type=choice_list(tuple(REGIONS)), default=list(REGIONS),
                   metavar="R,R", help=f"timed regions: {', '.join(REGIONS)} (default: all)")
    p.add_argument("--providers", type=choice_list(PROVIDERS), default=list(PROVIDERS),
                   metavar="P,P", help="onnxruntime execution providers for .onnx models: "
                                       f"{', '.join(PROVIDERS)} (default: all; missing ones are "
                                       "skipped)")
    p.add_argument("--output", type=Path, metavar="JSON", help="write the report here")
    return p


def run(args: argparse.Namespace) -> int:
    if args.warmup < 0 or args.runs < 1:
        raise ConfigError("--warmup must be >= 0 and --runs >= 1")
    if any(Path(m).suffix not in NO_TENSORFLOW for m in args.model):
        from stdc_tf.runtime.devices import configure_tensorflow_gpu

        cli.import_tensorflow(configure_tensorflow_gpu)   # Keras/SavedModels: memory growth, TF32 off
    from stdc_tf.profiling.gpu import profile_gpu
    from stdc_tf.profiling.records import finish, format_table

    report = profile_gpu(args.model, batches=args.batch, warmup=args.warmup, runs=args.runs,
                         input_size=args.input_size, regions=args.regions,
                         providers=args.providers)
    print(format_table(report))
    finish(report, args.output)
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
