"""ONNX export through tf2onnx (NHWC input, as the Keras model takes it)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stdc_tf.atomic import atomic_output
from stdc_tf.export import ExportError, first_line
from stdc_tf.models import inference_model

DEFAULT_OPSET = 17


def export_onnx(model: Any, path: str | Path, input_shape: Sequence[int | None] | None = None,
                opset: int = DEFAULT_OPSET) -> Path:
    """Convert ``model``'s inference graph to an ``.onnx`` file at ``path``.

    ``input_shape`` ((H, W) or (H, W, C)) fixes the input size; by default the model's own,
    where ``None`` dims stay dynamic. The batch dimension is always dynamic.
    """
    import tensorflow as tf
    import tf2onnx

    path = Path(path)
    model = inference_model(model)
    shape = tuple(input_shape or model.inputs[0].shape[1:])
    shape = (*shape, 3) if len(shape) == 2 else shape
    if len(shape) != 3:
        raise ExportError(f"input_shape must be (H, W) or (H, W, C), got {shape}")
    signature = [tf.TensorSpec((None, *shape), tf.float32, name="image")]
    fn = tf.function(lambda image: model(image, training=False))
    try:
        proto, _ = tf2onnx.convert.from_function(fn, input_signature=signature, opset=opset)
    except Exception as e:  # tf2onnx raises many types for unsupported graphs
        raise ExportError(f"cannot convert the model to ONNX (opset {opset}) for {path}: "
                          f"{first_line(e)}") from e
    with atomic_output(path) as tmp:
        tmp.write_bytes(proto.SerializeToString())
    return path
