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

Conversion goes through a frozen concrete function (variables folded into constants): a
SavedModel of a ``tf.Module`` wrapping a Keras 3 model loses the variables (NaN outputs), and
``from_concrete_functions`` with live variables leaves READ_VARIABLE ops that fail at run time.
Only builtin ops are allowed: an op that would need Flex (SELECT_TF_OPS) or a custom op fails the
conversion with one line naming it, instead of a file that on-device runtimes reject.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from stdc_tf.atomic import atomic_output
from stdc_tf.data.datasets import SegDataset
from stdc_tf.data.labels import DatasetInfo
from stdc_tf.errors import ConfigError
from stdc_tf.export import ExportError, first_line
from stdc_tf.export.calibration import calibration_batches, random_batch
from stdc_tf.export.metadata import build_metadata, read_metadata, write_metadata
from stdc_tf.export.saved_model import check_uint8_classes, num_classes

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "fp16", "dynamic", "int8", "qat")
QUANTIZED_PRECISIONS = ("int8", "qat")
INPUT_TYPES = ("uint8", "float")
OUTPUT_KINDS = ("classes", "logits")
DEFAULT_CALIBRATION_STEPS = 100
_FLOAT_TYPES = ("FLOAT32", "FLOAT16")
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


def _check_options(model: Any, precision: str, io: str, output: str) -> None:
    for name, value, valid in (("precision", precision, PRECISIONS), ("io", io, INPUT_TYPES),
                               ("output", output, OUTPUT_KINDS)):
        if value not in valid:
            raise ConfigError(f"unknown {name} {value!r}; valid: {', '.join(valid)}")
    if output == "classes":
        check_uint8_classes(model)


def _check_qat_model(model: Any, precision: str) -> None:
    """``qat`` takes a tfmot model (fake-quant inside); the other precisions a float model."""
    from stdc_tf.models import inference_model

    layers = [type(layer).__name__ for layer in inference_model(model).layers]
    quantize_aware = any(name in ("QuantizeLayer", "QuantizeWrapper", "QuantizeWrapperV2")
                         for name in layers)
    if precision == "qat" and not quantize_aware:
        raise ConfigError("precision 'qat' needs a quantization-aware tf_keras model (tfmot "
                          "quantize_model / the QAT trainer's output); this model has no "
                          "quantize layers: use precision 'int8' for post-training quantization")
    if precision != "qat" and quantize_aware:
        raise ConfigError(f"the model is quantization-aware (tfmot): convert it with precision "
                          f"'qat', not {precision!r}")


# ---- calibration -----------------------------------------------------------------------------

def _representative(images: Iterable[np.ndarray], steps: int, io: str, input_size: tuple[int, int] | None,
                    progress: TextIO | None) -> Any:
    """The converter's ``representative_dataset``: ``steps`` images in the graph's input type."""
    from tqdm import tqdm

    from stdc_tf.models.preprocessing import normalize

    def gen():
        bar = tqdm(total=steps, desc="calibrating", unit="img", file=progress,
                   disable=progress is None)
        for image in itertools.islice(images, steps):
            image = np.asarray(image)
            image = image[None] if image.ndim == 3 else image
            if input_size is not None and image.shape[1:] != (*input_size, 3):
                raise ConfigError(f"calibration images must be {input_size[0]}x{input_size[1]} RGB, "
                                  f"got shape {image.shape[1:]}")
            yield [image.astype(np.uint8) if io == "uint8" else normalize(image)]
            bar.update(1)
        bar.close()

    return gen


# ---- conversion ------------------------------------------------------------------------------

@contextlib.contextmanager
def _quiet_stderr() -> Iterator[TextIO]:
    """Keep the converter's C++/MLIR lines (pages of them on failure) off file descriptor 2;
    yields a stream to the real stderr for progress bars. Debug logging keeps everything."""
    if log.isEnabledFor(logging.DEBUG) or not hasattr(sys.stderr, "fileno"):
        yield sys.stderr
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    real = os.fdopen(os.dup(saved), "w")
    os.dup2(devnull, 2)
    try:
        yield real
    finally:
        sys.stderr.flush()
        real.close()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _missing_ops(error: BaseException) -> list[str]:
    """TensorFlow ops the converter found no builtin for, from its structured errors or text."""
    names = [d.operator.name.removeprefix("tf.") for d in getattr(error, "errors", []) or []
             if d.operator.name and "neither a custom op nor a flex op" in d.error_message]
    return sorted(set(names or _MISSING_OP.findall(str(error))))


def convert_tflite(model: Any, precision: str = "fp32", input_size: tuple[int, int] | None = None,
                   *, io: str = "uint8", output: str = "classes",
                   representative: Iterable[np.ndarray] | None = None,
                   calibration_steps: int = DEFAULT_CALIBRATION_STEPS,
                   metadata: DatasetInfo | dict | str | None = "auto",
                   progress: bool = False, target: str | None = None) -> bytes:
    """The ``.tflite`` flatbuffer of ``model`` under the contract of the module docstring.

    ``representative`` (int8 only, required there): uint8 RGB images ``[H, W, 3]`` or batches
    ``[1, H, W, 3]`` at ``input_size`` (:func:`stdc_tf.export.calibration.calibration_batches`);
    the first ``calibration_steps`` are used. ``metadata``: ``"auto"``
    builds it (:func:`stdc_tf.export.metadata.build_metadata`, classes from
    :func:`~stdc_tf.export.metadata.default_dataset_info`), a :class:`DatasetInfo` builds it with
    those classes, a dict is stored as it is, ``None`` stores none. ``input_size=None`` keeps the
    model's own input shape (dynamic dims stay dynamic). ``target`` names the output in errors.
    """
    import tensorflow as tf

    _check_options(model, precision, io, output)
    _check_qat_model(model, precision)
    if precision == "int8" and representative is None:
        raise ConfigError("precision 'int8' needs calibration images (a dataset)")
    if precision == "int8" and calibration_steps < 1:
        raise ConfigError(f"calibration_steps must be positive, got {calibration_steps}")
    if input_size is not None and (len(input_size) != 2 or min(input_size) < 1):
        raise ConfigError(f"input size must be (height, width), got {input_size}")
    target = target or f"model {model.name!r}"
    quantized = precision in QUANTIZED_PRECISIONS

    fn = deployment_function(model, input_size, io, output, quantized)
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
        with _quiet_stderr() as stderr, warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "Statistics for quantized inputs were expected" (qat)
            if precision == "int8":
                converter.representative_dataset = _representative(
                    representative, calibration_steps, io, input_size, stderr if progress else None)
            flatbuffer = converter.convert()
    except (ConfigError, KeyboardInterrupt):
        raise
    except Exception as e:  # the converter raises many types, with pages of MLIR context
        missing = _missing_ops(e)
        if missing:
            raise ExportError(f"cannot convert {target} to LiteRT builtin ops: TensorFlow op(s) "
                              f"{', '.join(missing)} have no builtin kernel (Flex/SELECT_TF_OPS and "
                              f"custom ops are not allowed: on-device runtimes cannot run them)") from e
        raise ExportError(f"cannot convert {target} to LiteRT {precision} (builtin ops only): "
                          f"{first_line(e)}") from e
    if metadata is None:
        return flatbuffer
    meta = metadata if isinstance(metadata, dict) else file_metadata(
        flatbuffer, model, precision, io, None if metadata == "auto" else metadata)
    return write_metadata(flatbuffer, meta)


def file_metadata(flatbuffer: bytes, model: Any, precision: str, io: str,
                  info: DatasetInfo | None) -> dict:
    """The metadata of a converted file: its I/O tensors, the model's structure, the classes."""
    from stdc_tf.models import describe_model

    try:
        structure = describe_model(model)
        preset, backbone = structure.preset, structure.backbone
    except ValueError:   # not an STDC model of this toolkit (a test model, a custom net)
        preset = backbone = None
    details = _io_details(flatbuffer)
    return build_metadata(input_detail=details[0], output_detail=details[1], precision=precision,
                          num_classes=num_classes(model), normalization_in_graph=io == "uint8",
                          info=info, preset=preset, backbone=backbone)


def _io_details(flatbuffer: bytes) -> tuple[dict, dict]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_content=flatbuffer, experimental_op_resolver_type=
                              OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    return interpreter.get_input_details()[0], interpreter.get_output_details()[0]


def export_tflite(model: Any, path: str | Path) -> Path:
    """Convert ``model``'s inference graph as it is (float input, its own output and input shape,
    ``None`` dims dynamic) to an fp32 ``.tflite`` file at ``path``, without metadata."""
    path = Path(path)
    flatbuffer = convert_tflite(model, "fp32", None, io="float", output="logits", metadata=None,
                                target=str(path))
    with atomic_output(path) as tmp:
        tmp.write_bytes(flatbuffer)
    return path


# ---- what is inside a file -------------------------------------------------------------------

@dataclass(frozen=True)
class Op:
    """One operator of a LiteRT graph; tensors are indices into the main subgraph, constants left out."""

    name: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


@dataclass(frozen=True)
class Graph:
    """The main subgraph of a ``.tflite`` file, read from the flatbuffer (no interpreter)."""

    ops: tuple[Op, ...]
    tensor_types: dict[int, str]        # activation tensor index → "INT8", "FLOAT32", …
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]

    def op_counts(self) -> dict[str, int]:
        """Op name → count, in order of first appearance."""
        return dict(Counter(op.name for op in self.ops))


def read_graph(source: str | os.PathLike | bytes) -> Graph:
    """The op list of a ``.tflite`` file (path or bytes), as the flatbuffer stores it (before any
    delegate): builtin op names (``CONV_2D``), custom ops by their code (``FlexXxx`` for Flex)."""
    from ai_edge_litert import schema_py_generated as schema

    data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    types = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    model = schema.Model.GetRootAs(data, 0)
    sub = model.Subgraphs(0)

    def is_constant(index: int) -> bool:
        buffer = sub.Tensors(index).Buffer()
        return buffer > 0 and (model.Buffers(buffer).DataLength() > 0 or model.Buffers(buffer).Size() > 0)

    def activations(indices: np.ndarray) -> tuple[int, ...]:
        return tuple(int(i) for i in indices if i >= 0 and not is_constant(int(i)))

    ops = []
    for i in range(sub.OperatorsLength()):
        op = sub.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = names.get(builtin, str(builtin))
        if name == "CUSTOM":
            name = (code.CustomCode() or b"CUSTOM").decode()
        ops.append(Op(name, activations(op.InputsAsNumpy()), activations(op.OutputsAsNumpy())))
    tensor_types = {i: types.get(sub.Tensors(i).Type(), "?") for i in range(sub.TensorsLength())}
    return Graph(tuple(ops), tensor_types, tuple(int(i) for i in sub.InputsAsNumpy()),
                 tuple(int(i) for i in sub.OutputsAsNumpy()))


def float_ops_inside(graph: Graph) -> list[str]:
    """Ops that compute in float away from the graph's edges (empty for an integer graph).

    Allowed float: the input edge (CASTs from a graph input, QUANTIZE of such a tensor) and the
    output edge (DEQUANTIZE or CAST into a graph output). Integer requantizations anywhere are fine.
    """
    edge = set(graph.inputs)
    inside = []
    for op in graph.ops:
        floats_in = [t for t in op.inputs if graph.tensor_types[t] in _FLOAT_TYPES]
        floats_out = [t for t in op.outputs if graph.tensor_types[t] in _FLOAT_TYPES]
        if not floats_in and not floats_out:
            continue
        from_input = all(t in edge for t in op.inputs)
        if op.name == "CAST" and from_input:
            edge.update(op.outputs)
        elif op.name == "QUANTIZE" and from_input and not floats_out:
            continue
        elif op.name in ("DEQUANTIZE", "CAST") and set(op.outputs) <= set(graph.outputs):
            continue
        else:
            inside.append(op.name)
    return [f"{name} x{count}" for name, count in Counter(inside).items()]


# ---- convert, write, check -------------------------------------------------------------------

@dataclass
class ConversionReport:
    """What :func:`write_tflite` produced and measured."""

    path: Path
    precision: str
    size_bytes: int
    ops: dict[str, int]
    metadata: dict
    seconds: float
    check_images: int = 0
    pixel_agreement: float | None = None     # class maps of the file vs the Keras model
    max_logit_diff: float | None = None      # logits files only
    miou: dict[str, float] = field(default_factory=dict)   # "keras" / "litert" → mIoU (0..1)

    def lines(self) -> list[str]:
        """The report, in lines for a terminal."""
        meta = self.metadata
        out = [f"wrote {self.path} ({self.size_bytes / 2**20:.2f} MiB, {self.precision}, "
               f"{meta['input']['height']}x{meta['input']['width']} {meta['input']['dtype']} in, "
               f"{meta['output']['kind']} {meta['output']['dtype']} out) in {self.seconds:.1f} s",
               "ops: " + ", ".join(f"{name} x{n}" for name, n in self.ops.items())]
        if self.pixel_agreement is not None:
            diff = "" if self.max_logit_diff is None else f", max logit difference {self.max_logit_diff:.4g}"
            out.append(f"LiteRT vs Keras on {self.check_images} images: class-map pixel agreement "
                       f"{100 * self.pixel_agreement:.3f} %{diff}")
        if self.miou:
            out.append("mIoU: " + ", ".join(f"{k} {100 * v:.2f} %" for k, v in self.miou.items())
                       + (f" (change {100 * (self.miou['litert'] - self.miou['keras']):+.2f} points)"
                          if len(self.miou) == 2 else ""))
        return out


def fixed_size_model(model: Any, input_size: tuple[int, int]) -> Any:
    """``model``'s inference graph on a ``[1, H, W, 3]`` input, so that the evaluator feeds the
    Keras model exactly the size it feeds the ``.tflite`` file."""
    from stdc_tf.models import inference_model
    from stdc_tf.models.layers import keras_module_of

    net = inference_model(model)
    k = keras_module_of(net)
    image = k.Input((*input_size, 3), batch_size=1, name="image")
    return k.Model(image, net(image), name=net.name)


def compare_on_images(path: Path, model: Any, images: np.ndarray,
                      num_threads: int | None = None) -> tuple[float, float | None]:
    """(class-map pixel agreement, max logit difference or ``None``) of the file vs ``model``."""
    from stdc_tf.runtime import KerasPredictor, LiteRTPredictor

    with _quiet_stderr():   # LiteRT's "Created TensorFlow Lite XNNPACK delegate" line
        litert = LiteRTPredictor(path, num_threads)
    keras_logits = KerasPredictor(fixed_size_model(model, images.shape[1:3])).predict(images)
    out = litert.predict(images)
    keras_classes = np.argmax(keras_logits, axis=-1)
    if litert.output_kind == "classes":
        return float(np.mean(out == keras_classes)), None
    return float(np.mean(np.argmax(out, -1) == keras_classes)), float(np.max(np.abs(out - keras_logits)))


def write_tflite(model: Any, path: str | Path, precision: str = "fp32",
                 input_size: tuple[int, int] = (512, 1024), *, io: str = "uint8",
                 output: str = "classes", calibration: Any = None,
                 calibration_steps: int = DEFAULT_CALIBRATION_STEPS, check: Any = None,
                 check_images: int = 4, evaluation: Any = None, info: DatasetInfo | None = None,
                 require_integer: bool = True, num_threads: int | None = None,
                 progress: bool = True) -> ConversionReport:
    """Convert, write atomically, check on LiteRT; the library behind ``convert/to_tflite.py``.

    ``calibration`` / ``check`` / ``evaluation`` are :class:`~stdc_tf.data.SegDataset` splits:
    int8 calibration images (``calibration_steps`` of them spread over the split; or any iterable
    of uint8 images at ``input_size``, as :func:`convert_tflite` takes them), the images the file is compared
    with the Keras model on (random pixels if ``None``), and the split both are evaluated on with
    :func:`stdc_tf.evaluation.evaluate` (``None``: no evaluation). The file is written under a
    temporary name, loaded and compared there, and renamed only when that worked: a failed or
    interrupted conversion leaves no file. An int8/qat graph with float ops inside is refused
    unless ``require_integer`` is false. ``info`` (default: the calibration/evaluation dataset's,
    else :func:`~stdc_tf.export.metadata.default_dataset_info`) names the classes in the metadata.
    """
    path = Path(path)
    started = time.perf_counter()
    datasets = [d for d in (calibration, evaluation, check) if isinstance(d, SegDataset)]
    info = info or next((d.info for d in datasets), None)
    representative = calibration
    if precision == "int8" and isinstance(calibration, SegDataset):
        representative = calibration_batches(calibration, calibration_steps, input_size)
    log.info("converting to %s %s (%dx%d, %s in, %s out)%s", path, precision, *input_size, io, output,
             f", calibrating on {calibration_steps} images" if precision == "int8" else "")
    flatbuffer = convert_tflite(model, precision, input_size, io=io, output=output,
                                representative=representative, calibration_steps=calibration_steps,
                                metadata=info or "auto", progress=progress, target=str(path))
    graph = read_graph(flatbuffer)
    if precision in QUANTIZED_PRECISIONS:
        inside = float_ops_inside(graph)
        if inside and require_integer:
            raise ExportError(f"{path}: the {precision} graph is not integer inside: float "
                              f"{', '.join(inside)} away from the input/output edges")
        if inside:
            log.warning("%s: float ops inside the %s graph: %s", path, precision, ", ".join(inside))
    images = _check_images(check, input_size, check_images)
    with atomic_output(path) as tmp:
        tmp.write_bytes(flatbuffer)
        agreement, logit_diff = compare_on_images(tmp, model, images, num_threads)
        meta = read_metadata(tmp)
    report = ConversionReport(path, precision, path.stat().st_size, graph.op_counts(), meta,
                              time.perf_counter() - started, len(images), agreement, logit_diff)
    if evaluation is not None:
        report.miou = compare_miou(path, model, input_size, evaluation, num_threads, progress)
    return report


def _check_images(dataset: Any, input_size: tuple[int, int], count: int) -> np.ndarray:
    if dataset is not None:
        return np.concatenate(list(calibration_batches(dataset, count, input_size)))
    log.info("comparing with the Keras model on %d random images (no dataset given)", count)
    return random_batch(count, input_size)


def compare_miou(path: Path, model: Any, input_size: tuple[int, int], dataset: Any,
                 num_threads: int | None = None, progress: bool = True) -> dict[str, float]:
    """mIoU of the Keras model and of the file, same protocol, same input size."""
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.runtime import LiteRTPredictor, load_predictor

    keras = evaluate(load_predictor(fixed_size_model(model, input_size)), dataset, progress=progress)
    with _quiet_stderr():
        predictor = LiteRTPredictor(path, num_threads)
    litert = evaluate(predictor, dataset, progress=progress)
    return {"keras": keras.summary["mIoU"], "litert": litert.summary["mIoU"]}


def load_model_for(precision: str, path: str | Path) -> Any:
    """The model a precision converts: a Keras 3 ``.keras`` file, or for ``qat`` the tfmot
    ``tf_keras`` ``.h5`` that QAT training writes (:func:`stdc_tf.quantization.qat.load_qat`)."""
    if precision != "qat":
        from stdc_tf.models.io import load_keras

        return load_keras(path)
    from stdc_tf.quantization.qat import load_qat

    return load_qat(path)
