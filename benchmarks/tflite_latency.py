"""LiteRT latency of STDC-Seg at deployment size, side by side with its peers (not a test).

For each preset (random weights: latency does not depend on them) the inference graph is
converted to fp32, fp16, dynamic-range and int8 LiteRT files (and qat with --qat-model) and timed
on LiteRT + XNNPACK, next to the PyTorch fp32 reference port (tests/torch_reference.py, eager,
main head only), the ONNX fp32 and onnxruntime static int8 files (QDQ, s8 per-channel weights,
u8 activations, calibrated on the same images as LiteRT int8) on onnxruntime's CPU provider, and
a numpy sgemm that gives the machine's fp32 arithmetic limit (2 x MACs / sgemm FLOP/s). All
runners of one thread count are timed round-robin, one run each in turn with a short pause
between them (worker threads of the previous runtime stop spinning), so that load from other
processes hits them alike; the median of --runs runs after --warmup runs is reported. The table
starts with the machine: CPU model, the ISA features that decide int8/fp16 speed (/proc/cpuinfo)
and the runtime versions; a latency figure means nothing without them.

The int8 arithmetic limit is the fp32 limit divided by how many more int8 multiply-adds than fp32
FMAs one vector instruction of the same width does on this ISA (:data:`INT8_SPEEDUP`): x86
AVX2 without VNNI multiplies u8 x s8 pairs with VPMADDUBSW (2 products per 16-bit lane) and
needs VPMADDWD + VPADDD to accumulate into 32 bits, so ~2x the VFMADD231PS rate (8 fp32 MACs per
ymm); AVX512BW the same pair at zmm width, 2x; AVX-VNNI and AVX512-VNNI fuse it into VPDPBUSD (4
u8 x s8 products per 32-bit lane, one instruction) = 4x; AMX-INT8 tiles do 16x (1024 int8 MACs
/ cycle vs 2 x 16 fp32 FMAs). Arm: SDOT (asimddp) 4 products per 32-bit lane = 4x the fp32 FMLA,
I8MM (SMMLA) 8x, plain NEON (SMLAL) 2x. Each int8 figure then has its own "x the limit".
--extra-tflite LABEL=PATH adds other .tflite files (e.g. the files of an earlier commit) to the
same interleaved runs, for before/after tables measured side by side.

  python benchmarks/tflite_latency.py
  python benchmarks/tflite_latency.py --presets stdc1_seg50 --runs 30 --profile
  python benchmarks/tflite_latency.py --input-size 256x512 --threads 2 --precisions fp32 int8
  python benchmarks/tflite_latency.py --qat-model runs/qat/final.keras

LiteRT files output logits (as the peers do) unless --output-kinds adds "classes" (the deployment
default: in-graph ARG_MAX to a uint8 class map). All take uint8 pixels with the normalization in
the graph. --profile times every op of the fp32 and int8 files alone (a one-op model per op, on
XNNPACK when it takes the op): the Python LiteRT API has no op profiler, and the native
benchmark_model (--enable_op_profiling) cannot be downloaded here.
"""
from __future__ import annotations

import ctypes
import glob
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from stdc_tf import cli
from stdc_tf.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

log = logging.getLogger("stdc_tf.benchmarks.tflite_latency")
PRECISIONS = ("fp32", "fp16", "dynamic", "int8")
SGEMM_N = 2048
PAUSE_S = 0.05   # between runners: onnxruntime/OpenMP/XNNPACK workers spin a while after a run
INT8_SPEEDUP = {"AMX-INT8": 16.0, "AVX512-VNNI": 4.0, "AVX-VNNI": 4.0, "AVX512BW": 2.0, "AVX2": 2.0,
                "SSE": 2.0, "I8MM": 8.0, "SDOT": 4.0, "NEON": 2.0}   # int8 MACs per fp32 FMA, same width
VNNI_PATHS = ("AMX-INT8", "AVX512-VNNI", "AVX-VNNI", "I8MM", "SDOT")


def goals(int8_path: str) -> tuple[tuple[str, str, float | None], ...]:
    """(numerator, denominator, goal) of the issue's ratios; the int8/fp32 goal depends on the ISA
    (<= 0.30 with dot-product int8 instructions, <= 0.60 on AVX2 alone); ``None``: reported."""
    int8_vs_fp32 = 0.30 if int8_path in VNNI_PATHS else 0.60
    return (("litert int8", "litert fp32", int8_vs_fp32), ("litert int8", "onnxruntime int8", 1.0),
            ("litert int8", "int8 arithmetic limit", None),
            ("litert fp32", "onnxruntime fp32", 1.0), ("litert fp32", "fp32 arithmetic limit", 1.5),
            ("litert int8", "pytorch fp32", 0.20), ("litert int8", "onnxruntime fp32", 0.40),
            ("litert qat", "litert fp32", int8_vs_fp32), ("litert qat", "onnxruntime int8", 1.0),
            ("onnxruntime int8", "onnxruntime fp32", None))


def openblas_threads() -> Callable[[int], None]:
    """numpy's OpenBLAS thread setter (no threadpoolctl here); a no-op if it cannot be found."""
    import numpy as np

    for path in glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*")):
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                     "openblas_set_num_threads"):
            if hasattr(lib, name):
                return getattr(lib, name)
    log.warning("numpy's OpenBLAS not found: sgemm runs with its default thread count")
    return lambda n: None


def interleaved_ms(runners: dict[str, Callable[[], object]], runs: int, warmup: int,
                   label: str) -> dict[str, float]:
    """Median milliseconds per runner, timed round-robin (one run of each in turn)."""
    from stdc_tf.progress import Progress

    for fn in runners.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in runners}
    with Progress(runs, label, "round") as bar:
        for _ in range(runs):
            for name, fn in runners.items():
                time.sleep(PAUSE_S)   # the previous runtime's worker threads stop spinning
                started = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - started)
            bar.update()
    return {name: 1000 * statistics.median(t) for name, t in times.items()}


def litert_runner(flatbuffer: bytes, threads: int) -> Callable[[], object]:
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer, num_threads=threads)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    x = np.random.default_rng(0).integers(0, 256, detail["shape"]).astype(detail["dtype"])
    interpreter.set_tensor(detail["index"], x)
    return interpreter.invoke


def torch_runner(backbone: str, num_classes: int, size: tuple[int, int]) -> Callable[[], object]:
    """The reference port's inference path: context path → FFM → main head → aligned-corners resize."""
    import torch
    import torch.nn.functional as F

    sys.path.insert(0, str(ROOT / "tests"))
    from torch_reference import build_seg

    net = build_seg(backbone, num_classes)
    x = torch.randn(1, 3, *size)

    def run():
        with torch.inference_mode():
            _, _, feat8, _, cp8, _, _ = net.cp.forward_with_feat32(x)
            logits = net.conv_out(net.ffm(feat8, cp8))
            return F.interpolate(logits, size=size, mode="bilinear", align_corners=True)
    return run


def onnx_runner(path: Path, threads: int) -> Callable[[], object]:
    """The file on onnxruntime's CPU provider through its Predictor, input bound once."""
    import numpy as np

    from stdc_tf.runtime import load_predictor

    predictor = load_predictor(path, provider="cpu", threads=threads)
    images = np.random.default_rng(0).integers(0, 256, (1, *predictor.input_size, 3), dtype=np.uint8)
    return predictor.device_run(predictor.prepare_input(images))


def delegation(flatbuffer: bytes, work: Path) -> dict:
    """XNNPACK's partitions and the ops it left out, read by the runtime's own predictor."""
    from stdc_tf.runtime import load_predictor

    path = work / f"delegation_{abs(hash(flatbuffer))}.tflite"
    path.write_bytes(flatbuffer)
    return load_predictor(path, threads=1).delegation()


def sgemm_runner() -> Callable[[], object]:
    import numpy as np

    a, b = (np.random.default_rng(i).random((SGEMM_N, SGEMM_N), dtype=np.float32) for i in (0, 1))
    return lambda: a @ b


def op_profile(flatbuffer: bytes, threads: int, runs: int) -> list[tuple[str, str, float, bool]]:
    """(op, output shape, median ms, delegated to XNNPACK) of every op, each run as a one-op model."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter
    from ai_edge_litert.tools import flatbuffer_utils

    from stdc_tf.runtime.flatbuffer import read_graph

    names = [op.name for op in read_graph(flatbuffer).ops]
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(flatbuffer))
    model.signatureDefs, model.metadata = [], []
    sub = model.subgraphs[0]
    constant = {i for i, t in enumerate(sub.tensors) if t.buffer and model.buffers[t.buffer].data is not None
                and len(model.buffers[t.buffer].data)}
    rng = np.random.default_rng(0)
    rows = []
    for name, op in zip(names, list(sub.operators), strict=True):
        sub.operators = [op]
        sub.inputs = [i for i in op.inputs if i >= 0 and i not in constant]
        sub.outputs = list(op.outputs)
        interpreter = Interpreter(model_content=bytes(flatbuffer_utils.convert_object_to_bytearray(model)),
                                  num_threads=threads)
        interpreter.allocate_tensors()
        for d in interpreter.get_input_details():
            if np.issubdtype(d["dtype"], np.integer):
                info = np.iinfo(d["dtype"])
                x = rng.integers(max(info.min, -128), min(info.max, 255) + 1, d["shape"])
            else:
                x = rng.normal(size=d["shape"])
            interpreter.set_tensor(d["index"], x.astype(d["dtype"]))
        delegated = any(o["op_name"] == "DELEGATE" for o in interpreter._get_ops_details())
        interpreter.invoke()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            interpreter.invoke()
            times.append(time.perf_counter() - started)
        shape = "x".join(str(d) for d in sub.tensors[op.outputs[0]].shape)
        rows.append((name, shape, 1000 * statistics.median(times), delegated))
    return rows


def print_profile(title: str, rows: list[tuple[str, str, float, bool]], whole_ms: float) -> None:
    total = sum(r[2] for r in rows)
    print(f"\n{title}: sum of ops alone {total:.1f} ms (whole graph {whole_ms:.1f} ms)\n")
    print("| op | count | ms | share | on XNNPACK |\n| --- | ---: | ---: | ---: | --- |")
    by_op: dict[str, list] = {}
    for name, _, ms, delegated in rows:
        entry = by_op.setdefault(name, [0, 0.0, set()])
        entry[0] += 1
        entry[1] += ms
        entry[2].add(delegated)
    for name, (count, ms, delegated) in sorted(by_op.items(), key=lambda kv: -kv[1][1]):
        where = "yes" if delegated == {True} else "no" if delegated == {False} else "partly"
        print(f"| {name} | {count} | {ms:.2f} | {100 * ms / total:.1f} % | {where} |")
    print("\nslowest ops:\n\n| # | op | output | ms |\n| ---: | --- | --- | ---: |")
    for index, (name, shape, ms, _) in sorted(enumerate(rows), key=lambda r: -r[1][2])[:8]:
        print(f"| {index} | {name} | {shape} | {ms:.2f} |")


def main(args) -> int:
    size = args.input_size
    unknown = set(args.precisions) - set(PRECISIONS)
    if unknown:
        raise ConfigError(f"unknown precision(s) {sorted(unknown)}; valid: {', '.join(PRECISIONS)}")
    cli.import_tensorflow()
    import keras
    import torch

    from stdc_tf.data import load_dataset
    from stdc_tf.export.contract import AS_IS, ExportSpec
    from stdc_tf.export.onnx import export_onnx
    from stdc_tf.export.tflite import convert_tflite
    from stdc_tf.models import build_model, describe_model, get_preset, inference_model
    from stdc_tf.models.summary import summarize
    from stdc_tf.profiling import environment
    from stdc_tf.quantization.trained import load_trained_model

    set_blas_threads = openblas_threads()
    qat = load_trained_model(args.qat_model, quantized=True) if args.qat_model else None
    work = Path(tempfile.mkdtemp(prefix="tflite_latency_"))
    calibration = load_dataset("synthetic", work / "synthetic", "train", num_train=args.calibration_steps,
                               num_val=1, height=size[0], width=size[1])
    results: dict[tuple[str, int], dict[str, float]] = {}
    profiles = []
    extra = dict(parse_extra(e) for e in args.extra_tflite)
    cpu = environment.cpu_info()
    for preset in args.presets:
        backbone = get_preset(preset).backbone
        keras.utils.set_random_seed(0)
        model = inference_model(build_model(preset, input_shape=(*size, 3)))
        macs = summarize(model)["total"][1]
        files: dict[str, bytes] = {}
        models = [(p, model) for p in args.precisions]
        if qat is not None and describe_model(qat).backbone == backbone:
            models.append(("qat", qat))
        for precision, source in models:
            for kind in args.output_kinds:
                log.info("%s: converting %s (%s out)", preset, precision, kind)
                spec = ExportSpec(size, output=kind, precision=precision, calibration=calibration,
                                  calibration_steps=args.calibration_steps)
                files[f"litert {precision}" + ("" if kind == "logits" else " classes")] = convert_tflite(
                    source, spec)
        files.update({f"litert {label}": path.read_bytes() for label, path in extra.items()})
        onnx_path = export_onnx(model, work / f"{preset}.onnx", AS_IS.with_(input_size=size)).path
        log.info("%s: onnxruntime static int8", preset)
        onnx_int8 = export_onnx(model, work / f"{preset}_int8.onnx", AS_IS.with_(
            input_size=size, precision="int8", calibration=calibration,
            calibration_steps=args.calibration_steps)).path
        partitions = {name: delegation(fb, work) for name, fb in files.items()}
        for threads in args.threads:
            torch.set_num_threads(threads)
            set_blas_threads(threads)
            runners = {name: litert_runner(fb, threads) for name, fb in files.items()}
            runners["onnxruntime fp32"] = onnx_runner(onnx_path, threads)
            runners["onnxruntime int8"] = onnx_runner(onnx_int8, threads)
            runners["pytorch fp32"] = torch_runner(backbone, model.outputs[0].shape[-1], size)
            runners["numpy sgemm"] = sgemm_runner()
            ms = interleaved_ms(runners, args.runs, args.warmup, f"{preset} {threads} thread(s)")
            gflops = 2 * SGEMM_N ** 3 / (ms.pop("numpy sgemm") / 1000) / 1e9
            ms["fp32 arithmetic limit"] = 2 * macs / (gflops * 1e9) * 1000
            ms["int8 arithmetic limit"] = ms["fp32 arithmetic limit"] / INT8_SPEEDUP.get(cpu["int8"], 2.0)
            ms["sgemm GFLOP/s"] = gflops
            results[(preset, threads)] = ms
            del runners
        if args.profile:
            threads = max(args.threads)
            for name in ["litert fp32", "litert int8", *(f"litert {label}" for label in extra)]:
                if name in files:
                    profiles.append((f"{preset} {name} per-op profile, {threads} thread(s)",
                                     op_profile(files[name], threads, max(5, args.runs // 3)),
                                     results[(preset, threads)][name]))
        print_table(preset, size, macs, {t: results[(preset, t)] for t in args.threads}, cpu,
                    partitions)
    for title, rows, whole in profiles:
        print_profile(title, rows, whole)
    return 0


def parse_extra(text: str) -> tuple[str, Path]:
    label, sep, path = text.partition("=")
    if not sep or not label or not Path(path).is_file():
        raise ConfigError(f"--extra-tflite must be LABEL=PATH to an existing .tflite, got {text!r}")
    return label, Path(path)


def print_table(preset: str, size: tuple[int, int], macs: int,
                by_threads: dict[int, dict[str, float]], cpu: dict, partitions: dict[str, dict]) -> None:
    from stdc_tf.profiling import environment

    threads = list(by_threads)
    first = by_threads[threads[0]]
    versions = environment.library_versions()
    print(f"\nmachine: {environment.isa_line(cpu)}; int8 limit = fp32 limit / "
          f"{INT8_SPEEDUP.get(cpu['int8'], 2.0):g} ({cpu['int8']})")
    print("runtimes: " + ", ".join(f"{k} {versions[k]}" for k in ("ai-edge-litert", "onnxruntime",
                                                               "torch", "tensorflow") if k in versions))
    print(f"\n{preset} at {size[0]}x{size[1]}, {macs / 1e9:.2f} GMACs, batch 1, {os.cpu_count()} CPU cores "
          f"(median ms; LiteRT on XNNPACK, uint8 in)\n")
    print("| LiteRT file | XNNPACK partitions | nodes delegated | ops outside XNNPACK |\n"
          "| --- | ---: | ---: | --- |")
    for name, d in partitions.items():
        print(f"| {name} | {d['partitions']} | {d['nodes_delegated']}/{d['nodes_total']} | "
              f"{', '.join(d['unsupported_ops']) or 'none'} |")
    print()
    print("| runtime | " + " | ".join(f"{t} thread{'s' * (t > 1)}" for t in threads) + " |")
    print("| --- | " + " | ".join("---:" for _ in threads) + " |")
    for name in first:
        unit = "" if name != "sgemm GFLOP/s" else " (GFLOP/s)"
        print(f"| {name}{unit} | " + " | ".join(f"{by_threads[t][name]:.1f}" for t in threads) + " |")
    print("\n| ratio | goal | " + " | ".join(f"{t} thr" for t in threads) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in threads) + " |")
    for num, den, goal in goals(cpu["int8"]):
        if num in first and den in first:
            values = [by_threads[t][num] / by_threads[t][den] for t in threads]
            marks = [f"{v:.2f}" + ("" if goal is None else " ok" if v <= goal else " MISSED")
                     for v in values]
            target = "report" if goal is None else f"<= {goal:.2f}"
            print(f"| {num} / {den} | {target} | " + " | ".join(marks) + " |")
    for label in [n for n in first if n.startswith("litert ") and n.split()[1] not in (*PRECISIONS, "qat")]:
        for base in ("litert fp32", "litert int8"):   # an --extra-tflite file against ours
            if base in first and base.split()[1] in label:
                values = [by_threads[t][label] / by_threads[t][base] for t in threads]
                print(f"| {label} / {base} | report | " + " | ".join(f"{v:.2f}" for v in values) + " |")


def build_parser():
    p = cli.parser(__doc__)
    p.add_argument("--presets", nargs="+", default=["stdc1_seg50", "stdc2_seg50"],
                   help="segmentation presets to time (default: %(default)s)")
    p.add_argument("--input-size", default=(512, 1024), type=cli.input_size, metavar="HxW",
                   help="input height x width (default: 512x1024)")
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2],
                   help="thread counts to time, each for every runtime (default: %(default)s)")
    p.add_argument("--runs", type=int, default=30, help="timed runs per runner (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs first (default: %(default)s)")
    p.add_argument("--precisions", nargs="+", default=list(PRECISIONS),
                   help=f"LiteRT precisions (default: {' '.join(PRECISIONS)})")
    p.add_argument("--output-kinds", nargs="+", choices=("logits", "classes"), default=["logits"],
                   help="LiteRT outputs to time (default: logits, like the peers)")
    p.add_argument("--qat-model", type=Path, metavar="PATH",
                   help="quantization-aware tf_keras model: adds 'litert qat' to its backbone's preset")
    p.add_argument("--calibration-steps", type=int, default=8,
                   help="synthetic images to calibrate int8 with (default: %(default)s)")
    p.add_argument("--extra-tflite", nargs="+", default=[], metavar="LABEL=PATH",
                   help="more .tflite files (uint8 in) timed in the same rounds, e.g. before=old.tflite")
    p.add_argument("--profile", action="store_true",
                   help="also time every op of the fp32 and int8 files (largest thread count)")
    return p


if __name__ == "__main__":
    sys.exit(cli.run(main, build_parser()))
