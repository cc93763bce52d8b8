"""Exporting a Keras model to deployable artifacts: SavedModel, LiteRT (fp32), ONNX.

The simplest working conversions, each written atomically (temporary name, then rename):
``stdc_tf.export.saved_model.export_saved_model``, ``stdc_tf.export.tflite.export_tflite``,
``stdc_tf.export.onnx.export_onnx``. A training graph (dict outputs) is exported as its
inference graph (main logits only), which is what every runtime predictor expects.
"""
from __future__ import annotations

from stdc_tf.errors import StdcError, first_line

__all__ = ["ExportError", "first_line"]


class ExportError(StdcError, ValueError):
    """A model cannot be converted to the requested format."""
