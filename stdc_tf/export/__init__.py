"""Exporting a trained model to every deployment format, one function of the same shape each.

``export_<format>(model, path, spec) -> ExportResult`` (:mod:`stdc_tf.export.contract`): the
spec says input size and type, output kind, precision and calibration images; the result says
what was written, its op summary, warnings, metadata, and how the written file — opened through
:func:`stdc_tf.runtime.load_predictor` — compared with its source. Writing is atomic.

* :mod:`.tflite` — LiteRT fp32, fp16, dynamic, int8 (PTQ) and QAT files, with metadata
  (:mod:`.metadata`), checked with the flatbuffer reader of :mod:`stdc_tf.runtime.flatbuffer`;
* :mod:`.onnx` — ONNX through tf2onnx (QAT models as Q/DQ ONNX);
* :mod:`.saved_model` — SavedModels for TF Serving (version folders) and TF-TRT;
* :mod:`.tensorrt` — TensorRT engines from an ONNX (TensorRT's builder, or onnxruntime's
  TensorRT execution provider); :mod:`.tftrt` — TF-TRT SavedModels;
* :mod:`.triton` — a Triton model repository around any of the files above;
* :mod:`.calibration` — calibration and check images from the project's datasets.
"""
from __future__ import annotations

from stdc_tf.errors import StdcError, first_line

__all__ = ["ExportError", "first_line"]


class ExportError(StdcError, ValueError):
    """A model cannot be converted to the requested format."""
