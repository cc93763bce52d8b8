"""Time a .tflite model with LiteRT, on this host or on an Android phone over adb.

Host (default): the Interpreter API with XNNPACK on and off and the CompiledModel API on the CPU
(and the GPU where LiteRT offers one here), at each thread count: init time, first inference,
p50/p90/p99/mean latency of the invoke, peak memory; plus an op/delegate compatibility report
(LiteRT's model analyzer and XNNPACK's partitions). Per-op times come from LiteRT's native
benchmark_model (--enable_op_profiling): give --benchmark-binary for this machine's build.

Phone (--adb): pushes the model and your benchmark_model binary (TFLite's Interpreter tool or
LiteRT's CompiledModel tool, built for the phone) to /data/local/tmp, runs it pinned to the big
cores with each thread count and accelerator, pulls and parses the output into the same report,
and records the phone (model, SoC platform, Android version, ABI). A GPU/NNAPI/NPU delegate that
took only part of the graph, or none of it while the run silently stayed on the CPU, is flagged.

Examples:
  python convert/profile_edge.py --model stdc1_seg50_fp32.tflite --threads 1,2,4 --warmup 10 --runs 50
  python convert/profile_edge.py --model m.tflite --benchmark-binary ./linux_x86-64_benchmark_model
  python convert/profile_edge.py --model m.tflite --adb \\
      --benchmark-binary ./android_aarch64_benchmark_model \\
      --threads 1,4 --accelerators xnnpack,gpu --output phone.json
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.cli import choice_list, input_size, int_list
from stdc_tf.errors import ConfigError
from stdc_tf.profiling.adb import ACCELERATORS, TOOLS
from stdc_tf.profiling.edge import DEFAULT_THREADS


def build_parser() -> argparse.ArgumentParser:
    p = cli.parser(__doc__)
    p.add_argument("--model", required=True, type=Path, metavar="TFLITE", help=".tflite file")
    p.add_argument("--threads", type=int_list, metavar="N,N",
                   help="CPU thread counts (default: 1,2,4; on the host at most its cores, and a "
                        "warning for more)")
    p.add_argument("--warmup", type=int, default=10, help="warm-up runs (default: 10)")
    p.add_argument("--runs", type=int, default=50, help="timed runs (default: 50)")
    p.add_argument("--input-size", type=input_size, metavar="HxW",
                   help="host: input size for a model that takes any size (default: 512x1024)")
    p.add_argument("--no-gpu", action="store_true",
                   help="host: do not try LiteRT's GPU accelerator")
    p.add_argument("--benchmark-binary", type=Path, metavar="PATH",
                   help="a native benchmark_model: for this machine (adds per-op times on the "
                        "host) or, with --adb, for the phone")
    phone = p.add_argument_group("phone over adb")
    phone.add_argument("--adb", action="store_true", help="benchmark on an attached Android phone")
    phone.add_argument("--serial", help="adb serial of the phone (default: the only one attached)")
    phone.add_argument("--accelerators", type=choice_list(ACCELERATORS), default=["xnnpack", "gpu"],
                       metavar="A,A", help=f"{', '.join(ACCELERATORS)} (default: xnnpack,gpu)")
    phone.add_argument("--tool", choices=TOOLS,
                       help="which benchmark_model the binary is (default: detected from --help)")
    phone.add_argument("--cpu-mask", metavar="HEX",
                       help="taskset mask (default: the big cores; 'none' for no taskset)")
    phone.add_argument("--no-op-profiling", action="store_true",
                       help="do not ask benchmark_model for its per-op profile")
    p.add_argument("--output", type=Path, metavar="JSON", help="write the report here")
    return p


def run(args: argparse.Namespace) -> int:
    from stdc_tf.profiling.records import finish, format_table

    if args.warmup < 0 or args.runs < 1:
        raise ConfigError("--warmup must be >= 0 and --runs >= 1")
    if args.model.suffix != ".tflite":
        raise ConfigError(f"--model must be a .tflite file (LiteRT), got {args.model}; time other "
                          f"formats with convert/profile_gpu.py")
    cli.check_input(args.model)
    if args.output is not None:
        cli.check_output(args.output, ".json")
    if args.adb:
        if args.benchmark_binary is None:
            raise ConfigError("--adb needs --benchmark-binary (benchmark_model built for the phone)")
        from stdc_tf.profiling.adb import profile_adb

        mask = "" if args.cpu_mask == "none" else args.cpu_mask
        report = profile_adb(args.model, args.benchmark_binary, serial=args.serial,
                             threads=args.threads or list(DEFAULT_THREADS), accelerators=args.accelerators,
                             warmup=args.warmup, runs=args.runs, tool=args.tool, cpu_mask=mask,
                             op_profiling=not args.no_op_profiling)
    else:
        from stdc_tf.profiling.edge import format_compatibility, profile_edge

        report = profile_edge(args.model, threads=args.threads, warmup=args.warmup,
                              runs=args.runs, input_size=args.input_size, gpu=not args.no_gpu,
                              benchmark_binary=args.benchmark_binary)
        print(format_compatibility(report["compatibility"]))
        print()
    print(format_table(report))
    for entry in report["results"]:
        if entry["op_profile"]:
            print(f"\nper-op time, {entry['name']} (summed by op type):")
            for row in entry["op_profile"]:
                print(f"  {row['op']:<32} x{row['count']:<4} {row['avg_ms']:9.3f} ms "
                      f"{row['percent'] or 0:6.2f}%")
    finish(report, args.output)
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.run(run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
