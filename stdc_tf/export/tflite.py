"""LiteRT (``.tflite``) files: fp32, fp16, dynamic-range, full-integer int8 (PTQ) and QAT, builtin ops only.

The deployment contract (selectable, recorded in the file's metadata, :mod:`stdc_tf.export.metadata`):

* input ``[1, H, W, 3]`` at a fixed size: ``uint8`` RGB pixels with the ImageNet normalization
  inside the graph (default, ``io="uint8"``), or ``float32`` already normalized (``io="float"``).
  The in-graph normalization is one 1x1 depthwise convolution with bias
  (``pixel * 1/(255 std) - mean/std`` per channel): a single op that XNNPACK runs and that int8
  quantizes per channel, where a MUL/SUB pair would leave an unquantized float island in a QAT
  graph. uint8 input has no quantization parameters, in every precision: the raw pixel is fed.
* output: a class map ``uint8 [1, H, W]`` (in-graph ARG_MAX, whose int32 result is cast to uint8;
  at most 256 classes; default) or the logits ``[1, H, W, C]`` (float32, or int8 with the
  tensor's scale/zero point for the int8 and qat precisions).

Precisions, as TensorFlow's converter defines them: ``fp16`` (float16 weights), ``dynamic``
(int8 weights, float activations), ``int8`` (full-integer post-training quantization calibrated on
images from the project's data pipeline) and ``qat`` (an already quantization-aware ``tf_keras``
model from tfmot, converted without calibration). int8/qat inputs get a fake-quant of
``[0, 255]`` after the cast, so the first QUANTIZE maps each pixel exactly; int8/qat files must be
integer inside: CAST/QUANTIZE/DEQUANTIZE only at the edges (:func:`float_ops_inside`).

:func:`export_tflite` follows the export contract (:mod:`stdc_tf.export.contract`): convert, check
the graph (builtin ops only; int8/qat integer inside), write atomically, open the written file on
LiteRT and compare it with the Keras model. What is inside a file is read by
:mod:`stdc_tf.runtime.flatbuffer`.

Conversion goes through a frozen concrete function (variables folded into constants): a
SavedModel of a ``tf.Module`` wrapping a Keras 3 model loses the variables (NaN outputs), and
``from_concrete_functions`` with live variables leaves READ_VARIABLE ops that fail at run time.
Only builtin ops are allowed: an op that would need Flex (SELECT_TF_OPS) or a custom op fails the
conversion with one line naming it, instead of a file that on-device runtimes reject.
"""
from __future__ import annotations

import itertools
import logging
import re
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from stdc_tf.data.datasets import SegDataset
from stdc_tf.errors import ConfigError, Terminated
from stdc_tf.export import ExportError, first_line
from stdc_tf.export.calibration import calibration_batches
from stdc_tf.export.contract import (
    ExportResult,
    ExportSpec,
    checked_write,
    require_class_map_fits,
    require_matching_model,
)
from stdc_tf.export.metadata import build_metadata, read_metadata, write_metadata
from stdc_tf.native import DeferredSignals, deferred_signals, native_stderr
from stdc_tf.progress import Progress
from stdc_tf.runtime.flatbuffer import float_ops_inside, io_details, read_graph

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "fp16", "dynamic", "int8", "qat")
QUANTIZED_PRECISIONS = ("int8", "qat")
_MISSING_OP = re.compile(r"'tf\.(\w+)' op is neither a custom op nor a flex op")


# ---- the graph that is converted -------------------------------------------------------------

def _normalize_in_graph(x: Any) -> Any:
    """ImageNet normalization of 0..255 pixels as one 1x1 depthwise conv with bias."""
    import tensorflow as tf

    from stdc_tf.models.preprocessing import IMAGENET_MEAN, IMAGENET_STD

    kernel = (1.0 / (255.0 * IMAGENET_STD)).astype(np.float32).reshape(1, 1, 3, 1)
    bias = (-IMAGENET_MEAN / IMAGENET_STD).astype(np.float32)
    return tf.nn.bias_add(tf.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "VALID"), bias)


def deployment_function(model: Any, input_size: tuple[int, int] | None, io: str, output: str,
                        quantized: bool) -> Any:
    """The frozen concrete function that is converted: contract in, ``model``, contract out.

    ``input_size=None`` keeps the model's own input shape with a dynamic batch (the plain fp32
    export); otherwise the input is ``[1, H, W, 3]``.
    """
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    from stdc_tf.models import inference_model

    net = inference_model(model)
    if input_size is None:
        shape = [None, *net.inputs[0].shape[1:]]
    else:
        shape = [1, *input_size, 3]
    dtype = tf.uint8 if io == "uint8" else tf.float32

    def graph(image):
        x = image
        if io == "uint8":
            x = tf.cast(x, tf.float32)
            if quantized:   # pins the input scale to exactly one pixel step
                x = tf.quantization.fake_quant_with_min_max_args(x, 0.0, 255.0, num_bits=8)
            x = _normalize_in_graph(x)
        y = net(x, training=False)
        if output == "classes":
            y = tf.cast(tf.argmax(y, axis=-1, output_type=tf.int32), tf.uint8)
        return y

    fn = tf.function(graph, input_signature=[tf.TensorSpec(shape, dtype, name="image")],
                     autograph=False)
    return convert_variables_to_constants_v2(fn.get_concrete_function())


# ---- calibration -----------------------------------------------------------------------------

def _representative(images: Iterable[np.ndarray], steps: int, io: str, input_size: tuple[int, int] | None,
                    progress: TextIO | None, held: DeferredSignals | None = None) -> Any:
    """The converter's ``representative_dataset``: ``steps`` images in the graph's input type;
    it stops early once ``held`` has a signal (the conversion then ends and the signal is raised)."""
    from stdc_tf.models.preprocessing import normalize

    def gen():
        with Progress(steps, "calibrating", "img", stream=progress, enabled=progress is not None) as bar:
            for image in itertools.islice(images, steps):
                if held is not None and held.signum is not None:
                    break
                image = np.asarray(image)
                image = image[None] if image.ndim == 3 else image
                if input_size is not None and image.shape[1:] != (*input_size, 3):
                    raise ConfigError(f"calibration images must be {input_size[0]}x{input_size[1]} "
                                      f"RGB, got shape {image.shape[1:]}")
                yield [image.astype(np.uint8) if io == "uint8" else normalize(image)]
                bar.update(1)

    return gen


# ---- conversion ------------------------------------------------------------------------------

def _missing_ops(error: BaseException) -> list[str]:
    """TensorFlow ops the converter found no builtin for, from its structured errors or text."""
    names = [d.operator.name.removeprefix("tf.") for d in getattr(error, "errors", []) or []
             if d.operator.name and "neither a custom op nor a flex op" in d.error_message]
    return sorted(set(names or _MISSING_OP.findall(str(error))))


def convert_tflite(model: Any, spec: ExportSpec, *, metadata: bool = True, target: str | None = None) -> bytes:
    """The ``.tflite`` flatbuffer of ``model`` under the contract of the module docstring.

    ``spec.calibration`` (int8 only, required there): a split or uint8 RGB images ``[H, W, 3]``
    / batches ``[1, H, W, 3]`` at ``spec.input_size``; the first ``spec.calibration_steps`` are
    used. ``metadata`` stores the file's metadata (:mod:`stdc_tf.export.metadata`, classes from
    ``spec.dataset_info``) in a fixed-size file. ``spec.input_size=None`` keeps the model's own
    input shape (dynamic dims stay dynamic) and stores no metadata (a model as it is, not a
    deployment contract). ``target`` names the output in errors.
    """
    import tensorflow as tf

    precision, io, output = spec.precision, spec.input_type, spec.output
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    if output == "classes":
        require_class_map_fits(model)
    require_matching_model(model, precision)
    spec.require_dataset_classes(model, target or f"model {model.name!r}")   # before calibrating
    if precision == "qat":
        from stdc_tf.quantization.ranges import require_trained_ranges

        require_trained_ranges(model, target or f"model {model.name!r}")
    if precision == "int8" and spec.calibration is None:
        raise ConfigError("precision 'int8' needs calibration images (a dataset)")
    target = target or f"model {model.name!r}"
    quantized = precision in QUANTIZED_PRECISIONS
    representative = spec.calibration
    if precision == "int8" and isinstance(representative, SegDataset):
        representative = calibration_batches(representative, spec.calibration_steps, spec.input_size)

    fn = deployment_function(model, spec.input_size, io, output, quantized)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn], tf.Module())
    builtins = tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if precision == "int8" else tf.lite.OpsSet.TFLITE_BUILTINS
    converter.target_spec.supported_ops = [builtins]
    if precision != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if quantized and output == "logits":
        converter.inference_output_type = tf.int8
    try:
        with deferred_signals() as held, native_stderr() as native, \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "Statistics for quantized inputs were expected" (qat)
            if precision == "int8":
                converter.representative_dataset = _representative(
                    representative, spec.calibration_steps, io, spec.input_size,
                    native.terminal if spec.progress else None, held)
            flatbuffer = converter.convert()
    except (ConfigError, KeyboardInterrupt, Terminated):   # a signal is an interruption, not a failure
        raise
    except Exception as e:  # the converter raises many types, with pages of MLIR context
        missing = _missing_ops(e)
        if missing:
            raise ExportError(f"cannot convert {target} to LiteRT builtin ops: TensorFlow op(s) "
                              f"{', '.join(missing)} have no builtin kernel (Flex/SELECT_TF_OPS and "
                              f"custom ops are not allowed: on-device runtimes cannot run them)") from e
        raise ExportError(f"cannot convert {target} to LiteRT {precision} (builtin ops only): "
                          f"{first_line(e)}") from e
    if not metadata or spec.input_size is None:   # metadata describes a fixed deployment contract
        return flatbuffer
    return write_metadata(flatbuffer, file_metadata(flatbuffer, model, spec))


def file_metadata(flatbuffer: bytes, model: Any, spec: ExportSpec) -> dict:
    """The metadata of a converted file: its I/O tensors, the model's structure, the classes."""
    from stdc_tf.models import describe_model, num_classes

    try:
        structure = describe_model(model)
        preset, backbone = structure.preset, structure.backbone
    except ValueError:   # not an STDC model of this toolkit (a test model, a custom net)
        preset = backbone = None
    inputs, outputs = io_details(flatbuffer)
    return build_metadata(input_detail=inputs, output_detail=outputs, precision=spec.precision,
                          num_classes=num_classes(model), normalization_in_graph=spec.input_type == "uint8",
                          info=spec.dataset_info, preset=preset, backbone=backbone)


def export_tflite(model: Any, path: str | Path, spec: ExportSpec, *, threads: int | None = None,
                  require_integer: bool = True) -> ExportResult:
    """Convert ``model`` under ``spec``, write ``path`` atomically, check it on LiteRT (``threads``).

    An int8/qat graph with float ops inside is refused unless ``require_integer`` is false (then
    it is a warning). The check compares the file with the Keras model on ``spec.check_images``
    images; LiteRT files are reported, not refused, on it (int8 differs from float by design).
    """
    path = Path(path)
    started = time.perf_counter()
    if spec.precision == "int8":
        log.info("converting to %s int8, calibrating on %d images", path, spec.calibration_steps)
    flatbuffer = convert_tflite(model, spec, target=str(path))
    graph = read_graph(flatbuffer)
    warned = []
    if spec.precision in QUANTIZED_PRECISIONS:
        inside = float_ops_inside(graph)
        if inside and require_integer:
            raise ExportError(f"{path}: the {spec.precision} graph is not integer inside: float "
                              f"{', '.join(inside)} away from the input/output edges")
        warned = [f"float ops inside the {spec.precision} graph: {', '.join(inside)}"] if inside else []
    result = checked_write(path, "litert", spec, model, lambda tmp: tmp.write_bytes(flatbuffer),
                           predictor_options={"threads": threads} if threads else {}, started=started)
    result.ops, result.warnings = graph.op_counts(), warned
    result.metadata = read_metadata(path)
    return result
