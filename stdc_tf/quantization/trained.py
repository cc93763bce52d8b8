"""Loading what a training run wrote, float or quantization-aware, the one way every command does."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from stdc_tf.errors import ConfigError


def load_trained_model(path: str | Path, quantized: bool | None = None) -> Any:
    """A Keras 3 ``.keras`` file, or the QAT trainer's tf_keras ``.h5``
    (:func:`stdc_tf.quantization.qat.load_qat`). ``quantized`` (whether a conversion's precision
    is ``qat``) refuses the other kind in one line that says which precision the file is for."""
    from stdc_tf.models.io import load_keras
    from stdc_tf.quantization.qat import load_qat

    path = Path(path)
    is_qat = path.suffix == ".h5"
    if quantized is not None and quantized != is_qat:
        raise ConfigError(f"{path} is a quantization-aware (QAT) .h5 model: convert it with precision qat"
                          if is_qat else
                          f"{path} is a float .keras model: precision qat takes the QAT trainer's .h5 "
                          f"(a float model converts to int8 with calibration)")
    return load_qat(path) if is_qat else load_keras(path)
