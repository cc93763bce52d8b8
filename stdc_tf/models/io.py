"""Saving and loading ``.keras`` models that contain the toolkit's custom layers, and the input
size a trained model was validated at, recorded in its file so that converters export at it."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from stdc_tf.atomic import atomic_output
from stdc_tf.errors import StdcError, first_line
from stdc_tf.models.layers import custom_objects

RECORD = "stdc_tf.json"   # an entry of the .keras archive, an attribute of a QAT .h5 file


def save_keras(model: Any, path: str | Path, input_size: tuple[int, int] | None = None) -> Path:
    """Save atomically as ``.keras``; ``input_size`` (the size it was validated at) is recorded."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: the output must end in .keras")
    with atomic_output(path) as tmp:
        model.save(tmp)
        if input_size is not None:
            record_input_size(tmp, input_size)
    return path


def record_input_size(path: str | Path, input_size: tuple[int, int]) -> None:
    """Write ``input_size`` (height, width) into a saved model file: a JSON entry of a ``.keras``
    zip archive (Keras reads only its own entries), an attribute of a QAT ``.h5`` file."""
    text = json.dumps({"input_size": [int(v) for v in input_size]})
    if Path(path).suffix == ".h5":
        import h5py

        with h5py.File(path, "a") as f:
            f.attrs[RECORD] = text
    else:
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr(RECORD, text)


def trained_input_size(path: str | Path) -> tuple[int, int] | None:
    """The input size recorded in a model file by training (:func:`record_input_size`), or
    ``None`` (not recorded, or not a file of those formats)."""
    path = Path(path)
    try:
        if path.suffix == ".h5":
            import h5py

            with h5py.File(path, "r") as f:
                text = f.attrs.get(RECORD)
        else:
            with zipfile.ZipFile(path) as archive:
                text = archive.read(RECORD) if RECORD in archive.namelist() else None
        size = json.loads(text)["input_size"] if text is not None else None
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, TypeError):
        return None
    return (int(size[0]), int(size[1])) if size else None


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
