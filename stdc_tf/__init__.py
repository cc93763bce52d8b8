"""stdc-tf: STDC real-time semantic segmentation from training to the edge (Keras 3 / TensorFlow).

``import stdc_tf`` is instant (it imports neither TensorFlow nor Keras) and arranges two things
for when they are imported later, by anyone:

* TensorFlow's C++ start-up lines (oneDNN, CUDA stub; written by absl straight to file
  descriptor 2, which ``TF_CPP_MIN_LOG_LEVEL`` no longer stops on TF 2.21) are kept out of the
  output while ``tensorflow`` loads;
* the toolkit's custom Keras layers are registered as soon as ``keras`` (or ``tf_keras``) is
  loaded, so ``keras.saving.load_model("x.keras")`` reads every file the toolkit saves.

Both work through one small import hook (:class:`_AfterImport`) that wraps the loading of those
modules and removes itself once they are loaded.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Callable

__version__ = "0.1.0"


def _quiet_exec(exec_module: Callable) -> Callable:
    def run(module):
        from stdc_tf.native import native_stderr

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with native_stderr(passthrough=False):   # TensorFlow's start-up lines, -v or not
            exec_module(module)
    return run


def _register_layers_after(exec_module: Callable) -> Callable:
    def run(module):
        exec_module(module)
        from stdc_tf.models.layers import custom_layers
        custom_layers(module)
    return run


class _AfterImport(importlib.abc.MetaPathFinder):
    """Wraps the loading of the modules in ``wrappers`` (name → exec_module decorator)."""

    def __init__(self, wrappers: dict[str, Callable[[Callable], Callable]]):
        self.wrappers = wrappers

    def find_spec(self, name, path, target=None):
        wrap = self.wrappers.pop(name, None)
        if wrap is None:
            return None
        if not self.wrappers and self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader.exec_module = wrap(spec.loader.exec_module)
        return spec


def _install() -> None:
    wrappers = {}
    if "tensorflow" not in sys.modules:
        wrappers["tensorflow"] = _quiet_exec
    for name in ("keras", "tf_keras"):
        if name in sys.modules:
            from stdc_tf.models.layers import custom_layers
            custom_layers(sys.modules[name])
        else:
            wrappers[name] = _register_layers_after
    if wrappers:
        sys.meta_path.insert(0, _AfterImport(wrappers))


_install()


def predict(*args, **kwargs):
    """Segment images, folders, videos, cameras or streams with any artifact:
    :func:`stdc_tf.inference.predict` (imported on first use, so ``import stdc_tf`` stays instant)."""
    from stdc_tf.inference import predict as run

    return run(*args, **kwargs)
