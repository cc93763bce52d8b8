"""On-device benchmarking over adb with a user-supplied ``benchmark_model``, and local runs of it.

The sequence (each step a plain ``adb`` call, so it can be checked against a recorded session):
``adb devices`` → ``getprop`` (model, SoC platform, Android version, ABI) → the CPU clusters'
maximum frequencies (the big cores get the ``taskset`` mask) → ``push`` the model and the binary
to ``/data/local/tmp`` → ``--help`` tells the Interpreter tool from the CompiledModel tool → per
configuration ``taskset MASK benchmark_model … > out.txt 2>&1`` → ``pull`` the output → parse it
(:mod:`stdc_tf.profiling.benchmark_model`) into the report format of the host profiler → remove
what was pushed.

Accelerators: ``xnnpack`` (CPU, XNNPACK), ``cpu`` (builtin kernels, Interpreter tool only),
``gpu``, ``nnapi`` (Interpreter tool), ``npu`` (CompiledModel tool). Threads apply to the CPU
paths; an accelerator run uses the largest thread count for what falls back to the CPU.
"""
from __future__ import annotations

import logging
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stdc_tf.errors import ConfigError, StdcError
from stdc_tf.profiling import benchmark_model, environment, records

log = logging.getLogger(__name__)

REMOTE_DIR = "/data/local/tmp"
ACCELERATORS = ("xnnpack", "cpu", "gpu", "nnapi", "npu")
TOOLS = ("interpreter", "compiled_model")
_PROPS = {"model": "ro.product.model", "manufacturer": "ro.product.manufacturer",
          "platform": "ro.board.platform", "soc": "ro.soc.model",
          "android": "ro.build.version.release", "sdk": "ro.build.version.sdk",
          "abi": "ro.product.cpu.abi"}
_EXIT = "stdc_tf_exit="
_TIMEOUT_S = 1800


class AdbError(StdcError):
    """adb is missing, no (or no usable) device is attached, or an adb step failed."""


@dataclass(frozen=True)
class DeviceRun:
    """One benchmark_model run: accelerator × threads."""

    accelerator: str
    threads: int

    @property
    def name(self) -> str:
        return f"{self.accelerator} threads={self.threads}"


def runs_for(accelerators: Sequence[str], threads: Sequence[int]) -> list[DeviceRun]:
    """CPU paths at every thread count; each accelerator once, at the largest count."""
    unknown = [a for a in accelerators if a not in ACCELERATORS]
    if unknown:
        raise ConfigError(f"unknown accelerator {unknown[0]!r}; valid: {', '.join(ACCELERATORS)}")
    out = []
    for accelerator in accelerators:
        counts = threads if accelerator in ("xnnpack", "cpu") else [max(threads)]
        out += [DeviceRun(accelerator, t) for t in counts]
    return out


def tool_flags(tool: str, run: DeviceRun, warmup: int, runs: int,
               op_profiling: bool) -> list[str] | str:
    """``benchmark_model`` flags for ``run``, or why this tool cannot do it."""
    common = [f"--num_threads={run.threads}", f"--warmup_runs={warmup}", f"--num_runs={runs}"]
    if tool == "interpreter":
        accelerator = {"xnnpack": ["--use_xnnpack=true"], "cpu": ["--use_xnnpack=false"],
                       "gpu": ["--use_gpu=true"], "nnapi": ["--use_nnapi=true"]}
        if run.accelerator not in accelerator:
            return ("the Interpreter benchmark_model has no NPU flag (use the CompiledModel "
                    "tool's --use_npu, or nnapi)")
        return [*common, *accelerator[run.accelerator], "--report_peak_memory_footprint=true",
                *(["--enable_op_profiling=true"] if op_profiling else [])]
    accelerator = {"xnnpack": ["--use_cpu=true"], "gpu": ["--use_gpu=true", "--use_cpu=false"],
                   "npu": ["--use_npu=true", "--use_cpu=false"]}
    if run.accelerator not in accelerator:
        return (f"the CompiledModel benchmark_model has no {run.accelerator} path (its CPU path "
                f"is XNNPACK; NNAPI is the Interpreter tool's)")
    return [*common, *accelerator[run.accelerator],
            *(["--use_profiler=true"] if op_profiling else [])]


def detect_tool(help_text: str) -> str:
    """Which of the two tools printed this ``--help``."""
    return "compiled_model" if re.search(r"--use_npu|--dispatch_library_path",
                                         help_text) else "interpreter"


def big_core_mask(max_freqs: dict[int, int]) -> str:
    """``taskset`` hex mask of the cores faster than the slowest cluster (all if uniform)."""
    if not max_freqs:
        return ""
    slowest = min(max_freqs.values())
    cores = [c for c, f in max_freqs.items() if f > slowest] or list(max_freqs)
    return format(sum(1 << c for c in cores), "x")


def parse_getprop(text: str) -> dict[str, str]:
    props = dict(re.findall(r"^\[([^\]]+)\]:\s*\[([^\]]*)\]", text, re.MULTILINE))
    return {key: props[prop] for key, prop in _PROPS.items() if props.get(prop)}


def parse_devices(text: str) -> tuple[list[str], list[str]]:
    """Serials in ``device`` state, and the others as ``serial (state)``."""
    ready, other = [], []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            (ready if parts[1] == "device" else other).append(
                parts[0] if parts[1] == "device" else f"{parts[0]} ({parts[1]})")
    return ready, other


class Adb:
    """The adb commands the profiler needs, for one device."""

    def __init__(self, serial: str | None = None, executable: str = "adb"):
        found = shutil.which(executable)
        if not found:
            raise AdbError("adb not found on PATH: install the Android SDK platform-tools or "
                           "put adb on PATH")
        self.executable = found
        ready, other = parse_devices(self._run(["devices"]))
        if serial is None:
            if not ready:
                extra = f" ({', '.join(other)}; unlock the phone and accept USB debugging)" \
                    if other else ""
                raise AdbError(f"no Android device attached: adb devices lists none ready{extra}")
            if len(ready) > 1:
                raise ConfigError(f"{len(ready)} devices attached ({', '.join(ready)}): choose one "
                                  f"with --serial")
            serial = ready[0]
        elif serial not in ready:
            raise AdbError(f"device {serial} is not attached and ready (adb devices: "
                           f"{', '.join(ready + other) or 'none'})")
        self.serial = serial

    def _run(self, args: list[str], check: bool = True) -> str:
        cmd = [self.executable, *(["-s", self.serial] if getattr(self, "serial", None) else []),
               *args]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=_TIMEOUT_S)
        except subprocess.TimeoutExpired as e:
            raise AdbError(f"adb {' '.join(args[:2])} timed out after {_TIMEOUT_S} s") from e
        if check and done.returncode != 0:
            message = (done.stderr or done.stdout).strip().splitlines()
            raise AdbError(f"adb {' '.join(args[:2])} failed: "
                           f"{message[-1] if message else f'exit status {done.returncode}'}")
        return done.stdout

    def shell(self, command: str, check: bool = True) -> str:
        return self._run(["shell", command], check)

    def push(self, local: Path, remote: str) -> None:
        self._run(["push", str(local), remote])

    def pull(self, remote: str, local: Path) -> None:
        self._run(["pull", remote, str(local)])

    def device_info(self) -> dict:
        props = parse_getprop(self.shell("getprop"))
        name = " ".join(v for v in (props.get("manufacturer"), props.get("model")) if v) \
            or self.serial
        return {"kind": "android", "name": name, "serial": self.serial, **props}

    def max_freqs(self) -> dict[int, int]:
        out = self.shell("for c in /sys/devices/system/cpu/cpu[0-9]*; do echo ${c##*/} "
                         "$(cat $c/cpufreq/cpuinfo_max_freq 2>/dev/null); done", check=False)
        return {int(m.group(1)): int(m.group(2))
                for m in re.finditer(r"^cpu(\d+)\s+(\d+)\s*$", out, re.MULTILINE)}


def _entry(text: str, name: str, model: str, config: dict, accelerator: str) -> dict:
    parsed = benchmark_model.parse(text)
    entry = benchmark_model.to_result(parsed, name, model, config, accelerator)
    for note in entry["warnings"]:
        (log.warning if note.startswith("FLAG") else log.info)("%s: %s", name, note)
    return entry


def profile_adb(model: str | Path, binary: str | Path, *, serial: str | None = None,
                threads: Sequence[int] = (1, 4), accelerators: Sequence[str] = ("xnnpack", "gpu"),
                warmup: int = 10, runs: int = 50, tool: str | None = None,
                cpu_mask: str | None = None, op_profiling: bool = True) -> dict:
    """Benchmark ``model`` on an attached phone with ``binary``; the report of the host format.

    ``cpu_mask``: a ``taskset`` hex mask; by default the big cores, ``""`` for no taskset.
    """
    model, binary = Path(model), Path(binary)
    for path, what in ((model, "model"), (binary, "--benchmark-binary")):
        if not path.is_file():
            raise StdcError(f"{what} {path} does not exist")
    configs = runs_for(accelerators, threads)
    adb = Adb(serial)
    device = adb.device_info()
    freqs = adb.max_freqs()
    mask = big_core_mask(freqs) if cpu_mask is None else cpu_mask
    device["cpu_max_khz"] = {f"cpu{c}": f for c, f in sorted(freqs.items())}
    remote_model, remote_binary = f"{REMOTE_DIR}/{model.name}", f"{REMOTE_DIR}/benchmark_model"
    log.info("device %s (%s): pushing %s and %s", device["name"], device.get("platform", "?"),
             model.name, binary.name)
    adb.push(model, remote_model)
    adb.push(binary, remote_binary)
    pushed = [remote_model, remote_binary]
    entries = []
    try:
        adb.shell(f"chmod 755 {remote_binary}")
        tool = tool or detect_tool(adb.shell(f"{remote_binary} --help", check=False))
        with tempfile.TemporaryDirectory() as local_dir:
            for i, run in enumerate(configs):
                config = {"tool": tool, "accelerator": run.accelerator, "threads": run.threads,
                          "cpu_mask": mask or None}
                name = f"benchmark_model {tool} {run.name}"
                flags = tool_flags(tool, run, warmup, runs, op_profiling)
                if isinstance(flags, str):
                    entries.append(records.skipped(name, str(model), config, flags))
                    continue
                remote_out = f"{REMOTE_DIR}/stdc_tf_bench_{i}.txt"
                pushed.append(remote_out)
                command = " ".join([*(["taskset", mask] if mask else []), remote_binary,
                                    f"--graph={remote_model}", *flags])
                log.info("running %s on %s", name, device["name"])
                status = adb.shell(f"{command} > {remote_out} 2>&1; echo {_EXIT}$?", check=False)
                local_out = Path(local_dir) / f"bench_{i}.txt"
                adb.pull(remote_out, local_out)
                entry = _entry(local_out.read_text(errors="replace"), name, str(model), config,
                               run.accelerator)
                code = re.search(rf"{_EXIT}(\d+)", status)
                if entry["status"] == "ok" and code and code.group(1) != "0":
                    entry["warnings"].append(f"benchmark_model exited with status {code.group(1)}")
                entries.append(entry)
    finally:
        adb.shell("rm -f " + " ".join(shlex.quote(p) for p in pushed), check=False)
    protocol = {"warmup": warmup, "runs": runs, "threads": list(threads), "batch": 1,
                "accelerators": list(accelerators), "cpu_mask": mask or None,
                "timed_region": benchmark_model.TIMED_REGION,
                "note": "benchmark_model's warmup_runs/num_runs are minima; it also runs for at "
                        "least warmup_min_secs/min_secs (0.5 s / 1 s by default)"}
    info = {"path": str(model), "size_bytes": model.stat().st_size, "runtime": "litert",
            "benchmark_binary": str(binary), "tool": tool}
    out = records.new_report("profile_edge --adb", [info], device,
                            {**environment.library_versions(), "benchmark_model": tool}, protocol)
    out["results"] = entries
    return out


def profile_with_binary(binary: str | Path, model: Path, threads: Sequence[int], warmup: int,
                        runs: int, tool: str | None = None) -> list[dict]:
    """Run a ``benchmark_model`` built for this machine on ``model`` (XNNPACK at each thread
    count, op profiling on): LiteRT's own per-op times on the host."""
    binary = Path(binary)
    if not binary.is_file():
        raise StdcError(f"--benchmark-binary {binary} does not exist")

    def call(args: list[str]) -> str:
        try:
            done = subprocess.run([str(binary), *args], capture_output=True, text=True,
                                  timeout=_TIMEOUT_S)
        except OSError as e:
            raise StdcError(f"--benchmark-binary {binary} cannot run here: {e.strerror}") from e
        return done.stdout + done.stderr

    tool = tool or detect_tool(call(["--help"]))
    entries = []
    for run in runs_for(["xnnpack"], threads):
        flags = tool_flags(tool, run, warmup, runs, op_profiling=True)
        name = f"benchmark_model {tool} {run.name}"
        config = {"tool": tool, "accelerator": run.accelerator, "threads": run.threads}
        log.info("running %s", name)
        entries.append(_entry(call([f"--graph={model}", *flags]), name, str(model), config,
                              run.accelerator))
    return entries
