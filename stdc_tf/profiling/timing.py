"""The timing protocol shared by the profilers: warm-up, timed runs, host peak memory.

A run callable does its own device synchronisation before it returns (so the host clock read
after it covers the device work), and returns either ``None`` (time it with the host clock) or
the milliseconds a device timer measured (CUDA events). Python's garbage collector is paused
during the timed runs so its pauses do not land in random samples; the first warm-up call is
reported separately as the first inference.
"""
from __future__ import annotations

import contextlib
import gc
import resource
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from stdc_tf.profiling.stats import latency_stats
from stdc_tf.progress import Progress

RunFn = Callable[[], "float | None"]
_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


@dataclass
class Timings:
    """What :func:`time_runs` measured (milliseconds)."""

    first_ms: float | None
    warmup: list[float] = field(default_factory=list)
    runs: list[float] = field(default_factory=list)

    def stats(self) -> dict:
        return latency_stats(self.runs)

    def warmup_stats(self) -> dict | None:
        return latency_stats(self.warmup) if self.warmup else None


def _once(run: RunFn) -> float:
    start = time.perf_counter()
    device_ms = run()
    host_ms = (time.perf_counter() - start) * 1000.0
    return host_ms if device_ms is None else float(device_ms)


def time_runs(run: RunFn, warmup: int, runs: int, label: str = "") -> Timings:
    """Call ``run`` ``warmup`` times untimed-for-the-statistics, then ``runs`` times timed.

    A progress bar is shown on a terminal, plain lines every 10 s in a log (``label`` names the
    configuration).
    """
    if runs < 1 or warmup < 0:
        raise ValueError(f"need runs >= 1 and warmup >= 0, got runs={runs}, warmup={warmup}")
    bar = Progress(warmup + runs, label or "timing", "run", leave=False)
    timings = Timings(first_ms=None)
    gc_was_enabled = gc.isenabled()
    try:
        for _ in range(warmup):
            timings.warmup.append(_once(run))
            bar.update()
        timings.first_ms = timings.warmup[0] if timings.warmup else None
        gc.collect()
        gc.disable()
        for _ in range(runs):
            timings.runs.append(_once(run))
            bar.update()
    finally:
        if gc_was_enabled:
            gc.enable()
        bar.close()
    if timings.first_ms is None:
        timings.first_ms = timings.runs[0]
    return timings


def _status_kb(key: str) -> float | None:
    try:
        with open(_STATUS) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class HostPeak:
    """Peak resident memory of this process while a block ran (MB), see :func:`host_peak`."""

    peak_mb: float | None = None
    delta_mb: float | None = None
    scope: str = "block"


@contextlib.contextmanager
def host_peak() -> Iterator[HostPeak]:
    """Measure the process's peak RSS during the block.

    Linux: the kernel's high-water mark (VmHWM) is reset first (``/proc/self/clear_refs``), so the
    peak belongs to this block; ``delta_mb`` is the peak minus the RSS at the start (what the
    block added). Elsewhere only the process-lifetime peak (``ru_maxrss``) exists, and ``scope``
    says so.
    """
    out = HostPeak()
    try:
        with open(_CLEAR_REFS, "w") as f:
            f.write("5")
        start_kb = _status_kb("VmRSS")
    except OSError:
        start_kb = None
    yield out
    peak_kb = _status_kb("VmHWM") if start_kb is not None else None
    if peak_kb is not None:
        out.peak_mb, out.delta_mb = peak_kb / 1024.0, (peak_kb - start_kb) / 1024.0
    else:
        scale = 1.0 if sys.platform == "darwin" else 1024.0   # bytes on macOS, KiB elsewhere
        out.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
        out.scope = "process lifetime"
