"""The few custom layers STDC parity needs, for Keras 3 and for ``tf_keras``.

No standard Keras layer resizes with the reference's semantics:

* PyTorch's legacy ``nearest`` (source index = floor(dst * in / out)), used by the context path;
* bilinear with ``align_corners=True``, used on the final logits.

Both resize a tensor to the spatial size of a second ("reference") tensor, so any input size works,
including sizes not divisible by 32 and ``None`` spatial dims. Both lower to builtin LiteRT ops
(``RESIZE_NEAREST_NEIGHBOR`` / ``RESIZE_BILINEAR`` with ``align_corners``).

Graph forms for XNNPACK (LiteRT's CPU delegate has no RESIZE_NEAREST_NEIGHBOR and no int8
AVERAGE_POOL_2D: every such op splits the delegate's partition and runs on a reference kernel):

* a legacy-nearest resize by exactly 2x in both dims (the context path at an input size divisible
  by 32, i.e. every fixed-size export) is written as 4 copies concatenated on channels +
  DEPTH_TO_SPACE(2): ``out[2i+a, 2j+b] = in[i, j] = in[floor((2i+a)/2), floor((2j+b)/2)]``, the
  legacy rule itself; pure data movement, bit-exact in float and int8. Other sizes keep the op.
* the 3x3/s2 average pool with ``count_include_pad`` (:class:`AveragePool3x3`) is a depthwise
  3x3/s2 convolution with every weight 1/9 after the zero padding: the same sum over the same
  window; in int8 each weight is exactly 127 at scale 1/(9*127).

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


def _static_hw(t: tf.Tensor) -> tuple[int, int] | None:
    h, w = t.shape[1], t.shape[2]
    return (int(h), int(w)) if h is not None and w is not None else None


def resize_like(x: tf.Tensor, size: tf.Tensor, mode: str,
                static_size: tuple[int, int] | None = None) -> tf.Tensor:
    """Resize NHWC ``x`` to ``size`` (h, w) with the reference's semantics.

    ``static_size`` (the target size when known while tracing) lets an exact legacy-nearest 2x
    upsample take its XNNPACK form (module docstring); the result is identical.
    """
    if mode == "nearest":
        src = _static_hw(x)
        if src is not None and static_size is not None and x.shape[-1] is not None:
            if tuple(static_size) == src:
                return x
            if tuple(static_size) == (2 * src[0], 2 * src[1]):
                return tf.nn.depth_to_space(tf.concat([x, x, x, x], axis=-1), 2)
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
            return resize_like(x, tf.shape(ref)[1:3], self.mode, _static_hw(ref))

        def compute_output_shape(self, input_shape):
            x_shape, ref_shape = input_shape
            return (x_shape[0], ref_shape[1], ref_shape[2], x_shape[3])

        def get_config(self):
            return {**super().get_config(), "mode": self.mode}

    @register(package="stdc_tf")
    class AveragePool3x3(k.layers.Layer):
        """AvgPool 3x3/s2 on an already zero-padded input (``count_include_pad``), computed as a
        depthwise conv with fixed weights 1/9: the op XNNPACK runs in int8 (its AVERAGE_POOL_2D is
        float only). No weights, so checkpoints and the reference mapping are unchanged."""

        def call(self, x):
            channels = int(x.shape[-1])
            kernel = tf.constant(1.0 / 9.0, x.dtype, shape=(3, 3, channels, 1))
            return tf.nn.depthwise_conv2d(x, kernel, [1, 2, 2, 1], "VALID")

        def compute_output_shape(self, input_shape):
            n, h, w, c = input_shape
            return (n, None if h is None else (h - 3) // 2 + 1,
                    None if w is None else (w - 3) // 2 + 1, c)

    return types.SimpleNamespace(ResizeLike=ResizeLike, AveragePool3x3=AveragePool3x3)


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
