"""Saving and loading ``.keras`` models that contain the toolkit's custom layers."""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from stdc_tf.atomic import atomic_output
from stdc_tf.errors import StdcError, first_line
from stdc_tf.models.layers import custom_objects


def save_keras(model: Any, path: str | Path) -> Path:
    """Save atomically as ``.keras``."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: the output must end in .keras")
    with atomic_output(path) as tmp:
        model.save(tmp)
    return path


class ModelFileError(StdcError, ValueError):
    """A model file that exists but cannot be read (empty, truncated, not a Keras archive)."""


def load_keras(path: str | Path, compile: bool = False) -> Any:
    """Load a ``.keras`` file; a missing or unreadable file gives one line naming it."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path} is empty (0 bytes): not a .keras model")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not a .keras archive (a zip file): truncated or another "
                             f"format")
    try:
        return keras.saving.load_model(path, custom_objects=custom_objects(keras),
                                       compile=compile)
    except Exception as exc:  # keras raises many types for bad archives
        raise ModelFileError(f"{path}: not a readable .keras model ({first_line(exc, 200)})") from None
