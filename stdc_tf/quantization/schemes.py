"""The QAT schemes: ``litert`` (tfmot's default 8-bit, the phone route) and ``tensorrt``.

TensorRT's ONNX parser takes symmetric int8 quantization only (zero point int8 0), and its
builder fuses a DequantizeLinear into the op that consumes it and a QuantizeLinear into the op
that produces it. So the ``tensorrt`` scheme fake-quantizes exactly the tensors TensorRT wants
quantized — the *inputs* of Conv (incl. depthwise), Add, Concatenate and Multiply — and nothing
else: no fake-quant between a conv and its BatchNorm or ReLU (the builder fuses conv+BN+ReLU and
would have to drop a Q/DQ there), none on resize/pool outputs that feed no such op, none on the
logits. A tensor is quantized at the output of the layer producing it, which puts one Q/DQ in
front of all its consumers (what tf2onnx writes for a fake-quant).

Quantizers (what TensorRT's own QAT recipes use; defined with :class:`~stdc_tf.quantization.configs.TensorRTConfig`):

* activations: ``MovingAverageQuantizer(8, per_axis=False, symmetric=True, narrow_range=False)``.
  tfmot's symmetric range is ``[-128/127 m, m]``, which tf2onnx writes as UINT8 Q/DQ with zero
  point 128: exactly int8 with zero point 0, rewritten so by
  :func:`stdc_tf.export.qdq.symmetric_int8_qdq`. ``narrow_range=True`` would be closer to
  TensorRT's [-127, 127] but tf2onnx refuses narrow-range activation fake-quant.
* conv weights: ``LastValueQuantizer(8, per_axis=True, symmetric=True, narrow_range=True)``
  (per output channel). Depthwise kernels (``kh, kw, C, 1``) are per-tensor in training: tfmot's
  per-axis quantizers take the last axis, which is 1 there. Either way the ONNX export requantizes
  every BN-folded conv weight per output channel, symmetric int8 (axis 0), as TensorRT wants.
* the image input (the first conv's input): ``AllValuesQuantizer``, symmetric, as tfmot's default
  input layer but symmetric.
"""
from __future__ import annotations

from typing import Any

import tensorflow_model_optimization as tfmot

from stdc_tf.errors import ConfigError
from stdc_tf.models.structure import inner_layer, layer_kind
from stdc_tf.quantization.configs import TensorRTConfig, input_quantizer, scope

SCHEMES = ("litert", "tensorrt")
DEFAULT_SCHEME = "litert"
QUANTIZED_CONSUMERS = ("Conv2D", "DepthwiseConv2D", "Dense", "Add", "Concatenate", "Multiply",
                       "AveragePool3x3")   # the skip pool is a fixed depthwise conv (models.layers)
_WEIGHTS = {"Conv2D": ("kernel", True), "Dense": ("kernel", True),
            "DepthwiseConv2D": ("depthwise_kernel", False)}   # attribute, per-channel in training

_q = tfmot.quantization.keras


def consumers(model: Any) -> dict[str, list[str]]:
    """Layer name → the kinds of the layers that take its output (the model's graph)."""
    found: dict[str, list[str]] = {layer.name: [] for layer in model.layers}
    for layer in model.layers:
        for node in layer.inbound_nodes:
            for inbound in node.inbound_layers if isinstance(node.inbound_layers, list) else [node.inbound_layers]:
                found.setdefault(inbound.name, []).append(layer_kind(layer))
    return found


def tensorrt_placement(model: Any) -> dict[str, TensorRTConfig]:
    """The ``tensorrt`` config of every layer of a float tf_keras model (input layers excepted)."""
    fed = consumers(model)
    placement = {}
    for layer in model.layers:
        kind = layer_kind(layer)
        if kind == "InputLayer":
            continue
        attr, per_axis = _WEIGHTS.get(kind, (None, True))
        if attr and not hasattr(inner_layer(layer), attr):
            attr = None
        placement[layer.name] = TensorRTConfig(
            attr, per_axis, quantize_output=any(k in QUANTIZED_CONSUMERS for k in fed[layer.name]))
    return placement


def _input_transform() -> Any:
    """tfmot's input-layer transform with the symmetric activation quantizer."""
    from tensorflow_model_optimization.python.core.quantization.keras import quantize_layer
    from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
        default_8bit_transforms as transforms,
    )
    from tensorflow_model_optimization.python.core.quantization.keras.graph_transformations.transforms import (
        LayerNode,
    )
    from tensorflow_model_optimization.python.core.quantization.keras.utils import serialize_layer

    class SymmetricInputQuantize(transforms.InputLayerQuantize):
        def replacement(self, match_layer):
            layer = quantize_layer.QuantizeLayer(input_quantizer())
            config = serialize_layer(layer, use_legacy_format=True)
            config["name"] = layer.name
            return LayerNode(config, input_layers=[match_layer])

    return SymmetricInputQuantize()


class _Registry:
    """Every layer carries its config (:func:`tensorrt_placement`): the registry supports none."""

    def supports(self, layer):
        return False

    def get_quantize_config(self, layer):
        raise ConfigError(f"layer {layer.name}: the tensorrt QAT scheme has no config for it")


class TensorRTQuantizeScheme:
    """tfmot ``QuantizeScheme`` duck type: the symmetric input transform, no registry."""

    def get_layout_transformer(self):
        from tensorflow_model_optimization.python.core.quantization.keras import quantize_layout_transform
        from tensorflow_model_optimization.python.core.quantization.keras.graph_transformations import (
            model_transformer,
        )

        class Layout(quantize_layout_transform.QuantizeLayoutTransform):
            def apply(self, model, layer_quantize_map):
                return model_transformer.ModelTransformer(
                    model, [_input_transform()], set(layer_quantize_map), layer_quantize_map).transform()

        return Layout()

    def get_quantize_registry(self):
        return _Registry()


def check_scheme(name: str) -> str:
    if name not in SCHEMES:
        raise ConfigError(f"unknown QAT scheme {name!r}; valid: {', '.join(SCHEMES)}")
    return name


def quantize_tensorrt(model: Any) -> Any:
    """The ``tensorrt``-scheme QAT version of a float tf_keras model (weights kept)."""
    import tf_keras

    placement = tensorrt_placement(model)

    def annotate(layer):
        config = placement.get(layer.name)
        return _q.quantize_annotate_layer(layer, config) if config else layer

    with _q.quantize_scope(scope()):
        annotated = tf_keras.models.clone_model(model, clone_function=annotate)
        return _q.quantize_apply(annotated, scheme=TensorRTQuantizeScheme())
