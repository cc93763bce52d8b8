"""Saving and loading ``.keras`` models that contain the toolkit's custom layers."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from stdc_tf.atomic import atomic_output
from stdc_tf.models.layers import custom_objects


def save_keras(model: Any, path: str | Path) -> Path:
    """Save atomically as ``.keras``."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: the output must end in .keras")
    with atomic_output(path) as tmp:
        model.save(tmp)
    return path


def load_keras(path: str | Path, compile: bool = False) -> Any:
    """Load a ``.keras`` file; a missing or unreadable file gives one line naming it."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        return keras.saving.load_model(path, custom_objects=custom_objects(keras),
                                       compile=compile)
    except Exception as exc:  # keras raises many types for bad archives
        raise ValueError(f"{path}: not a readable .keras model ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0][:200] if str(exc) else ''})") from None
