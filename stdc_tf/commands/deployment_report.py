"""Which file do I ship? Build every deployment artifact of one trained model, score and time each.

From one trained .keras model (and, for the qat artifact, the QAT trainer's .h5 model) this
builds the LiteRT files (fp32, fp16, dynamic, int8, qat), the ONNX file, the serving SavedModel
and, where TensorRT and a GPU are there, the TF-TRT SavedModel and a TensorRT engine; scores each
with the evaluator on --split; times each on this host (LiteRT at each --threads count, the
others at each --batches size) and, with --adb, on a phone; and writes to --output:

  report.md     per artifact: mIoU and its change against the fp32 file, per-class IoU changes
                worth a look, latency p50/p90, size on disk, op counts, conversion checks/warnings
  report.json   the same and every number behind it (the evaluator's and profilers' own output)
  pareto.png    latency against mIoU, marker area = file size, the Pareto front drawn
  examples.png  the same --examples validation images segmented by each artifact beside the
                ground truth, so quantization artefacts are visible
  artifacts/    the files themselves

An artifact that cannot be built here (no TensorRT, no GPU, no --qat-model) is listed as skipped
with the reason; one that fails is listed as failed with its error and the others go on. The
report files are rewritten after each artifact, so an interrupted run keeps what finished. The
exit status is 1 when an artifact failed (the report is still written).

Examples:
  python convert/deployment_report.py --model runs/quickstart/final.keras --qat-model runs/qat_quickstart/final.h5 \\
      --dataset synthetic --data-root data/synthetic --input-size 128x256 --output reports/quickstart
  python convert/deployment_report.py --model stdc1_seg50.keras --dataset cityscapes --data-root /data/cityscapes \\
      --input-size 512x1024 --include fp32,fp16,int8,onnx --threads 1,4 --output reports/seg50
  python convert/deployment_report.py --model stdc1_seg50.keras --dataset cityscapes --data-root /data/cityscapes \\
      --include fp32,int8 --adb ./android_aarch64_benchmark_model --output reports/phone
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.atomic import check_writable_dir
from stdc_tf.cli import choice_list, input_size, int_list
from stdc_tf.data.datasets import DATASETS
from stdc_tf.deployment_report import ARTIFACTS  # light: TensorFlow and the runtimes load on use
from stdc_tf.errors import ConfigError, StdcError
from stdc_tf.export.contract import DEFAULT_CALIBRATION_STEPS
from stdc_tf.profiling.adb import ACCELERATORS
from stdc_tf.quantization.trained import check_model_kind


def build_parser() -> argparse.ArgumentParser:
    p = cli.parser(__doc__)
    p.add_argument("--model", required=True, type=Path, help="the trained .keras model")
    p.add_argument("--qat-model", type=Path, metavar="H5",
                   help="the QAT trainer's .h5 model, for the qat artifact (without it: skipped)")
    p.add_argument("--output", required=True, type=Path, metavar="DIR", help="folder for the report")
    p.add_argument("--include", type=choice_list(ARTIFACTS), default=list(ARTIFACTS), metavar="A,A",
                   help=f"artifacts, of {', '.join(ARTIFACTS)} (default: all)")
    p.add_argument("--dataset", choices=DATASETS, default="synthetic", help="(default: %(default)s)")
    p.add_argument("--data-root", type=Path, default=Path("data/synthetic"), metavar="DIR",
                   help="dataset root folder (default: %(default)s)")
    p.add_argument("--split", default="val", help="split every artifact is scored on (default: %(default)s)")
    p.add_argument("--input-size", type=input_size, metavar="HxW",
                   help="the artifacts' fixed input size (default: the size training validated "
                        "the model at, recorded in its file; else its preset's size)")
    p.add_argument("--calibration-split", default="train", help="int8 calibration split (default: %(default)s)")
    p.add_argument("--calibration-steps", type=int, default=DEFAULT_CALIBRATION_STEPS,
                   help="int8 calibration images (default: %(default)s)")
    timing = p.add_argument_group("timing")
    timing.add_argument("--threads", type=int_list, default=sorted({1, os.cpu_count() or 1}),
                        metavar="N,N", help="LiteRT thread counts (default: 1 and every core)")
    timing.add_argument("--batches", type=int_list, default=[1], metavar="N,N",
                        help="batch sizes of the other runtimes (default: 1)")
    timing.add_argument("--warmup", type=int, default=10, help="warm-up runs (default: %(default)s)")
    timing.add_argument("--runs", type=int, default=50, help="timed runs (default: %(default)s)")
    phone = p.add_argument_group("phone over adb (LiteRT files)")
    phone.add_argument("--adb", type=Path, metavar="BENCHMARK_MODEL",
                       help="also time each .tflite file on the attached phone with this "
                            "benchmark_model binary built for it")
    phone.add_argument("--serial", help="adb serial of the phone (default: the only one attached)")
    phone.add_argument("--accelerators", type=choice_list(ACCELERATORS), default=["xnnpack", "gpu"],
                       metavar="A,A", help=f"{', '.join(ACCELERATORS)} (default: xnnpack,gpu)")
    p.add_argument("--examples", type=int, default=3, help="validation images in examples.png (default: 3)")
    return p


def run(args: argparse.Namespace) -> int:
    if args.warmup < 0 or args.runs < 1 or args.examples < 1 or args.calibration_steps < 1:
        raise ConfigError("--warmup must be >= 0; --runs, --examples and --calibration-steps >= 1")
    if args.adb is not None and not args.adb.is_file():
        raise ConfigError(f"--adb {args.adb}: no such benchmark_model binary")
    if args.qat_model is not None and "qat" not in args.include:
        raise ConfigError("--qat-model is given but --include has no qat")
    check_writable_dir(args.output, "--output")
    cli.check_output(args.output, folder=True)
    check_model_kind(cli.check_input(args.model), quantized=False, option="--model")
    if args.qat_model is not None:   # every given file is of its kind before the first stage
        check_model_kind(cli.check_input(args.qat_model, "--qat-model"), quantized=True,
                         option="--qat-model")
    from stdc_tf.runtime.devices import configure_tensorflow_gpu

    cli.import_tensorflow(configure_tensorflow_gpu)   # TensorRT rows build in this process
    from stdc_tf.data.datasets import load_dataset
    from stdc_tf.deployment_report import ReportSettings, deployment_report, summary_table

    val = load_dataset(args.dataset, args.data_root, args.split)
    calibration = load_dataset(args.dataset, args.data_root, args.calibration_split) \
        if {"int8", "onnx-int8"} & set(args.include) else None
    settings = ReportSettings(include=args.include, input_size=args.input_size, qat_model=args.qat_model,
                              calibration_steps=args.calibration_steps, threads=args.threads,
                              batches=args.batches, warmup=args.warmup, runs=args.runs,
                              examples=args.examples, adb_binary=args.adb, serial=args.serial,
                              accelerators=args.accelerators, progress=not args.quiet)
    report = deployment_report(args.model, val, args.output, settings, calibration,
                               {"name": args.dataset, "root": str(args.data_root), "split": args.split})
    print(summary_table(report))
    cli.log.info("wrote %s", ", ".join(str(args.output / name) for name in report["files"].values()))
    failed = [a for a in report["artifacts"] if a["status"] == "failed"]
    if failed:
        raise StdcError(f"{len(failed)} artifact(s) failed (the report lists why): "
                        + "; ".join(f"{a['name']}: {a['reason']}" for a in failed))
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
