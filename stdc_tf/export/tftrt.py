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

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from stdc_tf.atomic import atomic_output
from stdc_tf.export import ExportError, first_line
from stdc_tf.export.tensorrt import PRECISIONS, WORKSPACE_BYTES
from stdc_tf.runtime.tensorrt import TFTRT_INSTALL, TensorRTUnavailable, missing_tftrt


def require_tftrt() -> None:
    """Raise :class:`TensorRTUnavailable` in one line if TF-TRT cannot run here."""
    problem = missing_tftrt()
    if problem:
        raise TensorRTUnavailable(f"TF-TRT is not available: {problem}; use {TFTRT_INSTALL} "
                                  f"on an NVIDIA GPU, or --engine onnx (ONNX -> TensorRT engine)")


def convert_tftrt(serving_dir: str | Path, output: str | Path, precision: str,
                  batch_sizes: Sequence[int], input_size: tuple[int, int],
                  calibration: Iterable[np.ndarray] | None = None,
                  workspace_bytes: int = WORKSPACE_BYTES) -> Path:
    """Convert the serving SavedModel at ``serving_dir`` and save the result at ``output``.

    ``batch_sizes`` (e.g. ``1, 4, 8``) are built now; the profile covers their range.
    ``calibration`` yields uint8 ``[B, H, W, 3]`` batches and is required for ``int8``.
    """
    if precision not in PRECISIONS:
        raise ExportError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    if precision == "int8" and calibration is None:
        raise ExportError("int8 needs calibration images (a dataset)")
    require_tftrt()
    import tensorflow as tf
    from tensorflow.python.compiler.tensorrt import trt_convert as trt

    output = Path(output)
    try:
        converter = trt.TrtGraphConverterV2(
            input_saved_model_dir=str(serving_dir), input_saved_model_signature_key="serving_default",
            precision_mode=precision.upper(), max_workspace_size_bytes=workspace_bytes,
            use_dynamic_shape=True, dynamic_shape_profile_strategy="Range",
            maximum_cached_engines=1)
        if precision == "int8":
            batches = list(calibration)
            converter.convert(calibration_input_fn=lambda: ((tf.constant(b),) for b in batches))
        else:
            converter.convert()
        height, width = input_size
        converter.build(input_fn=lambda: ((tf.zeros((n, height, width, 3), tf.uint8),)
                                          for n in sorted(set(batch_sizes))))
        with atomic_output(output, directory=True) as tmp:
            converter.save(str(tmp))
    except (RuntimeError, ValueError, tf.errors.OpError) as e:
        raise ExportError(f"TF-TRT conversion of {serving_dir} to {output} failed: "
                          f"{first_line(e)}") from e
    return output
