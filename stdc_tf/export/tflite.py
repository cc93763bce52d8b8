"""fp32 LiteRT (``.tflite``) export restricted to builtin ops.

Converted from a SavedModel (TensorFlow's recommended path; ``from_keras_model`` prints the
model's every captured variable). Builtin ops only, so an op LiteRT cannot run fails the
conversion loudly instead of becoming a Flex (SELECT_TF_OPS) op that on-device runtimes reject.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from stdc_tf.atomic import atomic_output
from stdc_tf.export import ExportError, first_line
from stdc_tf.models import inference_model


def export_tflite(model: Any, path: str | Path) -> Path:
    """Convert ``model``'s inference graph to an fp32 ``.tflite`` file at ``path``.

    The input shape is the model's: ``None`` dims stay dynamic (the interpreter is resized to
    each input), so build the model at the deployment size to get a fixed-size file.
    """
    import tensorflow as tf

    path = Path(path)
    try:
        with tempfile.TemporaryDirectory() as saved_model:
            inference_model(model).export(saved_model, format="tf_saved_model", verbose=False)
            converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            flatbuffer = converter.convert()
    except Exception as e:  # the converter raises many types, with pages of MLIR context
        raise ExportError(f"cannot convert the model to LiteRT (builtin ops only) for {path}: "
                          f"{first_line(e)}") from e
    with atomic_output(path) as tmp:
        tmp.write_bytes(flatbuffer)
    return path
