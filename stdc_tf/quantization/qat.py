"""Quantize a tf_keras STDC model for quantization-aware training, and save / load the result.

Two schemes (:mod:`stdc_tf.quantization.schemes`): ``litert`` (the default) is tfmot's default
8-bit scheme (per-axis conv weights, per-tensor asymmetric activations) plus the configs of
:mod:`stdc_tf.quantization.configs`; ``tensorrt`` is symmetric int8 with the fake-quant on the
inputs of Conv/Add/Concatenate/Multiply, what TensorRT's ONNX parser and builder take. The float
weights are kept: a QAT model starts where the float model ended.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from stdc_tf.atomic import atomic_output
from stdc_tf.errors import StdcError, first_line
from stdc_tf.models.io import record_input_size
from stdc_tf.quantization.configs import quantize_config_for, scope
from stdc_tf.quantization.schemes import DEFAULT_SCHEME, check_scheme, quantize_tensorrt


def quantize(model: Any, scheme: str = DEFAULT_SCHEME) -> Any:
    """The QAT version of a float tf_keras model (fake-quant inserted, weights kept)."""
    import tensorflow_model_optimization as tfmot
    import tf_keras

    if check_scheme(scheme) == "tensorrt":
        return quantize_tensorrt(model)
    q = tfmot.quantization.keras

    def annotate(layer):
        config = quantize_config_for(layer)
        return q.quantize_annotate_layer(layer, config) if config else q.quantize_annotate_layer(layer)

    with q.quantize_scope(scope()):
        annotated = tf_keras.models.clone_model(model, clone_function=annotate)
        return q.quantize_apply(annotated)


def is_quantization_aware(model: Any) -> bool:
    return any(type(layer).__name__.startswith("Quantize") for layer in model.layers)


def save_qat(model: Any, path: str | Path, input_size: tuple[int, int] | None = None) -> Path:
    """Save a QAT model as a tf_keras ``.h5`` file (atomically); :func:`load_qat` reads it.
    ``input_size`` (the size it was validated at) is recorded in the file.

    ``.h5``, not ``.keras``: the suffix alone then tells a tfmot model (tf_keras, fake-quant
    layers) from the toolkit's Keras 3 float models, for users and for the converter.
    """
    path = Path(path)
    if path.suffix != ".h5":
        raise StdcError(f"{path}: a QAT model is saved as .h5 (tf_keras with tfmot layers)")
    with atomic_output(path) as tmp, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*HDF5 file.*legacy")   # chosen on purpose: below
        model.save(tmp, include_optimizer=False)
        if input_size is not None:
            record_input_size(tmp, input_size)
    return path


def load_qat(path: str | Path) -> Any:
    """A QAT model saved by :func:`save_qat`; a missing or unreadable file is one line."""
    import tensorflow_model_optimization as tfmot
    import tf_keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"QAT model not found: {path}")
    try:
        with tfmot.quantization.keras.quantize_scope(scope()):
            return tf_keras.models.load_model(path, compile=False)
    except Exception as exc:  # h5py / tf_keras raise many types for bad files
        raise StdcError(f"{path}: not a readable QAT model ({first_line(exc, 200)})") from None


def qat_predictor(path: Path) -> Any:
    """The runtime's loader for QAT ``.h5`` files (registered in :mod:`stdc_tf.runtime`)."""
    from stdc_tf.models import inference_model
    from stdc_tf.runtime.tensorflow import KerasPredictor

    return KerasPredictor(inference_model(load_qat(path)), path)
