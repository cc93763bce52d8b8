"""Host LiteRT profiler: a ``.tflite`` file through the Interpreter and the CompiledModel APIs.

Every configuration is a LiteRT predictor (:class:`stdc_tf.runtime.litert.LiteRTPredictor`) with
its api, accelerator and threads. Per configuration (Interpreter with XNNPACK and with the
builtin kernels only, CompiledModel on the CPU and, where the runtime offers it, on the GPU; each
at every thread count asked for):
initialisation time (constructor + tensor allocation / compilation), the first inference, the
latency of the timed runs after warm-up, and the process's peak memory during the
configuration. The timed region is the runtime's invoke alone, the input already written to the
runtime's input tensor, as ``benchmark_model`` times it, so host and phone figures compare.

Op-level times: ai_edge_litert 2.3.0's Python API has no op profiler (the Interpreter wrapper
takes no profiler, the CompiledModel wrapper does not expose ``LiteRtCompiledModelGetProfiler``,
the bundled ``benchmark_litert_model`` tool has no ``--use_profiler``). LiteRT's own per-op
profile comes from the native ``benchmark_model`` with ``--enable_op_profiling``: pass its
binary for this machine (:func:`profile_with_binary`) or profile on a phone (:mod:`.adb`).

The compatibility report lists the ops the model uses (LiteRT's model analyzer), which of them
XNNPACK takes (from the Interpreter's delegate partitions) and the analyzer's GPU verdict.
"""
from __future__ import annotations

import gc
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.errors import ConfigError, StdcError, first_line
from stdc_tf.native import native_stderr
from stdc_tf.profiling import environment, records
from stdc_tf.profiling.timing import host_peak, time_runs
from stdc_tf.runtime.litert import native_reason

log = logging.getLogger(__name__)

TIMED_REGION = "invoke only: input written to the runtime's input tensor before the runs"
HOST_APIS = ("interpreter", "compiled_model")
DEFAULT_INPUT_SIZE = (512, 1024)
DEFAULT_THREADS = (1, 2, 4)


def host_threads(threads: Sequence[int] | None) -> list[int]:
    """The thread counts to time here: the default clipped to the cores this process may use;
    counts asked for beyond them are kept, with a warning (they time oversubscribed cores)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if threads is None:
        clipped = sorted({min(t, cores) for t in DEFAULT_THREADS})
        if clipped != list(DEFAULT_THREADS):
            log.info("threads %s (the default %s, clipped to the %d core(s) here)",
                     ",".join(map(str, clipped)), ",".join(map(str, DEFAULT_THREADS)), cores)
        return clipped
    over = [t for t in threads if t > cores]
    if over:
        log.warning("--threads %s: more threads than the %d core(s) here; those timings measure "
                    "threads competing for cores", ",".join(map(str, over)), cores)
    return list(threads)


@dataclass(frozen=True)
class HostConfig:
    """One way to run the model on this host."""

    api: str                 # "interpreter" or "compiled_model"
    accelerator: str         # interpreter: "xnnpack" | "none"; compiled_model: "cpu" | "gpu"
    threads: int | None      # None for the GPU

    @property
    def name(self) -> str:
        threads = "" if self.threads is None else f" threads={self.threads}"
        return f"{self.api} {self.accelerator}{threads}"

    def as_dict(self) -> dict:
        return {"api": self.api, "accelerator": self.accelerator, "threads": self.threads}

    def as_options(self) -> dict:
        """The LiteRT predictor's options (:class:`stdc_tf.runtime.litert.LiteRTPredictor`)."""
        return {"api": self.api, "accelerator": self.accelerator,
                **({"threads": self.threads} if self.threads is not None else {})}


def host_configs(threads: Sequence[int], apis: Sequence[str] = HOST_APIS,
                 gpu: bool = True) -> list[HostConfig]:
    """Interpreter XNNPACK on/off and CompiledModel CPU per thread count; CompiledModel GPU once."""
    configs = []
    for t in threads:
        if "interpreter" in apis:
            configs += [HostConfig("interpreter", "xnnpack", t), HostConfig("interpreter", "none", t)]
        if "compiled_model" in apis:
            configs.append(HostConfig("compiled_model", "cpu", t))
    if gpu and "compiled_model" in apis:
        configs.append(HostConfig("compiled_model", "gpu", None))
    return configs


def _prepared_input(path: Path, input_size: tuple[int, int] | None) -> np.ndarray:
    """One image at the model's size, prepared exactly as the evaluator's LiteRT predictor does."""
    from stdc_tf.runtime import load_predictor

    with native_stderr():
        predictor = load_predictor(path)      # one-line error for a file LiteRT cannot read
    fixed = predictor.input_size
    if fixed is not None and input_size is not None and tuple(input_size) != fixed:
        raise ConfigError(f"--input-size {input_size[0]}x{input_size[1]}: {path} takes "
                          f"{fixed[0]}x{fixed[1]} (HxW) only")
    height, width = fixed or input_size or DEFAULT_INPUT_SIZE
    image = np.random.default_rng(0).integers(0, 256, (1, height, width, 3), dtype=np.uint8)
    return predictor.prepare_input(image)


def _open(path: Path, config: HostConfig) -> tuple[Any, float, list[str], str | None]:
    """(LiteRT predictor or None, init ms, the runtime's native lines, error) for ``config``."""
    from stdc_tf.runtime import load_predictor

    with native_stderr() as native:
        start = time.perf_counter()
        try:
            predictor, error = load_predictor(path, **config.as_options()), None
        except Exception as e:  # LiteRT raises RuntimeError/ValueError with C++ context
            cause = e.__cause__ if isinstance(e.__cause__, (RuntimeError, ValueError)) else None
            predictor = None   # LiteRT's own reason, without the loader's list of model kinds
            error = first_line(str(cause)) if cause is not None else first_line(e)
        init_ms = (time.perf_counter() - start) * 1000.0
        gc.collect()     # half-made runtime objects log while they are destroyed
    return predictor, init_ms, native.lines, error


def profile_config(path: Path, config: HostConfig, x: np.ndarray, warmup: int, runs: int) -> dict:
    """Time one configuration; a runtime or accelerator that is not there gives a skipped entry."""
    model = str(path)
    with host_peak() as memory:
        predictor, init_ms, native, error = _open(path, config)
        if predictor is None:
            reason = native_reason(native) or error
            if config.accelerator == "gpu":
                reason = f"LiteRT GPU accelerator not available here: {reason}"
                log.warning("skipped: %s: %s", config.name, reason)
                return records.skipped(config.name, model, config.as_dict(), reason)
            raise StdcError(f"{path}: {config.name} cannot load the model: {reason}")
        log.info("timing %s: %d warm-up + %d runs", config.name, warmup, runs)
        timings = time_runs(predictor.device_run(x), warmup, runs, config.name)
    warnings = []
    if config.accelerator == "gpu" and not predictor.fully_accelerated:
        warnings.append("GPU accelerator did not take the whole graph (is_fully_accelerated() is "
                        "False): part or all of the model ran on the CPU")
    delegation = predictor.delegation()
    with native_stderr():
        predictor.close()
        gc.collect()
    if delegation and delegation["nodes_delegated"] < delegation["nodes_total"]:
        left = delegation["nodes_total"] - delegation["nodes_delegated"]
        warnings.append(f"XNNPACK took {delegation['nodes_delegated']} of "
                        f"{delegation['nodes_total']} nodes; {left} ran on the builtin kernels "
                        f"({', '.join(delegation['unsupported_ops'])})")
    return records.result(config.name, model, config.as_dict(), timed_region=TIMED_REGION,
                         timer="host clock", init_ms=init_ms, first_inference_ms=timings.first_ms,
                         warmup_ms=timings.warmup_stats(), latency_ms=timings.stats(),
                         peak_memory_mb={"host": memory.peak_mb, "host_delta": memory.delta_mb,
                                         "scope": memory.scope},
                         delegation=delegation, warnings=warnings)


_OP_LINE = re.compile(r"^\s*Op#(\d+)\s+([A-Z0-9_]+)\(")
_GPU_WARNING = "GPU COMPATIBILITY WARNING:"


def _analyze(path: Path) -> str:
    """LiteRT's model analyzer (the one behind ``tf.lite.experimental.Analyzer``), as text."""
    try:
        from ai_edge_litert import _pywrap_analyzer_wrapper as analyzer
        return analyzer.ModelAnalyzer(str(path), True, True)
    except (ImportError, AttributeError):   # another LiteRT build: TensorFlow's public wrapper
        import contextlib
        import io

        import tensorflow as tf
        text = io.StringIO()
        with contextlib.redirect_stdout(text):
            tf.lite.experimental.Analyzer.analyze(model_path=str(path), gpu_compatibility=True)
        return text.getvalue()


def compatibility(path: Path, threads: int = 1) -> dict:
    """Ops the model uses, which XNNPACK takes, and LiteRT's analyzer GPU verdict per op."""
    from stdc_tf.runtime import load_predictor

    text = _analyze(path)
    ops: Counter = Counter()
    gpu_warnings: dict[str, list[str]] = {}
    last_op = None
    for line in text.splitlines():
        match = _OP_LINE.match(line)
        if match:
            last_op = match.group(2)
            ops[last_op] += 1
        elif line.startswith(_GPU_WARNING) and last_op and "Subgraph#" not in line:
            gpu_warnings.setdefault(last_op, []).append(line[len(_GPU_WARNING):].strip())
    verdict = next((line.strip() for line in text.splitlines()
                    if "compatible with GPU delegate" in line or "has GPU delegate compatibility"
                    in line), "")
    with native_stderr():
        delegation = load_predictor(path, threads=threads).delegation()
    not_xnnpack = {item.rsplit(" x", 1)[0] for item in delegation["unsupported_ops"]}
    return {
        "source": "LiteRT model analyzer (gpu_compatibility=True) + Interpreter delegate partitions",
        "gpu_verdict": verdict,
        "gpu_note": "the analyzer's static check, not the GPU delegate itself: the phone run "
                    "(--adb ... --delegates gpu) reports what the delegate really took",
        "xnnpack": delegation,
        "ops": [{"op": op, "count": n, "xnnpack": op not in not_xnnpack,
                 "gpu": not gpu_warnings.get(op), "gpu_warnings": gpu_warnings.get(op, [])}
                for op, n in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))],
    }


def format_compatibility(compat: dict) -> str:
    """The compatibility report as a small table."""
    rows = [("op", "count", "XNNPACK", "GPU (analyzer)")]
    rows += [(o["op"], str(o["count"]), "yes" if o["xnnpack"] else "no",
              "yes" if o["gpu"] else "no: " + "; ".join(o["gpu_warnings"])) for o in compat["ops"]]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join([r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].ljust(widths[2]), r[3]])
             for r in rows]
    x = compat["xnnpack"]
    lines.append(f"XNNPACK took {x['nodes_delegated']} of {x['nodes_total']} nodes in "
                 f"{x['partitions']} partitions. GPU: {compat['gpu_verdict'] or 'no verdict'}")
    return "\n".join(lines)


def profile_edge(path: str | Path, *, threads: Sequence[int] | None = None, warmup: int = 10,
                 runs: int = 50, input_size: tuple[int, int] | None = None,
                 apis: Sequence[str] = HOST_APIS, gpu: bool = True,
                 benchmark_binary: str | Path | None = None) -> dict:
    """Profile a ``.tflite`` file on this host and return the report (with compatibility).

    ``benchmark_binary``: a native ``benchmark_model`` built for this machine; it adds LiteRT's
    own per-op profile (summed by op type) for each thread count. ``threads=None``: 1, 2 and 4,
    at most the cores here (:func:`host_threads`).
    """
    path = Path(path)
    if not path.is_file():
        raise StdcError(f"model {path} does not exist")
    if path.suffix != ".tflite":
        raise ConfigError(f"--model {path}: the edge profiler takes a .tflite file")
    threads = host_threads(threads)
    x = _prepared_input(path, input_size)
    entries = [profile_config(path, config, x, warmup, runs)
               for config in host_configs(threads, apis, gpu)]
    if benchmark_binary is not None:
        from stdc_tf.profiling.adb import profile_with_binary
        entries += profile_with_binary(benchmark_binary, path, threads, warmup, runs)
    protocol = {"warmup": warmup, "runs": runs, "threads": list(threads), "batch": 1,
                "input_size": list(x.shape[1:3]), "timed_region": TIMED_REGION,
                "input": "one random uint8 RGB image (seed 0) prepared like the evaluator's "
                         "LiteRT predictor",
                "op_profile": "from the native benchmark_model --enable_op_profiling when "
                              "--benchmark-binary is given (the Python API has no op profiler)"}
    info = {"path": str(path), "size_bytes": path.stat().st_size, "runtime": "litert",
            "input_dtype": np.dtype(x.dtype).name, "input_size": list(x.shape[1:3])}
    out = records.new_report("profile_edge", [info], environment.cpu_device(),
                            environment.library_versions(), protocol)
    out["results"] = entries
    out["compatibility"] = compatibility(path)
    return out
