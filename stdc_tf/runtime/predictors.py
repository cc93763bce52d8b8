"""One interface over every runtime a model can be deployed on.

A :class:`Predictor` takes a batch of RGB images (``uint8``, or ``float32`` holding 0–255 values so
that an evaluator can resize in float as the reference does) at the model's input size and
returns either logits ``float32 [N, H, W, C]`` or a class map ``int32 [N, H, W]``. It prepares the
input the way the model wants it, decided from the model's own input tensor:

* float input: ImageNet normalization (:func:`stdc_tf.models.preprocessing.normalize`), the
  input every STDC model of this toolkit takes;
* quantized integer input (LiteRT ``uint8``/``int8`` with a scale): normalize, then quantize with
  the tensor's own scale and zero point;
* integer input without quantization parameters: raw pixels (normalization is inside the model).

Integer outputs with quantization parameters are dequantized logits; integer outputs without
them, or outputs without a channel axis, are class maps.

Runtimes are found through a registry (:func:`register_predictor`), so optional ones (TF-TRT,
TensorRT engines) can be added by the modules that need them; :func:`load_predictor` picks the
implementation from the file. Heavy runtimes are imported only when a model needs them.
"""
from __future__ import annotations

import abc
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.errors import StdcError, first_line

OUTPUT_KINDS = ("logits", "classes")


class ModelLoadError(StdcError, ValueError):
    """A model is missing, of a kind no registered runtime reads, or unreadable."""


@dataclass(frozen=True)
class ModelIO:
    """What a predictor must know to feed a model and read its answer.

    ``height``/``width``/``batch`` are ``None`` where the model accepts any value;
    quantization is ``(scale, zero_point)`` or ``None``; ``channels_first`` is for NCHW models
    (ONNX exported from PyTorch), which get transposed inputs and outputs.
    """

    height: int | None
    width: int | None
    batch: int | None
    input_dtype: np.dtype
    output_kind: str
    input_quantization: tuple[float, int] | None = None
    output_quantization: tuple[float, int] | None = None
    channels_first: bool = False

    @property
    def preprocessing(self) -> str:
        """How uint8 RGB becomes the model's input, in words (reported with the results)."""
        if self.input_quantization is not None:
            scale, zero_point = self.input_quantization
            return (f"imagenet normalization, quantized to {np.dtype(self.input_dtype).name} "
                    f"(scale {scale:.6g}, zero point {zero_point})")
        if np.issubdtype(self.input_dtype, np.floating):
            return "imagenet normalization"
        return f"none (raw {np.dtype(self.input_dtype).name} pixels)"


def infer_output_kind(shape: tuple, dtype: np.dtype, quantized: bool) -> str:
    """``classes`` for outputs without a channel axis or unquantized integers, else ``logits``."""
    return "classes" if len(shape) == 3 or (np.issubdtype(dtype, np.integer) and not quantized) \
        else "logits"


def _quantization(params: tuple[float, int]) -> tuple[float, int] | None:
    """LiteRT's ``(scale, zero_point)``, with scale 0 meaning "not quantized"."""
    scale, zero_point = params
    return (float(scale), int(zero_point)) if scale else None


class Predictor(abc.ABC):
    """Runs one model on batches of RGB images; subclasses set ``io`` and implement ``run_prepared``."""

    runtime: str = ""
    path: Path | None = None
    io: ModelIO

    @abc.abstractmethod
    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        """Run the model on an input already prepared for it; return its raw output."""

    @property
    def input_size(self) -> tuple[int, int] | None:
        """The fixed ``(height, width)`` the model takes, or ``None`` if it takes any size."""
        if self.io.height is None or self.io.width is None:
            return None
        return self.io.height, self.io.width

    @property
    def output_kind(self) -> str:
        return self.io.output_kind

    def describe(self) -> dict[str, Any]:
        """The artifact and how it is run, for reports."""
        return {"path": str(self.path) if self.path else None,
                "size_bytes": _size_bytes(self.path) if self.path else None,
                "runtime": self.runtime,
                "input_size": list(self.input_size) if self.input_size else None,
                "preprocessing": self.io.preprocessing,
                "output_kind": self.output_kind}

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Logits ``float32 [N, H, W, C]`` or a class map ``int32 [N, H, W]`` for ``images``.

        A model with a fixed batch size gets the images in chunks of that size, the last one
        padded by repeating its final image.
        """
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"{self._name()}: expected RGB images [N, H, W, 3], got shape "
                             f"{images.shape}")
        size = self.input_size
        if size is not None and images.shape[1:3] != size:
            raise ValueError(f"{self._name()} takes {size[0]}x{size[1]} (HxW) images, got "
                             f"{images.shape[1]}x{images.shape[2]}")
        step = self.io.batch or len(images)
        outputs = []
        for start in range(0, len(images), step):
            chunk = images[start:start + step]
            pad = step - len(chunk)
            if pad:
                chunk = np.concatenate([chunk, np.repeat(chunk[-1:], pad, axis=0)])
            outputs.append(self.finish_output(self.run_prepared(self.prepare_input(chunk)))[:step - pad])
        return np.concatenate(outputs)

    def prepare_input(self, images: np.ndarray) -> np.ndarray:
        """RGB images → the model's input tensor (normalized, quantized or raw; NCHW if asked).

        Public with :meth:`run_prepared` and :meth:`finish_output` so that a profiler can time
        the model call apart from the pre- and post-processing."""
        from stdc_tf.models.preprocessing import normalize

        io = self.io
        if np.issubdtype(io.input_dtype, np.floating):
            x = normalize(images).astype(io.input_dtype)
        elif io.input_quantization is not None:
            scale, zero_point = io.input_quantization
            limits = np.iinfo(io.input_dtype)
            x = np.clip(np.round(normalize(images) / scale + zero_point), limits.min, limits.max)
            x = x.astype(io.input_dtype)
        else:
            x = np.clip(np.round(images), 0, 255).astype(io.input_dtype)
        return x.transpose(0, 3, 1, 2) if io.channels_first else x

    def finish_output(self, out: np.ndarray) -> np.ndarray:
        """The model's raw output → float logits NHWC or an int32 class map."""
        out = np.asarray(out)
        if self.io.channels_first and out.ndim == 4:
            out = out.transpose(0, 2, 3, 1)
        if self.io.output_quantization is not None:
            scale, zero_point = self.io.output_quantization
            out = (out.astype(np.float32) - zero_point) * scale
        if self.output_kind == "classes":
            return (out[..., 0] if out.ndim == 4 else out).astype(np.int32)
        return out.astype(np.float32)

    def _name(self) -> str:
        return f"{self.runtime} model {self.path}" if self.path else f"{self.runtime} model"


def _size_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def _np_dtype(dtype: Any) -> np.dtype:
    """A numpy dtype from a Keras 3 dtype name or a ``tf.DType`` (SavedModel, tf_keras)."""
    return np.dtype(getattr(dtype, "as_numpy_dtype", dtype))


def _image_dims(shape: Any, name: str, channels_first: bool = False) -> tuple[int | None, ...]:
    """(batch, height, width) of an RGB image input; ``None`` for each dynamic dimension,
    whichever way the runtime spells it (None, -1, a symbolic name)."""
    dims = [d if isinstance(d, int) and d > 0 else None for d in shape]
    channels = dims[1] if channels_first else dims[-1]
    if len(dims) != 4 or channels not in (3, None):
        layout = "[N, 3, H, W]" if channels_first else "[N, H, W, 3]"
        raise ModelLoadError(f"{name} takes input of shape {list(shape)}; expected RGB images {layout}")
    return (dims[0], dims[2], dims[3]) if channels_first else tuple(dims[:3])


class KerasPredictor(Predictor):
    """A Keras model in memory or a ``.keras`` file; a training graph runs its main head only."""

    runtime = "keras"

    def __init__(self, model: Any, path: Path | None = None):
        import tensorflow as tf

        from stdc_tf.models import inference_model

        model = inference_model(model)
        self.model, self.path = model, path
        batch, height, width = _image_dims(model.inputs[0].shape, self._name())
        self.io = ModelIO(height, width, batch, _np_dtype(model.inputs[0].dtype),
                          infer_output_kind(tuple(model.outputs[0].shape),
                                            _np_dtype(model.outputs[0].dtype), False))
        self._fn = tf.function(lambda x: model(x, training=False))   # one trace per input shape

    @classmethod
    def load(cls, path: Path) -> KerasPredictor:
        from stdc_tf.models.io import load_keras

        return cls(load_keras(path), path)

    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        return self._fn(x).numpy()

    def tensor_function(self):
        """The traced call on a prepared tensor, output left on the device (for timing)."""
        return self._fn


class SavedModelPredictor(Predictor):
    """A SavedModel directory, run through its ``serving_default`` signature."""

    runtime = "saved_model"

    def __init__(self, path: Path):
        import tensorflow as tf

        self.path = path
        self._loaded = tf.saved_model.load(str(path))   # keeps the signature's variables alive
        if "serving_default" not in self._loaded.signatures:
            raise ModelLoadError(f"SavedModel {path} has no 'serving_default' signature "
                                 f"(it has: {', '.join(self._loaded.signatures) or 'none'})")
        self._fn = self._loaded.signatures["serving_default"]
        inputs = self._fn.structured_input_signature[1]
        outputs = self._fn.structured_outputs
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelLoadError(f"SavedModel {path}: serving_default must take one image tensor "
                                 f"and return one tensor; it takes {sorted(inputs)} and returns "
                                 f"{sorted(outputs)}")
        (self._input_name, spec), = inputs.items()
        (self._output_name, out_spec), = outputs.items()
        batch, height, width = _image_dims(spec.shape, self._name())
        self.io = ModelIO(height, width, batch, _np_dtype(spec.dtype),
                          infer_output_kind(tuple(out_spec.shape), _np_dtype(out_spec.dtype), False))

    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        return self._fn(**{self._input_name: x})[self._output_name].numpy()

    def tensor_function(self):
        """The signature's call on a prepared tensor, outputs left on the device (for timing)."""
        return lambda t: self._fn(**{self._input_name: t})


def _litert_interpreter_class() -> type:
    """``ai_edge_litert``, else the legacy ``tflite_runtime``, else ``tf.lite`` (deprecated)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError:
            import tensorflow as tf
            Interpreter = tf.lite.Interpreter
    return Interpreter


class LiteRTPredictor(Predictor):
    """A ``.tflite`` file on the LiteRT interpreter (XNNPACK on CPU, every core).

    Models with dynamic spatial or batch dimensions are resized to each input's shape.
    """

    runtime = "litert"

    def __init__(self, path: Path, num_threads: int | None = None):
        self.path = path
        self._interpreter = _litert_interpreter_class()(
            model_path=str(path), num_threads=num_threads or os.cpu_count() or 1)
        self._interpreter.allocate_tensors()
        inputs, outputs = self._interpreter.get_input_details(), self._interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelLoadError(f"LiteRT model {path} has {len(inputs)} inputs and {len(outputs)} "
                                 f"outputs; expected one image input and one output")
        self._input, self._output = inputs[0], outputs[0]
        batch, height, width = _image_dims([int(d) for d in self._input["shape_signature"]],
                                           self._name())
        out_quant = _quantization(self._output["quantization"])
        self.io = ModelIO(height, width, batch, np.dtype(self._input["dtype"]),
                          infer_output_kind(tuple(self._output["shape"]),
                                            np.dtype(self._output["dtype"]), out_quant is not None),
                          _quantization(self._input["quantization"]), out_quant)

    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        interpreter, index = self._interpreter, self._input["index"]
        if tuple(interpreter.get_input_details()[0]["shape"]) != x.shape:
            interpreter.resize_tensor_input(index, x.shape, strict=True)
            interpreter.allocate_tensors()
        interpreter.set_tensor(index, x)
        interpreter.invoke()
        return interpreter.get_tensor(self._output["index"])


_ONNX_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
               "tensor(uint8)": np.uint8, "tensor(int8)": np.int8,
               "tensor(int32)": np.int32, "tensor(int64)": np.int64}


class OnnxPredictor(Predictor):
    """An ``.onnx`` file on onnxruntime (the best available execution provider).

    NHWC models (tf2onnx's default) run as they are; NCHW models (3 channels on axis 1) get
    transposed inputs and outputs.
    """

    runtime = "onnxruntime"

    def __init__(self, path: Path):
        import onnxruntime as ort

        self.path = path
        self._session = ort.InferenceSession(str(path), providers=ort.get_available_providers())
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelLoadError(f"ONNX model {path} has {len(inputs)} inputs and {len(outputs)} "
                                 f"outputs; expected one image input and one output")
        self._input_name = inputs[0].name
        shape = list(inputs[0].shape)
        channels_first = len(shape) == 4 and shape[1] == 3 and shape[3] != 3
        batch, height, width = _image_dims(shape, self._name(), channels_first)
        self.io = ModelIO(height, width, batch, np.dtype(_onnx_type(inputs[0].type, path)),
                          infer_output_kind(tuple(outputs[0].shape),
                                            np.dtype(_onnx_type(outputs[0].type, path)), False),
                          channels_first=channels_first)

    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input_name: x})[0]


def _onnx_type(onnx_type: str, path: Path) -> type:
    if onnx_type not in _ONNX_TYPES:
        raise ModelLoadError(f"ONNX model {path}: tensor type {onnx_type} is not supported "
                             f"(supported: {', '.join(_ONNX_TYPES)})")
    return _ONNX_TYPES[onnx_type]


@dataclass(frozen=True)
class PredictorKind:
    """A runtime in the registry: which files it claims and how it loads them."""

    name: str
    description: str                       # e.g. ".tflite file (LiteRT)", shown in errors
    matches: Callable[[Path], bool]
    load: Callable[[Path], Predictor]


_REGISTRY: dict[str, PredictorKind] = {}


def register_predictor(name: str, description: str, matches: Callable[[Path], bool],
                       load: Callable[[Path], Predictor]) -> None:
    """Add a runtime (or replace the one called ``name``).

    Kinds registered later are tried first, so a specialised kind (a TF-TRT SavedModel is also
    a SavedModel directory) claims its files before the general one.
    """
    _REGISTRY.pop(name, None)
    _REGISTRY[name] = PredictorKind(name, description, matches, load)


def predictor_kinds() -> list[PredictorKind]:
    """The registered runtimes, in the order :func:`load_predictor` tries them."""
    return list(reversed(_REGISTRY.values()))


def load_predictor(source: str | os.PathLike | Any) -> Predictor:
    """A predictor for a Keras model object or for a model file/folder, chosen from the file.

    A path that no registered runtime claims, or that its runtime cannot read, raises
    :class:`ModelLoadError` with one line naming it and the supported kinds.
    """
    if not isinstance(source, (str, os.PathLike)):
        if not (hasattr(source, "inputs") and hasattr(source, "outputs")):
            raise ModelLoadError(f"cannot evaluate a {type(source).__name__}: pass a Keras model "
                                 f"or the path of a model file")
        return KerasPredictor(source)
    path = Path(source)
    kinds = predictor_kinds()
    supported = "; ".join(k.description for k in kinds)
    if not path.exists():
        raise ModelLoadError(f"model {path} does not exist (supported: {supported})")
    for kind in kinds:
        if kind.matches(path):
            try:
                return kind.load(path)
            except ModelLoadError:   # the runtime's own one line (a missing TensorRT, …)
                raise
            except Exception as e:  # every runtime raises its own types for unreadable files
                reason = (str(e).removeprefix(f"{path}: ").removeprefix(f"{path} ")
                          if isinstance(e, StdcError) else first_line(e))
                raise ModelLoadError(f"cannot read {path} as a {kind.description} "
                                     f"({reason}); supported: {supported}") from e
    raise ModelLoadError(f"{path} is not a model this toolkit can run; supported: {supported}")


register_predictor("keras", ".keras file (Keras)",
                   lambda p: p.is_file() and p.suffix == ".keras", KerasPredictor.load)
register_predictor("saved_model", "SavedModel directory (TensorFlow, serving_default)",
                   lambda p: (p / "saved_model.pb").is_file(), SavedModelPredictor)
register_predictor("litert", ".tflite file (LiteRT)",
                   lambda p: p.is_file() and p.suffix == ".tflite", LiteRTPredictor)
register_predictor("onnx", ".onnx file (onnxruntime)",
                   lambda p: p.is_file() and p.suffix == ".onnx", OnnxPredictor)
