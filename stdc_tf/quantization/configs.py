"""tfmot QuantizeConfigs for the STDC layers tfmot's default 8-bit registry has none for, or gets
wrong, and the table that assigns them (:func:`quantize_config_for`).

Decisions, each where an int8 LiteRT kernel constrains what training must model:

* ``ResizeLike`` (both modes) — :class:`SameScale`: no fake-quant of its own. LiteRT's int8
  RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR keep the input's scale and zero point; a fake-quant
  after the resize would make the converter insert a requantize that training never saw
  (tfmot's own registry comment, issue #1000).
* ``Multiply`` (the ARM and FFM attention gates; not in the registry, tfmot #733) —
  :class:`OutputQuantized`: the product gets its own 8-bit range, like the registry's Add.
* The ``AveragePooling2D`` skip of a stride-2 STDC module, which feeds a ``Concatenate`` —
  :class:`SameScale`: tfmot's concat transform removes the fake-quants of a concat's inputs but
  an average pool would keep its own, and the converter then rejects the graph ("quantization
  parameters violate the same scale constraint") or requantizes; an int8 AVERAGE_POOL_2D keeps
  its input's scale anyway.
* Every other layer uses the default registry: conv + BN (+ ReLU) chains fold (every STDC BN
  follows a conv directly), sigmoid has no output fake-quant, GAP / Add / Concatenate are
  quantized at their output.
"""
from __future__ import annotations

from typing import Any

import tensorflow_model_optimization as tfmot

from stdc_tf.models.structure import layer_kind, reference_name

_QuantizeConfig = tfmot.quantization.keras.QuantizeConfig
_MovingAverage = tfmot.quantization.keras.quantizers.MovingAverageQuantizer


class SameScale(_QuantizeConfig):
    """No fake-quant: the layer's output keeps its input's scale (shape or averaging ops)."""

    def get_weights_and_quantizers(self, layer):
        return []

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_weights(self, layer, quantize_weights):
        pass

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        return []

    def get_config(self):
        return {}


class OutputQuantized(SameScale):
    """An 8-bit per-tensor asymmetric fake-quant of the output only (no weights)."""

    def get_output_quantizers(self, layer):
        return [_MovingAverage(num_bits=8, per_axis=False, symmetric=False, narrow_range=False)]


def quantize_config_for(layer: Any) -> _QuantizeConfig | None:
    """The project's config for ``layer``, or ``None`` where tfmot's default registry is right."""
    kind, name = layer_kind(layer), reference_name(layer) or ""
    if kind == "ResizeLike":
        return SameScale()
    if kind == "Multiply":   # the ARM / FFM attention gates (and the classifier's square)
        return OutputQuantized()
    if kind in ("AveragePooling2D", "AveragePool3x3") and name.endswith(".skip"):
        return SameScale()
    return None


def scope() -> dict[str, Any]:
    """Custom objects that cloning and loading a quantized STDC model need."""
    import tf_keras

    from stdc_tf.models.layers import custom_objects
    from stdc_tf.quantization.schemes import TensorRTConfig

    return {**custom_objects(tf_keras), "SameScale": SameScale, "OutputQuantized": OutputQuantized,
            "TensorRTConfig": TensorRTConfig}
