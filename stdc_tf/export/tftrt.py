"""TF-TRT: the serving SavedModel with TensorRT engines inside, for TF Serving of the same TF.

``TrtGraphConverterV2`` replaces the supported subgraphs of ``serving_default`` by TensorRT
engines in FP32, FP16 or INT8 (calibrated on dataset images). Dynamic-shape mode with the
"Range" profile strategy gives one optimization profile covering batch 1..N; ``build()`` runs
the given shapes so the engines are built now and saved, not on the first request.

This needs a TensorFlow built with TensorRT, which TF 2.18+ wheels are not (the converter
raises when constructed): :func:`stdc_tf.runtime.tensorrt.missing_tftrt` is asked first and its
answer becomes the one-line error. The module imports on any TensorFlow.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stdc_tf.export import ExportError, first_line
from stdc_tf.export.contract import ExportResult, ExportSpec, checked_write
from stdc_tf.export.saved_model import export_saved_model
from stdc_tf.export.tensorrt import PRECISIONS, WORKSPACE_BYTES
from stdc_tf.runtime.tensorrt import TFTRT_INSTALL, TensorRTUnavailable, missing_tftrt


def require_tftrt() -> None:
    """Raise :class:`TensorRTUnavailable` in one line if TF-TRT cannot run here."""
    problem = missing_tftrt()
    if problem:
        raise TensorRTUnavailable(f"TF-TRT is not available: {problem}; use {TFTRT_INSTALL} "
                                  f"on an NVIDIA GPU, or --engine onnx (ONNX -> TensorRT engine)")


def export_tftrt(model: Any, output: str | Path, spec: ExportSpec, *, batch_sizes: Sequence[int] = (1, 8),
                 workspace_bytes: int = WORKSPACE_BYTES) -> ExportResult:
    """Convert ``model`` (a Keras model, or the folder of a SavedModel exported with
    :func:`~stdc_tf.export.saved_model.export_saved_model`) to a TF-TRT SavedModel at ``output``.

    ``spec.input_size`` is required (the engines are built for it); ``batch_sizes`` (e.g.
    ``1, 4, 8``) are built now and the profile covers their range. ``spec.calibration`` (a split
    or uint8 images) is required for ``int8``. The result is checked against the Keras model (a
    SavedModel source: against that SavedModel).
    """
    started = time.perf_counter()
    precision = spec.precision
    if precision not in PRECISIONS:
        raise ExportError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    if spec.input_size is None:
        raise ExportError("TF-TRT needs the input size its engines are built for (--input-size HxW)")
    if precision == "int8" and spec.calibration is None:
        raise ExportError("int8 needs calibration images (a dataset)")
    require_tftrt()
    with tempfile.TemporaryDirectory() as work:
        if isinstance(model, (str, os.PathLike)):
            serving = Path(model)
        else:
            serving = export_saved_model(model, Path(work) / "serving", spec.with_(check_images=0)).path
        reference = serving if isinstance(model, (str, os.PathLike)) else model
        return checked_write(Path(output), "tftrt", spec, reference,
                             lambda tmp: _convert(serving, tmp, spec, batch_sizes, workspace_bytes),
                             directory=True, started=started)


def _convert(serving_dir: Path, target: Path, spec: ExportSpec, batch_sizes: Sequence[int],
             workspace_bytes: int) -> None:
    import tensorflow as tf
    from tensorflow.python.compiler.tensorrt import trt_convert as trt

    from stdc_tf.export.tensorrt import calibration_batches_of

    height, width = spec.input_size
    try:
        converter = trt.TrtGraphConverterV2(
            input_saved_model_dir=str(serving_dir), input_saved_model_signature_key="serving_default",
            precision_mode=spec.precision.upper(), max_workspace_size_bytes=workspace_bytes,
            use_dynamic_shape=True, dynamic_shape_profile_strategy="Range",
            maximum_cached_engines=1)
        if spec.precision == "int8":
            batches = calibration_batches_of(spec, (height, width), 1)
            converter.convert(calibration_input_fn=lambda: ((tf.constant(b),) for b in batches))
        else:
            converter.convert()
        converter.build(input_fn=lambda: ((tf.zeros((n, height, width, 3), tf.uint8),)
                                          for n in sorted(set(batch_sizes))))
        converter.save(str(target))
    except (RuntimeError, ValueError, tf.errors.OpError) as e:
        raise ExportError(f"TF-TRT conversion of {serving_dir} failed: {first_line(e)}") from e
