"""Exporting a Keras model to deployable artifacts: SavedModel, LiteRT (fp32), ONNX.

The simplest working conversions, each written atomically (temporary name, then rename):
``stdc_tf.export.saved_model.export_saved_model``, ``stdc_tf.export.tflite.export_tflite``,
``stdc_tf.export.onnx.export_onnx``. A training graph (dict outputs) is exported as its
inference graph (main logits only), which is what every runtime predictor expects.
"""
from __future__ import annotations


class ExportError(ValueError):
    """A model cannot be converted to the requested format."""


def first_line(error: BaseException) -> str:
    """The first non-empty line of an error message: converters print pages of context."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0][:300] if lines else ''}"
