"""Read the output of LiteRT's native ``benchmark_model`` tools into the profiler's result entries.

Both tools and the forms their output takes in the wild are read:

* the Interpreter-API tool (``tflite/tools/benchmark``): per-phase ``count=… first=… curr=… min=…
  max=… avg=… std=…`` lines in microseconds (with ``p5=… median=… p95=…`` in newer builds;
  ``count=N curr=T(all same)`` or ``count=1 curr=T`` when every run took the same time; numbers
  in scientific notation such as ``avg=2.95034e+06``), the summary ``Inference timings in us:
  Init: …, First inference: …, Warmup (avg): …, Inference (avg): …`` and the older ``Average
  inference timings in us: Warmup: …, Init: …, Inference: …``, and the three memory lines
  (``Peak memory footprint (MB): init=… overall=…``, ``Memory footprint delta from the start of
  the tool (MB): init=… overall=…``, ``Overall peak memory footprint (MB) via periodic
  monitoring: …``);
* the CompiledModel tool (C++ ``benchmark_litert_model`` and the Python one in ai_edge_litert):
  the ``BENCHMARK RESULTS`` block in milliseconds;
* each line with or without an ``INFO:``/``ERROR:`` prefix, a LiteRT ``[file.cc:12]`` tag, a
  Python logging prefix or an Android logcat prefix (``I tflite  :``, ``I/tflite:``);
* delegate lines: ``Replacing N out of M node(s) with delegate (…) node, yielding K
  partitions``, ``Explicitly applied … delegate, and the model graph will be completely /
  partially executed``, ``Though … delegate is explicitly applied, the model graph will not be
  executed by the delegate`` (a silent fall-back to the CPU), ``Following operations are not
  supported by GPU delegate:`` with the op list, ``Failed to apply … delegate``;
* the op profile's ``Summary by node type`` table (``--enable_op_profiling``).

A GPU/NNAPI/NPU delegate that took part of the graph, none of it, or failed while the benchmark
still ran on the CPU is turned into a warning on the result, so a CPU number is never shown as a
GPU number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from stdc_tf.profiling import records
from stdc_tf.profiling.stats import partial_stats

NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
TIMED_REGION = "Invoke() only (benchmark_model: input tensors filled once before the runs)"
TIMER = "benchmark_model's own clock"

_LOGCAT = [re.compile(r"^\d\d-\d\d\s+\d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+\s+([VDIWEF])\s+[^:]*?\s*:\s?"),
           re.compile(r"^([VDIWEF])/[^:(]*(?:\(\s*\d+\))?\s*:\s?")]
_PYLOG = re.compile(r"^\d{4}-\d\d-\d\d[ T][\d:,.]+\s+(DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+[\w.]+:\s?")
_LEVEL = re.compile(r"^(INFO|ERROR|WARNING|WARN|VERBOSE|DEBUG|FATAL):\s?")
_TAG = re.compile(r"^\[[\w./-]+:\d+\]\s?")
_LOGCAT_LEVELS = {"V": "VERBOSE", "D": "DEBUG", "I": "INFO", "W": "WARNING", "E": "ERROR",
                  "F": "FATAL"}
_DELEGATES = {"tflitegpudelegatev2": "gpu", "tflitegpudelegate": "gpu", "litert_opengl": "gpu",
              "litert_cl": "gpu", "gpu": "gpu", "tflitexnnpackdelegate": "xnnpack",
              "xnnpack": "xnnpack", "tflitennapidelegate": "nnapi", "nnapi": "nnapi",
              "tflitehexagondelegate": "hexagon", "hexagon": "hexagon"}


def clean_line(raw: str) -> tuple[str, str]:
    """``(level, message)`` of one output line without logcat/logging/level/tag prefixes."""
    line = raw.rstrip("\r\n")
    level = ""
    for pattern in _LOGCAT:
        match = pattern.match(line)
        if match:
            level, line = _LOGCAT_LEVELS[match.group(1)], line[match.end():]
            break
    match = _PYLOG.match(line)
    if match:
        level, line = match.group(1), line[match.end():]
    match = _LEVEL.match(line.lstrip())
    if match:
        level, line = match.group(1), line.lstrip()[match.end():]
    line = _TAG.sub("", line)
    return level, line


def delegate_kind(name: str) -> str:
    """``gpu``/``xnnpack``/``nnapi``/… for a delegate's name as the tools print it."""
    return _DELEGATES.get(name.lower(), name.lower())


@dataclass
class BenchmarkOutput:
    """What one ``benchmark_model`` run printed (times in ms, memory in MB)."""

    tool: str = "interpreter"               # "interpreter" or "compiled_model"
    init_ms: float | None = None
    first_ms: float | None = None
    warmup: dict | None = None
    latency: dict | None = None
    memory: dict = field(default_factory=dict)
    delegations: list[dict] = field(default_factory=list)
    not_executed: list[str] = field(default_factory=list)     # delegates that took nothing
    failed_delegates: list[str] = field(default_factory=list)
    unsupported_ops: list[str] = field(default_factory=list)
    fully_accelerated: bool | None = None
    op_profile: list[dict] | None = None
    errors: list[str] = field(default_factory=list)
    failed: bool = False


def _delegation(out: BenchmarkOutput, name: str) -> dict:
    """The record of delegate ``name`` (created on its first line), updated line by line."""
    kind = delegate_kind(name)
    for record in out.delegations:
        if record["delegate"] == kind:
            return record
    record = {"delegate": kind, "nodes_delegated": None, "nodes_total": None, "partitions": None,
              "applied": True}
    out.delegations.append(record)
    return record


def _fields(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(rf"\b(\w+)=({NUM})", text)}


def _count_stats(text: str) -> dict:
    """A ``count=…`` line (µs) as latency statistics in ms."""
    values = _fields(text)
    count = int(values["count"])
    if "avg" not in values:        # every run took the same time: "count=N curr=T(all same)"
        t = values["curr"]
        values.update(min=t, max=t, avg=t, std=0.0)
    ms = {k: v / 1000.0 for k, v in values.items() if k != "count"}
    return partial_stats(count=count, mean=ms["avg"], std=ms["std"], min=ms["min"], max=ms["max"],
                         p5=ms.get("p5"), p50=ms.get("median"), p95=ms.get("p95"))


_SUMMARY = re.compile(r"(?:Average )?[Ii]nference timings in us:\s*(.*)")
_SUMMARY_PAIR = re.compile(rf"([A-Za-z][A-Za-z ()]*?):\s*({NUM})")
_REPLACING = re.compile(r"Replacing (\d+)(?: out of (\d+))? node\(s\) with delegate \(([^)]+)\) "
                        r"node, yielding (\d+) partitions")
_APPLIED = re.compile(r"Explicitly applied (\w+) delegate, and the model graph will be "
                      r"(completely|partially) executed by the delegate(?: w/ (\d+) delegate "
                      r"kernels)?")
_NOT_EXECUTED = re.compile(r"Though (\w+) delegate is explicitly applied, the model graph will "
                           r"not be executed by the delegate")
_FAILED_DELEGATE = re.compile(r"Failed to (?:apply|create) (\w+) delegate", re.IGNORECASE)
_SPLIT = re.compile(r"(\d+) operations will run on the GPU, and the remaining (\d+) operations "
                    r"will run on the CPU")
_UNSUPPORTED_ITEM = re.compile(r"^\s*([A-Z][A-Z0-9_]+(?: [\w.]+)?):\s*(.+)$")
_BLOCK = re.compile(rf"^(Model initialization|Warmup \(first\)|Warmup \(avg\)|"
                    rf"Inference \((?:avg|min|max|median|std|p5|p95)\)):\s*({NUM})(?:\s*ms)?"
                    rf"(?:\s*\((\d+) runs\))?")
_MEMORY = [
    (re.compile(rf"Peak memory footprint \(MB\): init=({NUM}) overall=({NUM})"), "peak_old"),
    (re.compile(rf"Memory footprint delta from the start of the tool \(MB\): init=({NUM}) "
                rf"overall=({NUM})"), "delta"),
    (re.compile(rf"Overall peak memory footprint \(MB\) via periodic monitoring: ({NUM})"), "peak"),
    (re.compile(rf"^Overall footprint:\s*({NUM}) MB"), "overall"),
    (re.compile(rf"^Peak memory:\s*({NUM}) MB"), "peak"),
]
_PROFILE_ROW = re.compile(rf"^\s*(\S.*?)\s+(\d+)\s+({NUM})\s+({NUM})%\s+({NUM})%\s+({NUM})\s+(\d+)\s*$")


def _op_profile(lines: list[str]) -> list[dict] | None:
    """The ``Summary by node type`` table of the regular runs (not of initialisation)."""
    start = next((i for i, line in enumerate(lines)
                  if "Operator-wise Profiling Info for Regular Benchmark Runs" in line), None)
    tables = [i for i, line in enumerate(lines) if "Summary by node type" in line
              and (start is None or i > start)]
    if not tables:
        return None
    rows = []
    for line in lines[tables[0] + 1:]:
        if "[Node type]" in line:
            continue
        match = _PROFILE_ROW.match(line)
        if not match:
            break
        rows.append({"op": match.group(1).strip(), "count": int(match.group(2)),
                     "avg_ms": float(match.group(3)), "percent": float(match.group(4))})
    return rows


def parse(text: str) -> BenchmarkOutput:
    """Parse one run's combined stdout+stderr (any of the forms in the module docstring)."""
    out = BenchmarkOutput()
    cleaned = [clean_line(raw) for raw in text.splitlines()]
    lines = [line for _, line in cleaned]
    counts, block = [], {}
    collecting_unsupported = False
    for level, line in cleaned:
        stripped = line.strip()
        if collecting_unsupported:
            item = _UNSUPPORTED_ITEM.match(line)
            if item and not _SPLIT.search(line):
                out.unsupported_ops.append(f"{item.group(1)}: {item.group(2).strip()}")
                continue
            collecting_unsupported = False
        if level in ("ERROR", "FATAL") and stripped:
            out.errors.append(stripped)
        if stripped.startswith("count="):
            counts.append(stripped)
        elif match := _SUMMARY.search(stripped):
            pairs = {k.strip().lower(): float(v) for k, v in _SUMMARY_PAIR.findall(match.group(1))}
            out.init_ms = pairs.get("init", 0.0) / 1000.0 if "init" in pairs else out.init_ms
            if "first inference" in pairs:
                out.first_ms = pairs["first inference"] / 1000.0
            mean = next((pairs[k] for k in ("inference (avg)", "inference", "no stats")
                         if k in pairs), None)
            block.setdefault("summary_mean_ms", None if mean is None else mean / 1000.0)
            warm = pairs.get("warmup (avg)", pairs.get("warmup"))
            block.setdefault("summary_warmup_ms", None if warm is None else warm / 1000.0)
        elif match := re.search(rf"Initialized session in ({NUM})\s*ms", stripped):
            out.init_ms = out.init_ms if out.init_ms is not None else float(match.group(1))
        elif "BENCHMARK RESULTS" in stripped:
            out.tool = "compiled_model"
        elif match := _BLOCK.match(stripped):
            block[match.group(1)] = (float(match.group(2)), match.group(3))
        elif match := re.match(r"^Fully accelerated:\s*(True|False|true|false|1|0)", stripped):
            out.fully_accelerated = match.group(1).lower() in ("true", "1")
        elif match := _REPLACING.search(stripped):
            _delegation(out, match.group(3)).update(
                nodes_delegated=int(match.group(1)),
                nodes_total=int(match.group(2)) if match.group(2) else None,
                partitions=int(match.group(4)))
        elif match := _APPLIED.search(stripped):
            _delegation(out, match.group(1))["complete"] = match.group(2) == "completely"
        elif match := _NOT_EXECUTED.search(stripped):
            out.not_executed.append(delegate_kind(match.group(1)))
        elif "operations are not supported by GPU delegate" in stripped:
            collecting_unsupported = True
        elif match := _SPLIT.search(stripped):
            gpu = _delegation(out, "gpu")
            if gpu["nodes_total"] is None:
                gpu.update(nodes_delegated=int(match.group(1)),
                           nodes_total=int(match.group(1)) + int(match.group(2)))
        elif match := _FAILED_DELEGATE.search(stripped):
            out.failed_delegates.append(delegate_kind(match.group(1)))
        elif "GPU acceleration is unsupported on this platform" in stripped:
            out.failed_delegates.append("gpu")
        elif "Benchmarking failed" in stripped:
            out.failed = True
        for pattern, kind in _MEMORY:
            if match := pattern.search(stripped):
                values = [float(v) for v in match.groups()]
                if kind == "peak_old":
                    out.memory.update(init=values[0], peak=values[1])
                elif kind == "delta":
                    out.memory.update(init_delta=values[0], overall_delta=values[1])
                else:
                    out.memory.setdefault(kind, values[0])
    _timings(out, counts, block)
    out.op_profile = _op_profile(lines)
    return out


def _timings(out: BenchmarkOutput, counts: list[str], block: dict) -> None:
    """Latency from the ``count=`` lines (µs, most precise), else the ms block, else the summary."""
    counts = [c for c in counts if _fields(c).get("count", 0) > 0]
    if counts:
        out.latency = _count_stats(counts[-1])
        out.warmup = _count_stats(counts[0]) if len(counts) > 1 else None
        if out.first_ms is None and out.warmup is not None:   # old summaries have no "First"
            first = _fields(counts[0])
            out.first_ms = first.get("first", first.get("curr", 0.0)) / 1000.0
    if "Model initialization" in block:
        out.init_ms = block["Model initialization"][0]
    if "Warmup (first)" in block:
        out.first_ms = block["Warmup (first)"][0]
    if out.latency is None and "Inference (avg)" in block:
        mean, runs = block["Inference (avg)"]
        get = lambda key: block.get(f"Inference ({key})", (None,))[0]  # noqa: E731
        out.latency = partial_stats(count=int(runs) if runs else None, mean=mean, std=get("std"),
                                    min=get("min"), max=get("max"), p5=get("p5"),
                                    p50=get("median"), p95=get("p95"))
    elif out.latency is not None and out.latency["p50"] is None and "Inference (median)" in block:
        out.latency["p50"] = block["Inference (median)"][0]
    if out.warmup is None and "Warmup (avg)" in block:
        mean, runs = block["Warmup (avg)"]
        out.warmup = partial_stats(count=int(runs) if runs else None, mean=mean)
    if out.latency is None and block.get("summary_mean_ms") is not None:
        out.latency = partial_stats(mean=block["summary_mean_ms"])
    if out.warmup is None and block.get("summary_warmup_ms") is not None:
        out.warmup = partial_stats(mean=block["summary_warmup_ms"])


_ACCELERATORS = ("gpu", "nnapi", "npu", "hexagon")


def warnings_for(out: BenchmarkOutput, requested: str) -> list[str]:
    """Flags for a run where ``requested`` (``gpu``, ``nnapi``, ``npu``, ``xnnpack``, ``cpu``)
    did not carry the whole model."""
    flags = []
    name = requested.upper() if requested in _ACCELERATORS else "XNNPACK"
    mine = [d for d in out.delegations if d["delegate"] == requested]
    if requested in out.not_executed:
        flags.append(f"FLAG: the {name} delegate was applied but took none of the graph: the "
                      f"model ran on the CPU, these are CPU timings")
    if requested in out.failed_delegates and out.latency is not None:
        flags.append(f"FLAG: the {name} delegate failed to apply and the benchmark ran on the "
                     f"CPU: these are CPU timings")
    for d in mine:
        if d["nodes_total"] and d["nodes_delegated"] < d["nodes_total"]:
            left = d["nodes_total"] - d["nodes_delegated"]
            flag = "FLAG: " if requested in _ACCELERATORS else ""
            flags.append(f"{flag}the {name} delegate took only {d['nodes_delegated']} of "
                         f"{d['nodes_total']} nodes"
                         + (f" in {d['partitions']} partitions" if d["partitions"] else "")
                         + f": {left} ran on the CPU")
        elif d.get("complete") is False and not d["nodes_total"]:
            flags.append(f"{'FLAG: ' if requested in _ACCELERATORS else ''}the {name} delegate "
                         f"executes the graph only partially")
    if requested in _ACCELERATORS and not mine and not flags and out.tool == "interpreter" \
            and out.latency is not None:
        flags.append(f"FLAG: no {name} delegate line in the output: it is not shown that the "
                     f"{name} ran the model")
    if out.tool == "compiled_model" and requested in _ACCELERATORS and out.fully_accelerated is False:
        flags.append(f"FLAG: not fully accelerated on the {name}: part of the model ran on the CPU")
    if out.unsupported_ops and requested == "gpu":
        flags.append("GPU delegate rejected: " + "; ".join(out.unsupported_ops))
    return flags


def to_result(out: BenchmarkOutput, name: str, model: str, config: dict, requested: str) -> dict:
    """A report entry for one parsed run (``failed`` when no timings came out)."""
    delegation = next((d for d in out.delegations if d["delegate"] == requested), None)
    if delegation is not None:
        delegation = {k: v for k, v in delegation.items() if k != "complete"}
        delegation["unsupported_ops"] = out.unsupported_ops if requested == "gpu" else []
    if out.latency is None or out.failed:
        reason = next((e for e in out.errors if e), "") or "no timings in the benchmark output"
        return records.result(name, model, config, status="failed", reason=reason,
                             delegation=delegation, warnings=warnings_for(out, requested))
    memory = {"host": out.memory.get("peak", out.memory.get("overall")),
              "host_delta": out.memory.get("overall_delta"), "scope": "benchmark_model process"}
    return records.result(name, model, config, timed_region=TIMED_REGION, timer=TIMER,
                         init_ms=out.init_ms, first_inference_ms=out.first_ms,
                         warmup_ms=out.warmup, latency_ms=out.latency,
                         peak_memory_mb=memory if any(v is not None for k, v in memory.items()
                                                      if k != "scope") else None,
                         delegation=delegation, warnings=warnings_for(out, requested),
                         op_profile=out.op_profile)
