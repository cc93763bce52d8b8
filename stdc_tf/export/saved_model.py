"""SavedModel export: the plain inference graph, and the serving graph TF Serving and TF-TRT take.

:func:`export_saved_model` writes the model as it is (float, normalized input; logits out).
:func:`export_serving` writes what a server wants: ``serving_default`` takes uint8 RGB
``[N, H, W, 3]`` as clients send it, normalizes inside the graph, and returns the class map
(``classes``, uint8 ``[N, H, W]``) and, on request, the per-class softmax (``probabilities``,
float32 ``[N, H, W, C]``). It is written in TF Serving's ``MODEL_NAME/VERSION/`` layout, the
version folder appearing complete or not at all (a server polling the folder never loads half a
model).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stdc_tf.atomic import atomic_output
from stdc_tf.export import ExportError, first_line

INPUT_NAME = "image"
CLASSES, PROBABILITIES = "classes", "probabilities"
MAX_UINT8_CLASSES = 256


def inference_model(model: Any) -> Any:
    """:func:`stdc_tf.models.inference_model`, imported on use: reading this module's names (the
    ONNX and TensorRT tools do) must not import TensorFlow."""
    from stdc_tf.models import inference_model as inference

    return inference(model)


def export_saved_model(model: Any, path: str | Path) -> Path:
    """Write ``model``'s inference graph as a SavedModel directory at ``path``."""
    path = Path(path)
    model = inference_model(model)
    try:
        with atomic_output(path, directory=True) as tmp:
            model.export(str(tmp), format="tf_saved_model", verbose=False)
    except Exception as e:  # TensorFlow raises many types while tracing and saving
        raise ExportError(f"cannot export a SavedModel to {path}: {first_line(e)}") from e
    return path


def image_size(model: Any, input_size: Sequence[int] | None) -> tuple[int | None, int | None]:
    """``(H, W)`` to export at: ``input_size`` if given, else the model's (``None`` = any)."""
    if input_size is not None:
        if len(input_size) != 2 or min(input_size) < 1:
            raise ExportError(f"input size must be two positive numbers (H, W), got {list(input_size)}")
        return int(input_size[0]), int(input_size[1])
    height, width = inference_model(model).inputs[0].shape[1:3]
    return height, width


def num_classes(model: Any) -> int:
    return int(inference_model(model).outputs[0].shape[-1])


def check_uint8_classes(model: Any) -> None:
    """A uint8 class map holds at most 256 classes."""
    if num_classes(model) > MAX_UINT8_CLASSES:
        raise ExportError(f"the model has {num_classes(model)} classes; a uint8 class map holds "
                          f"at most {MAX_UINT8_CLASSES}")


def serving_module(model: Any, input_size: Sequence[int] | None = None,
                   probabilities: bool = False) -> Any:
    """A ``tf.Module`` whose ``serve`` function is the serving signature (module docstring)."""
    import tensorflow as tf

    from stdc_tf.models.preprocessing import normalize

    check_uint8_classes(model)
    infer = inference_model(model)
    height, width = image_size(model, input_size)
    spec = tf.TensorSpec([None, height, width, 3], tf.uint8, name=INPUT_NAME)

    class Serving(tf.Module):
        def __init__(self):
            super().__init__(name="stdc_serving")
            self.model = infer   # tracked: its variables are saved with the signature

        @tf.function(input_signature=[spec])
        def serve(self, image):
            logits = self.model(normalize(image), training=False)
            logits.set_shape([None, height, width, None])   # the signature then shows the size
            outputs = {CLASSES: tf.cast(tf.argmax(logits, axis=-1), tf.uint8)}
            if probabilities:
                outputs[PROBABILITIES] = tf.nn.softmax(logits, axis=-1)
            return outputs

    return Serving()


def versions(model_dir: str | Path) -> list[int]:
    """The version folders (positive integers) TF Serving would see in ``model_dir``."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return []
    return sorted(int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()
                  and int(p.name) > 0)


def export_serving(model: Any, model_dir: str | Path, version: int | None = None,
                   input_size: Sequence[int] | None = None, probabilities: bool = False) -> Path:
    """Write the serving SavedModel as ``model_dir/VERSION`` and return that folder.

    ``version`` defaults to one more than the newest version already there (1 for a new model
    folder); an existing version is replaced. ``input_size`` ``(H, W)`` fixes the spatial size,
    else the model's own (any size for STDC segmentation models).
    """
    import tensorflow as tf

    version = (max(versions(model_dir), default=0) + 1) if version is None else version
    if version < 1:
        raise ExportError(f"the version must be a positive integer (TF Serving's layout), got {version}")
    path = Path(model_dir) / str(version)
    module = serving_module(model, input_size, probabilities)
    try:
        with atomic_output(path, directory=True) as tmp:
            tf.saved_model.save(module, str(tmp), signatures={"serving_default": module.serve})
    except Exception as e:  # TensorFlow raises many types while tracing and saving
        raise ExportError(f"cannot export the serving SavedModel to {path}: {first_line(e)}") from e
    return path
