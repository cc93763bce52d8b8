"""SavedModel export on the export contract: the graph TF Serving, TF-TRT and the evaluator take.

``serving_default`` takes the spec's input (``uint8`` RGB ``[N, H, W, 3]`` as clients send it,
normalized inside the graph, or ``float`` normalized RGB) as ``image`` and returns the spec's
output (``classes``: uint8 class map ``[N, H, W]``; ``logits``) and, on request, the per-class
softmax (``probabilities``, float32 ``[N, H, W, C]``). With a ``version`` it is written in TF
Serving's ``MODEL_NAME/VERSION/`` layout (:func:`next_version` picks one more than the newest);
either way the folder appears complete or not at all (a server polling the folder never loads
half a model), after the written SavedModel was loaded and compared with the Keras model.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from stdc_tf.export import ExportError, first_line
from stdc_tf.export.contract import ExportResult, ExportSpec, checked_write, require_class_map_fits

INPUT_NAME = "image"
CLASSES, LOGITS, PROBABILITIES = "classes", "logits", "probabilities"


def serving_module(model: Any, spec: ExportSpec, probabilities: bool = False) -> Any:
    """A ``tf.Module`` whose ``serve`` function is the serving signature (module docstring)."""
    import tensorflow as tf

    from stdc_tf.models import inference_model
    from stdc_tf.models.preprocessing import normalize

    infer = inference_model(model)
    if spec.output == "classes":
        require_class_map_fits(infer)
    height, width = spec.input_size or infer.inputs[0].shape[1:3]
    uint8 = spec.input_type == "uint8"
    signature = tf.TensorSpec([None, height, width, 3], tf.uint8 if uint8 else tf.float32, name=INPUT_NAME)

    class Serving(tf.Module):
        def __init__(self):
            super().__init__(name="stdc_serving")
            self.model = infer   # tracked: its variables are saved with the signature

        @tf.function(input_signature=[signature])
        def serve(self, image):
            logits = self.model(normalize(image) if uint8 else image, training=False)
            logits.set_shape([None, height, width, None])   # the signature then shows the size
            outputs = {CLASSES: tf.cast(tf.argmax(logits, axis=-1), tf.uint8)} \
                if spec.output == "classes" else {LOGITS: logits}
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


def next_version(model_dir: str | Path) -> int:
    """One more than the newest version in ``model_dir`` (1 for a new model folder)."""
    return max(versions(model_dir), default=0) + 1


def export_saved_model(model: Any, path: str | Path, spec: ExportSpec, *, version: int | None = None,
                       probabilities: bool = False) -> ExportResult:
    """Write the SavedModel at ``path`` (or ``path/VERSION`` with a ``version``) and check it.

    An existing folder there is replaced. A file with ``probabilities`` has two outputs, which
    the one-output predictors do not read: it is written unchecked (its class map is the same
    graph as the checked file's).
    """
    import tensorflow as tf

    started = time.perf_counter()
    if version is not None and version < 1:
        raise ExportError(f"the version must be a positive integer (TF Serving's layout), got {version}")
    path = Path(path) / str(version) if version is not None else Path(path)
    module = serving_module(model, spec, probabilities)

    def write(tmp: Path) -> None:
        try:
            tf.saved_model.save(module, str(tmp), signatures={"serving_default": module.serve})
        except Exception as e:  # TensorFlow raises many types while tracing and saving
            raise ExportError(f"cannot export a SavedModel to {path}: {first_line(e)}") from e

    checked = spec if not probabilities else spec.with_(check_images=0)
    return checked_write(path, "saved_model", checked, model, write, directory=True, started=started)
