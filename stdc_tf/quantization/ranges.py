"""Refuse a QAT model whose fake-quant ranges were never trained, before any converter sees it.

tfmot creates each activation range as ``min = max = 0`` and sets it in the first training step.
A model quantized but never trained (or saved before its first step) therefore has empty ranges:
it predicts zeros, tf2onnx divides by the zero scale (a ``ZeroDivisionError`` deep inside the
converter, after which an invalid ``.onnx`` is left behind) and the LiteRT converter writes
scales of 0. :func:`require_trained_ranges` says so in one line instead.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from stdc_tf.errors import StdcError

SHOWN = 3


class UntrainedRangesError(StdcError, ValueError):
    """A QAT model has fake-quant ranges with ``max <= min`` (never trained)."""


def _ranges(model: Any) -> dict[str, dict[str, np.ndarray]]:
    """``{range name: {"min": values, "max": values}}`` of every fake-quant range variable."""
    found: dict[str, dict[str, np.ndarray]] = {}
    for weight in model.weights:
        name = weight.name.split(":")[0]
        for end in ("_min", "_max"):
            if name.endswith(end):
                found.setdefault(name[: -len(end)], {})[end[1:]] = np.asarray(weight.numpy())
    return {name: pair for name, pair in found.items() if len(pair) == 2}


def untrained_ranges(model: Any) -> list[str]:
    """The names of the fake-quant ranges of ``model`` that are empty (``max <= min``)."""
    return sorted(name for name, pair in _ranges(model).items()
                  if np.any(np.asarray(pair["max"]) <= np.asarray(pair["min"])))


def require_trained_ranges(model: Any, name: str = "QAT model") -> None:
    """Raise one :class:`UntrainedRangesError` line if any fake-quant range of ``model`` is empty."""
    empty = untrained_ranges(model)
    if empty:
        more = f" (+{len(empty) - SHOWN} more)" if len(empty) > SHOWN else ""
        raise UntrainedRangesError(
            f"{name}: {len(empty)} of {len(_ranges(model))} fake-quant ranges were never trained "
            f"(min == max: {', '.join(empty[:SHOWN])}{more}); fine-tune it with --qat first")
