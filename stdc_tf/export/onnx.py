"""ONNX export through tf2onnx (NHWC input, as the Keras model takes it), and its parity check.

By default the ONNX graph is the Keras inference graph: normalized float input ``image``, float
logits ``logits``. For deployment (TensorRT, Triton) it can take uint8 RGB instead, with the
normalization inside the graph (``uint8_input``), and return the uint8 class map ``classes``
(``class_map``), so clients send and receive 4x fewer bytes and need no preprocessing code.

Any Keras model that can be called on a tensor converts, Keras 3 or ``tf_keras``: a tf_keras
quantization-aware model passes through the same function, tf2onnx turning its activation
fake-quant ops into QuantizeLinear/DequantizeLinear pairs (explicit quantization, which TensorRT
builds as int8 without a calibrator). tf2onnx folds each conv's weight fake-quant and its
BatchNorm into float weights, so :func:`quantize_conv_weights` then gives every conv weight its
own per-output-channel symmetric int8 Q/DQ (what LiteRT's converter does with the same folded
weights): without it TensorRT would run those convs in float.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.atomic import atomic_output
from stdc_tf.export import ExportError, first_line
from stdc_tf.export.saved_model import CLASSES, INPUT_NAME, check_uint8_classes, inference_model

DEFAULT_OPSET = 17
LOGITS = "logits"
METADATA_PREFIX = "stdc_tf."   # keys of the facts recorded in the file (num_classes, input, output)


def export_onnx(model: Any, path: str | Path, input_shape: Sequence[int | None] | None = None,
                opset: int = DEFAULT_OPSET, uint8_input: bool = False,
                class_map: bool = False) -> Path:
    """Convert ``model``'s inference graph to an ``.onnx`` file at ``path``.

    ``input_shape`` ((H, W) or (H, W, C)) fixes the input size; by default the model's own,
    where ``None`` dims stay dynamic. The batch dimension is always dynamic.
    """
    import tensorflow as tf
    import tf2onnx

    from stdc_tf.models.preprocessing import normalize

    path = Path(path)
    model = inference_model(model)
    shape = tuple(input_shape or model.inputs[0].shape[1:])
    shape = (*shape, 3) if len(shape) == 2 else shape
    if len(shape) != 3:
        raise ExportError(f"input_shape must be (H, W) or (H, W, C), got {shape}")
    if class_map:
        check_uint8_classes(model)
    signature = [tf.TensorSpec((None, *shape), tf.uint8 if uint8_input else tf.float32, name=INPUT_NAME)]

    def graph(image):
        logits = model(normalize(image) if uint8_input else image, training=False)
        if class_map:
            return {CLASSES: tf.cast(tf.argmax(logits, axis=-1), tf.uint8)}
        return {LOGITS: logits}

    try:
        proto, _ = tf2onnx.convert.from_function(tf.function(graph), input_signature=signature,
                                                 opset=opset)
    except Exception as e:  # tf2onnx raises many types for unsupported graphs
        raise ExportError(f"cannot convert the model to ONNX (opset {opset}) for {path}: "
                          f"{first_line(e)}") from e
    facts = {"num_classes": str(model.outputs[0].shape[-1]),
             "input": "uint8 RGB, normalized in the graph" if uint8_input else "ImageNet-normalized RGB",
             "output": CLASSES if class_map else LOGITS}
    if any(node.op_type == "QuantizeLinear" for node in proto.graph.node):
        quantize_conv_weights(proto)
    for key, value in facts.items():
        proto.metadata_props.add(key=METADATA_PREFIX + key, value=value)
    with atomic_output(path) as tmp:
        tmp.write_bytes(proto.SerializeToString())
    return path


def quantize_conv_weights(proto: Any) -> int:
    """Give every Conv whose weight is a float initializer a per-output-channel symmetric int8
    weight (int8 initializer → DequantizeLinear, axis 0, zero point 0); returns how many."""
    from onnx import helper, numpy_helper

    inits = {init.name: init for init in proto.graph.initializer}
    done = 0
    for conv in [n for n in proto.graph.node if n.op_type == "Conv"]:
        weight = inits.get(conv.input[1]) if len(conv.input) > 1 else None
        if weight is None:
            continue
        w = numpy_helper.to_array(weight).astype(np.float32)
        scale = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(axis=1), 1e-12) / 127.0
        q = np.clip(np.round(w / scale.reshape(-1, *[1] * (w.ndim - 1))), -127, 127).astype(np.int8)
        name = weight.name
        proto.graph.initializer.extend([numpy_helper.from_array(q, f"{name}_int8"),
                                        numpy_helper.from_array(scale.astype(np.float32), f"{name}_scale"),
                                        numpy_helper.from_array(np.zeros(len(scale), np.int8), f"{name}_zero")])
        dequantize = helper.make_node("DequantizeLinear", [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                                      [f"{name}_dequantized"], name=f"{name}_DequantizeLinear", axis=0)
        proto.graph.node.insert(list(proto.graph.node).index(conv), dequantize)
        conv.input[1] = f"{name}_dequantized"
        done += 1
    used = {i for n in proto.graph.node for i in n.input}
    keep = [init for init in proto.graph.initializer if init.name in used]
    del proto.graph.initializer[:]
    proto.graph.initializer.extend(keep)
    return done


@dataclass(frozen=True)
class OnnxParity:
    """How closely an ONNX file on onnxruntime (CPU) reproduces the Keras model.

    ``max_relative_logit_diff`` is ``max |onnx - keras| / max |keras|`` over every logit of the
    check images (relative to the logit range, so that logits near zero do not inflate it);
    ``class_agreement`` the fraction of pixels whose argmax class is the same.
    """

    max_relative_logit_diff: float
    class_agreement: float
    images: int


def _logits_graph(onnx_model: Any) -> tuple[Any, str, int]:
    """The model with its logits exposed as an output if it returns a class map, their name and
    their class axis (tf2onnx may have moved a class map's logits to NCHW before the ArgMax)."""
    import onnx

    outputs = [o.name for o in onnx_model.graph.output]
    if LOGITS in outputs:
        return onnx_model, LOGITS, -1
    argmax = [n for n in onnx_model.graph.node if n.op_type == "ArgMax"]
    if len(argmax) != 1:
        raise ExportError(f"cannot find the logits of an ONNX model with outputs {outputs} "
                          f"(expected a '{LOGITS}' output or one ArgMax)")
    exposed = onnx.ModelProto()
    exposed.CopyFrom(onnx_model)
    name = argmax[0].input[0]
    exposed.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    axis = next((a.i for a in argmax[0].attribute if a.name == "axis"), 0)
    return exposed, name, axis


def verify_onnx(model: Any, onnx_path: str | Path, images: np.ndarray) -> OnnxParity:
    """Compare an exported ONNX file (any of :func:`export_onnx`'s variants) with ``model``.

    ``images`` are uint8 RGB ``[N, H, W, 3]`` at the ONNX input size. The ONNX file runs on
    onnxruntime's CPU provider (the reference the GPU routes are then compared against); a
    class-map file is checked on the logits feeding its ArgMax.
    """
    import onnx
    import onnxruntime as ort

    from stdc_tf.models.preprocessing import normalize

    onnx_model, logits_name, axis = _logits_graph(onnx.load(str(onnx_path)))
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0]
    x = images if feed.type == "tensor(uint8)" else normalize(images)
    got = np.moveaxis(session.run([logits_name], {feed.name: x})[0], axis, -1)
    expected = np.asarray(inference_model(model)(normalize(images), training=False))
    if got.shape != expected.shape:
        raise ExportError(f"ONNX model {onnx_path} returns logits of shape {got.shape}, the Keras "
                          f"model {expected.shape}")
    scale = float(np.abs(expected).max()) or 1.0
    return OnnxParity(float(np.abs(got - expected).max()) / scale,
                      float((got.argmax(-1) == expected.argmax(-1)).mean()), len(images))
