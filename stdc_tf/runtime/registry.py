"""The registry of runtimes and :func:`load_predictor`, which picks one from the file.

It sits above the runtime modules (a Keras model object opens as a
:class:`~stdc_tf.runtime.tensorflow.KerasPredictor`), while :mod:`stdc_tf.runtime.base`, the
contract every runtime implements, imports none of them.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stdc_tf.errors import StdcError, first_line
from stdc_tf.runtime.base import ModelLoadError, Predictor

Loader = Callable[..., Predictor] | str


@dataclass(frozen=True)
class PredictorKind:
    """A runtime in the registry: which files it claims, how it loads them, which options it takes.

    ``load`` is a callable or ``"module:function"``, imported on first use: a runtime that lives
    in a higher layer (the QAT ``.h5`` needs tfmot's quantize scope) is still registered here, so
    every command opens every kind, without the runtime layer importing it.
    """

    name: str
    description: str                       # e.g. ".tflite file (LiteRT)", shown in errors
    matches: Callable[[Path], bool]
    load: Loader
    options: tuple[str, ...] = ()

    def open(self, path: Path, **options: Any) -> Predictor:
        load = self.load
        if isinstance(load, str):
            module, _, attribute = load.partition(":")
            load = importlib.import_module(module)
            for name in attribute.split("."):
                load = getattr(load, name)
        return load(path, **options)


_REGISTRY: dict[str, PredictorKind] = {}


def register_predictor(name: str, description: str, matches: Callable[[Path], bool], load: Loader,
                       options: Sequence[str] = ()) -> None:
    """Add a runtime (or replace the one called ``name``).

    Kinds registered later are tried first, so a specialised kind (a TF-TRT SavedModel is also
    a SavedModel directory) claims its files before the general one.
    """
    _REGISTRY.pop(name, None)
    _REGISTRY[name] = PredictorKind(name, description, matches, load, tuple(options))


def predictor_kinds() -> list[PredictorKind]:
    """The registered runtimes, in the order :func:`load_predictor` tries them."""
    return list(reversed(_REGISTRY.values()))


def load_predictor(source: str | os.PathLike | Any, **options: Any) -> Predictor:
    """A predictor for a Keras model object or for a model file/folder, chosen from the file.

    ``options`` go to the runtime that claims the file (LiteRT: ``threads``, ``accelerator``,
    ``api``; onnxruntime: ``provider``, ``logits``); one it does not take is an error naming it.
    A path that no registered runtime claims, or that its runtime cannot read, raises
    :class:`ModelLoadError` with one line naming it and the supported kinds.
    """
    if not isinstance(source, (str, os.PathLike)):
        if not (hasattr(source, "inputs") and hasattr(source, "outputs")):
            raise ModelLoadError(f"cannot evaluate a {type(source).__name__}: pass a Keras model "
                                 f"or the path of a model file")
        from stdc_tf.runtime.tensorflow import KerasPredictor

        return KerasPredictor(source)
    path = Path(source)
    kinds = predictor_kinds()
    supported = "; ".join(k.description for k in kinds)
    if not path.exists():
        raise ModelLoadError(f"model {path} does not exist (supported: {supported})")
    kind = next((k for k in kinds if k.matches(path)), None)
    if kind is None:
        raise ModelLoadError(f"{path} is not a model this toolkit can run; supported: {supported}")
    unknown = sorted(set(options) - set(kind.options))
    if unknown:
        raise ModelLoadError(f"a {kind.description} takes no option {', '.join(unknown)} "
                             f"(it takes: {', '.join(kind.options) or 'none'})")
    try:
        return kind.open(path, **options)
    except ModelLoadError:   # the runtime's own one line (a missing TensorRT, …)
        raise
    except Exception as e:  # every runtime raises its own types for unreadable files
        reason = (str(e).removeprefix(f"{path}: ").removeprefix(f"{path} ")
                  if isinstance(e, StdcError) else first_line(e))
        raise ModelLoadError(f"cannot read {path} as a {kind.description} "
                             f"({reason}); supported: {supported}") from e
