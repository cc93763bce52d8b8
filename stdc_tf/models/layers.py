"""The few custom layers STDC parity needs, for Keras 3 and for ``tf_keras``.

No standard Keras layer resizes with the reference's semantics:

* PyTorch's legacy ``nearest`` (source index = floor(dst * in / out)), used by the context path;
* bilinear with ``align_corners=True``, used on the final logits.

Both resize a tensor to the spatial size of a second ("reference") tensor, so any input size works,
including sizes not divisible by 32 and ``None`` spatial dims. Both lower to builtin LiteRT ops
(``RESIZE_NEAREST_NEIGHBOR`` / ``RESIZE_BILINEAR`` with ``align_corners``).

Known TensorFlow 2.21 issue: under XLA (``jit_compile=True``) the CPU ``ResizeBilinear`` kernel
with aligned corners returns wrong values for some sizes (e.g. 8×16 → 64×128), so nothing in the
toolkit JIT-compiles these models; eager and graph mode are exact (see the parity tests).

tfmot (QAT) only understands ``tf_keras`` layers, so the classes are created per Keras module by
:func:`custom_layers`; the same builder code then builds the model in either framework.
"""
from __future__ import annotations

import functools
import types
from typing import Any

import tensorflow as tf

RESIZE_MODES = ("nearest", "bilinear")


def resize_like(x: tf.Tensor, size: tf.Tensor, mode: str) -> tf.Tensor:
    """Resize NHWC ``x`` to ``size`` (h, w) with the reference's semantics."""
    if mode == "nearest":
        return tf.raw_ops.ResizeNearestNeighbor(
            images=x, size=size, align_corners=False, half_pixel_centers=False)
    if mode == "bilinear":
        out = tf.raw_ops.ResizeBilinear(images=x, size=size, align_corners=True,
                                        half_pixel_centers=False)
        return tf.cast(out, x.dtype)   # the op always returns float32
    raise ValueError(f"unknown resize mode {mode!r}; valid: {', '.join(RESIZE_MODES)}")


@functools.cache
def custom_layers(keras_module: Any) -> types.SimpleNamespace:
    """Return the custom layer classes bound to ``keras_module`` (``keras`` or ``tf_keras``)."""
    k = keras_module
    is_keras3 = k.__name__ == "keras"
    register = (k.saving.register_keras_serializable if is_keras3
                else k.utils.register_keras_serializable)

    @register(package="stdc_tf")
    class ResizeLike(k.layers.Layer):
        """Resize ``inputs[0]`` to the spatial size of ``inputs[1]`` (reference semantics)."""

        def __init__(self, mode: str = "bilinear", **kwargs):
            super().__init__(**kwargs)
            if mode not in RESIZE_MODES:
                raise ValueError(f"unknown resize mode {mode!r}; valid: {', '.join(RESIZE_MODES)}")
            self.mode = mode

        def call(self, inputs):
            x, ref = inputs
            return resize_like(x, tf.shape(ref)[1:3], self.mode)

        def compute_output_shape(self, input_shape):
            x_shape, ref_shape = input_shape
            return (x_shape[0], ref_shape[1], ref_shape[2], x_shape[3])

        def get_config(self):
            return {**super().get_config(), "mode": self.mode}

    return types.SimpleNamespace(ResizeLike=ResizeLike)


def keras_module_of(model: Any) -> Any:
    """The Keras module (``keras`` or ``tf_keras``) a model was built with."""
    if type(model).__module__.startswith("tf_keras"):
        import tf_keras
        return tf_keras
    import keras
    return keras


def custom_objects(keras_module: Any) -> dict[str, type]:
    """Name → class for loading saved models that contain the custom layers."""
    return dict(vars(custom_layers(keras_module)))
