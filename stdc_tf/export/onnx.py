"""ONNX export through tf2onnx (NHWC input, as the Keras model takes it), on the export contract.

The spec's input type and output kind shape the graph: ``float`` input ``image`` (normalized)
or ``uint8`` RGB normalized inside the graph; ``logits`` out, or the uint8 class map
``classes`` (what TensorRT engines and Triton serve: clients send and receive 4x fewer bytes
and need no preprocessing code). The batch dimension is always dynamic.

Any Keras model that can be called on a tensor converts, Keras 3 or ``tf_keras``: a tf_keras
quantization-aware model (precision ``qat``) passes through the same function, tf2onnx turning
its activation fake-quant ops into QuantizeLinear/DequantizeLinear pairs (explicit quantization,
which TensorRT builds as int8 without a calibrator). tf2onnx folds each conv's weight fake-quant
and its BatchNorm into float weights, so :func:`quantize_conv_weights` then gives every conv
weight its own per-output-channel symmetric int8 Q/DQ (what LiteRT's converter does with the
same folded weights): without it TensorRT would run those convs in float. A symmetric activation
range (the ``tensorrt`` QAT scheme) comes out of tf2onnx as UINT8 with zero point 128, rewritten
exactly to INT8 with zero point 0 (:mod:`stdc_tf.export.qdq`); TensorRT's import rules
(:mod:`stdc_tf.export.tensorrt_rules`) are checked on every file and reported as warnings. A QAT
model whose fake-quant ranges were never trained is refused before tf2onnx sees it.

Precision ``int8`` is onnxruntime's own static post-training quantization of the float graph
(:func:`quantize_int8`): QDQ format, int8 per-output-channel weights, uint8 per-tensor activations
calibrated (min/max) on ``spec.calibration_steps`` images of ``spec.calibration`` taken like the
LiteRT int8 file's (:func:`stdc_tf.export.calibration.calibration_batches`). onnxruntime's CPU
provider fuses each DQ→op→Q group into an integer kernel (VNNI where the CPU has it): on x86 hosts
it is the int8 file to compare LiteRT int8 with. It needs a fixed input size. It is for onnxruntime
only: TensorRT refuses uint8 asymmetric activations, and ``to_tensorrt`` refuses the file naming
the TensorRT int8 routes.

The written file is checked on onnxruntime's CPU provider (the reference the GPU routes are
compared against) against the Keras model; a class-map file is compared on the logits feeding
its ArgMax. A float file must match within :data:`MAX_RELATIVE_LOGIT_DIFF`; a QAT file, whose
logits differ by rounding (fake-quant rounds half away from zero, QuantizeLinear to even) and BN
folding, must agree on :data:`MIN_QAT_CLASS_AGREEMENT` of the pixels; an int8 file is reported,
not refused (like LiteRT int8), unless the spec sets a limit.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.errors import ConfigError
from stdc_tf.export import ExportError, first_line
from stdc_tf.export.contract import (
    ExportResult,
    ExportSpec,
    checked_write,
    require_class_map_fits,
    require_matching_model,
)
from stdc_tf.export.qdq import symmetric_int8_qdq
from stdc_tf.export.tensorrt_rules import tensorrt_violations
from stdc_tf.progress import Progress

DEFAULT_OPSET = 17
PRECISIONS = ("fp32", "int8", "qat")
INPUT_NAME, LOGITS, CLASSES = "image", "logits", "classes"
METADATA_PREFIX = "stdc_tf."   # keys of the facts recorded in the file (num_classes, input, output)
MAX_RELATIVE_LOGIT_DIFF = 1e-4
MIN_QAT_CLASS_AGREEMENT = 0.98


def convert_onnx(model: Any, spec: ExportSpec, opset: int = DEFAULT_OPSET, target: str = "the model") -> Any:
    """The ONNX ``ModelProto`` of ``model`` under ``spec`` (module docstring)."""
    import tensorflow as tf
    import tf2onnx

    from stdc_tf.models import inference_model, num_classes
    from stdc_tf.models.preprocessing import normalize

    if spec.precision not in PRECISIONS:
        raise ExportError(f"ONNX precision {spec.precision!r} is not one of {', '.join(PRECISIONS)}")
    require_matching_model(model, spec.precision)
    if spec.precision == "int8" and (spec.calibration is None or spec.input_size is None):
        raise ConfigError("ONNX precision 'int8' needs calibration images (a dataset) and a fixed "
                          "input size")
    if spec.precision == "qat":   # empty ranges: tf2onnx divides by a zero scale
        from stdc_tf.quantization.ranges import require_trained_ranges

        require_trained_ranges(model, target)
    net = inference_model(model)
    uint8, class_map = spec.input_type == "uint8", spec.output == "classes"
    if class_map:
        require_class_map_fits(net)
    shape = (*(spec.input_size or net.inputs[0].shape[1:3]), 3)
    signature = [tf.TensorSpec((None, *shape), tf.uint8 if uint8 else tf.float32, name=INPUT_NAME)]

    def graph(image):
        logits = net(normalize(image) if uint8 else image, training=False)
        if class_map:
            return {CLASSES: tf.cast(tf.argmax(logits, axis=-1), tf.uint8)}
        return {LOGITS: logits}

    try:
        proto, _ = tf2onnx.convert.from_function(tf.function(graph), input_signature=signature,
                                                 opset=opset)
    except Exception as e:  # tf2onnx raises many types for unsupported graphs
        raise ExportError(f"cannot convert {target} to ONNX (opset {opset}): {first_line(e)}") from e
    if any(node.op_type == "QuantizeLinear" for node in proto.graph.node):
        quantize_conv_weights(proto)
        symmetric_int8_qdq(proto)   # exact: a symmetric range's UINT8 zero point 128 is INT8 0
    if spec.precision == "int8":
        proto = quantize_int8(proto, spec)
    facts = {**({"num_classes": str(num_classes(net))} if num_classes(net) else {}),
             "input": "uint8 RGB, normalized in the graph" if uint8 else "ImageNet-normalized RGB",
             "output": CLASSES if class_map else LOGITS, "precision": spec.precision}
    for key, value in facts.items():
        proto.metadata_props.add(key=METADATA_PREFIX + key, value=value)
    return proto


def export_onnx(model: Any, path: str | Path, spec: ExportSpec, *, opset: int = DEFAULT_OPSET) -> ExportResult:
    """Convert ``model`` under ``spec`` to ``path`` (atomically), checked on onnxruntime CPU."""
    path = Path(path)
    started = time.perf_counter()
    proto = convert_onnx(model, spec, opset, target=str(path))
    limits = {"qat": (None, MIN_QAT_CLASS_AGREEMENT), "int8": (None, None)}.get(
        spec.precision, (MAX_RELATIVE_LOGIT_DIFF, None))
    result = checked_write(path, "onnx", spec, model, lambda tmp: tmp.write_bytes(proto.SerializeToString()),
                           predictor_options={"provider": "cpu", "logits": spec.output == "classes"},
                           limits=limits, started=started)
    result.ops = dict(Counter(node.op_type for node in proto.graph.node))
    refused = tensorrt_violations(proto, spec.input_size)
    if refused:   # a file for onnxruntime may still be fine; TensorRT would refuse it
        hint = {"qat": " (train QAT with --qat-scheme tensorrt)",
                "int8": " (this int8 file is for onnxruntime; TensorRT int8 calibrates the float ONNX)"}
        result.warnings.append(f"{len(refused)} TensorRT 10 import rule violation(s), e.g. {refused[0]}"
                               + hint.get(spec.precision, ""))
    result.metadata = {p.key.removeprefix(METADATA_PREFIX): p.value for p in proto.metadata_props
                       if p.key.startswith(METADATA_PREFIX)}
    return result


class _DropAdvice(logging.Filter):
    """Drops onnxruntime.quantization's pre-processing advice: its shape inference and graph
    optimization change nothing here (tf2onnx's graph has static shapes; onnxruntime optimizes
    the QDQ graph when the session opens)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()


def quantize_int8(proto: Any, spec: ExportSpec) -> Any:
    """onnxruntime's static int8 quantization of the float ``proto`` (QDQ, s8 per-channel weights,
    u8 activations, min/max ranges), calibrated on the spec's images in the graph's input type."""
    import tempfile

    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    from stdc_tf.data.datasets import SegDataset
    from stdc_tf.export.calibration import calibration_batches
    from stdc_tf.models.preprocessing import normalize

    images = spec.calibration
    if isinstance(images, SegDataset):
        images = calibration_batches(images, spec.calibration_steps, spec.input_size)
    uint8 = spec.input_type == "uint8"

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = iter(images)
            self._left = spec.calibration_steps
            self.bar = Progress(spec.calibration_steps, "calibrating", "img", enabled=spec.progress)

        def get_next(self) -> dict | None:
            batch = next(self._batches, None) if self._left > 0 else None
            if batch is None:
                self.bar.close()
                return None
            self._left -= 1
            self.bar.update()
            batch = np.asarray(batch)
            batch = batch[None] if batch.ndim == 3 else batch
            if batch.shape[1:] != (*spec.input_size, 3):
                raise ConfigError(f"calibration images must be {spec.input_size[0]}x{spec.input_size[1]}"
                                  f" RGB, got shape {batch.shape[1:]}")
            return {INPUT_NAME: batch.astype(np.uint8) if uint8 else normalize(batch)}

    root = logging.getLogger()
    advice = _DropAdvice()   # onnxruntime logs "Please consider pre-processing" on the root logger
    root.addFilter(advice)
    with tempfile.TemporaryDirectory(prefix="onnx_int8_") as work:
        source, target = Path(work) / "float.onnx", Path(work) / "int8.onnx"
        source.write_bytes(proto.SerializeToString())
        reader = Reader()
        try:
            quantize_static(str(source), str(target), reader, quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                            extra_options={"CalibTensorRangeSymmetric": False})
        except ConfigError:
            raise
        except Exception as e:  # onnxruntime.quantization raises many types
            raise ExportError(f"onnxruntime static int8 quantization failed: {first_line(e)}") from e
        finally:
            reader.bar.close()
            root.removeFilter(advice)
        quantized = onnx.load(str(target))
    del quantized.metadata_props[:]
    return quantized


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
