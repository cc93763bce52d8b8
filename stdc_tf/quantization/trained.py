"""Loading what a training run wrote, float or quantization-aware, the one way every command does."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.errors import ConfigError

SAME_RUN_SIMILARITY = 0.9   # conv kernels of a QAT fine-tune stay this close to its float start


def check_model_kind(path: str | Path, quantized: bool, option: str | None = None) -> Path:
    """``path`` is the kind of trained model a step takes: the QAT trainer's ``.h5`` when
    ``quantized``, else a float ``.keras``; else one :class:`ConfigError` naming ``option`` (or
    the file) and the kind it is. Nothing is loaded, so a long run checks its inputs before its
    first stage (a file that is not readable as its kind fails where it is loaded)."""
    path = Path(path)
    name = f"{option} {path}" if option else str(path)
    is_qat = path.suffix == ".h5"
    if quantized != is_qat:
        raise ConfigError(f"{name} is a quantization-aware (QAT) .h5 model: convert it with precision qat"
                          if is_qat else
                          f"{name} is a float .keras model: precision qat takes the QAT trainer's .h5 "
                          f"(a float model converts to int8 with calibration)")
    return path


def load_trained_model(path: str | Path, quantized: bool | None = None) -> Any:
    """A Keras 3 ``.keras`` file, or the QAT trainer's tf_keras ``.h5``
    (:func:`stdc_tf.quantization.qat.load_qat`). ``quantized`` (whether a conversion's precision
    is ``qat``) refuses the other kind in one line that says which precision the file is for."""
    from stdc_tf.models.io import load_keras

    path = Path(path)
    if quantized is not None:
        check_model_kind(path, quantized)
    if path.suffix != ".h5":   # tfmot only for QAT files: the TF-TRT environment has no tfmot
        return load_keras(path)
    from stdc_tf.quantization.qat import load_qat

    return load_qat(path)


def kernel_similarity(qat_model: Any, float_model: Any) -> float | None:
    """Cosine similarity of the conv kernels the two models share (by reference name): about 1
    for a QAT model fine-tuned from ``float_model`` (a few hundred low-lr steps), about 0 for one
    from another run. ``None`` when they share no conv (different architectures)."""
    from stdc_tf.models.structure import is_weighted_conv, kernel_of, reference_name

    def kernels(model: Any) -> dict[str, np.ndarray]:
        return {reference_name(layer): np.asarray(kernel_of(layer)).ravel()
                for layer in model.layers if is_weighted_conv(layer) and reference_name(layer)}

    mine, theirs = kernels(qat_model), kernels(float_model)
    shared = [n for n in mine if n in theirs and mine[n].shape == theirs[n].shape]
    if not shared:
        return None
    a = np.concatenate([mine[n] for n in shared])
    b = np.concatenate([theirs[n] for n in shared])
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) or 1.0))
