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

The ``tensorrt`` scheme's per-layer config (:class:`TensorRTConfig`) and its quantizers live here
too, below :mod:`stdc_tf.quantization.schemes` (which places them): :func:`scope` names every
config a saved QAT model may carry, so it needs them all without importing the schemes.
"""
from __future__ import annotations

from typing import Any

import tensorflow_model_optimization as tfmot

from stdc_tf.models.structure import layer_kind, reference_name

_QuantizeConfig = tfmot.quantization.keras.QuantizeConfig
_quantizers = tfmot.quantization.keras.quantizers
_MovingAverage = _quantizers.MovingAverageQuantizer


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


def activation_quantizer() -> Any:
    """Symmetric per-tensor 8-bit (zero point 0 after export)."""
    return _MovingAverage(num_bits=8, per_axis=False, symmetric=True, narrow_range=False)


def input_quantizer() -> Any:
    """The image input's range: all values seen (like tfmot's default input layer, it starts
    empty, min == max == 0, so an untrained model is recognisable), symmetric."""
    return _quantizers.AllValuesQuantizer(num_bits=8, per_axis=False, symmetric=True, narrow_range=False)


def weight_quantizer(per_axis: bool = True) -> Any:
    """Symmetric [-127, 127] weights, per output channel where tfmot can."""
    return _quantizers.LastValueQuantizer(num_bits=8, per_axis=per_axis, symmetric=True,
                                            narrow_range=True)


class TensorRTConfig(_QuantizeConfig):
    """One layer of the ``tensorrt`` scheme: its weights (if any) and, where a consumer is a
    Conv/Add/Concatenate/Multiply, its output; activation attributes are never quantized (the
    STDC layers have none but the ARM/FFM sigmoids, whose output is handled as an output)."""

    def __init__(self, weights: str | None = None, per_axis: bool = True, quantize_output: bool = False):
        self.weights, self.per_axis, self.quantize_output = weights, per_axis, quantize_output

    def get_weights_and_quantizers(self, layer):
        return [(getattr(layer, self.weights), weight_quantizer(self.per_axis))] if self.weights else []

    def set_quantize_weights(self, layer, quantize_weights):
        if self.weights:
            setattr(layer, self.weights, quantize_weights[0])

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        return [activation_quantizer()] if self.quantize_output else []

    def get_config(self):
        return {"weights": self.weights, "per_axis": self.per_axis, "quantize_output": self.quantize_output}


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

    return {**custom_objects(tf_keras), "SameScale": SameScale, "OutputQuantized": OutputQuantized,
            "TensorRTConfig": TensorRTConfig}
