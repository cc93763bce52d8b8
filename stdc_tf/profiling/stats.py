"""Latency statistics every profiler reports the same way (milliseconds).

One definition of the percentiles (numpy's linear interpolation, as ``benchmark_model``'s
``StatWithPercentiles``) and of the throughput figures, so a host run, a GPU run and a phone run
can be compared column by column. Fields a source does not give (``benchmark_model`` prints
p5/median/p95 but no p90/p99) are ``None``, never invented.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LATENCY_FIELDS = ("count", "mean", "std", "min", "max", "p5", "p50", "p90", "p95", "p99")
PERCENTILES = (5, 50, 90, 95, 99)


def latency_stats(samples_ms: Sequence[float]) -> dict[str, float | int | None]:
    """count, mean, population std, min, max and p5/p50/p90/p95/p99 of ``samples_ms``."""
    x = np.asarray(samples_ms, dtype=np.float64)
    if x.ndim != 1 or not len(x):
        raise ValueError("latency_stats needs at least one sample")
    p5, p50, p90, p95, p99 = np.percentile(x, PERCENTILES)
    return {"count": int(len(x)), "mean": float(x.mean()), "std": float(x.std()),
            "min": float(x.min()), "max": float(x.max()), "p5": float(p5), "p50": float(p50),
            "p90": float(p90), "p95": float(p95), "p99": float(p99)}


def partial_stats(**known: float | int | None) -> dict[str, float | int | None]:
    """A latency record from a source that gives only some fields (the rest are ``None``)."""
    unknown = set(known) - set(LATENCY_FIELDS)
    if unknown:
        raise ValueError(f"unknown latency fields: {', '.join(sorted(unknown))}")
    return {field: known.get(field) for field in LATENCY_FIELDS}


def throughput(mean_ms: float | None, batch: int) -> dict[str, float | None]:
    """``fps`` (inferences per second at this batch) and ``images_per_s`` (``batch`` × fps).

    At batch 1 they are equal: that is the FPS of the STDC paper's table.
    """
    if not mean_ms or mean_ms <= 0:
        return {"fps": None, "images_per_s": None}
    fps = 1000.0 / mean_ms
    return {"fps": fps, "images_per_s": fps * batch}
