"""The :class:`Predictor` contract every runtime implements (the registry that picks one is
:mod:`stdc_tf.runtime.registry`, above every runtime).

A Predictor takes a batch of RGB images (``uint8``, or ``float32`` holding 0–255 values so that
an evaluator can resize in float as the reference does) at the model's input size and returns
either logits ``float32 [N, H, W, C]`` or a class map ``int32 [N, H, W]``. It prepares the input
the way the model wants it, decided from the model's own input tensor:

* float input: ImageNet normalization (:func:`stdc_tf.models.preprocessing.normalize`), the
  input every STDC model of this toolkit takes;
* quantized integer input (LiteRT ``uint8``/``int8`` with a scale): normalize, then quantize with
  the tensor's own scale and zero point;
* integer input without quantization parameters: raw pixels (normalization is inside the model).

Integer outputs with quantization parameters are dequantized logits; integer outputs without
them, or outputs without a channel axis, are class maps.

Everything its users read is declared here, so the evaluator and the profilers never branch on
a file format or probe for attributes: ``io`` (the input spec), ``prepare_input`` /
``run_prepared`` / ``finish_output`` (so a profiler can time the model call alone), ``device``,
``timer`` and :meth:`Predictor.device_run` (a run whose input already sits where the model
computes), device memory, batch support and :meth:`Predictor.executions` (the ways one artifact
can run, e.g. one per onnxruntime execution provider).
"""
from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.errors import StdcError

OUTPUT_KINDS = ("logits", "classes")
RunFn = Callable[[], "float | None"]   # returns None (time it with the host clock) or device ms


class ModelLoadError(StdcError, ValueError):
    """A model is missing, of a kind no registered runtime reads, or unreadable."""


class RuntimeUnavailable(ModelLoadError):
    """The runtime, accelerator or execution provider a model asks for is not on this machine."""


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


class Predictor(abc.ABC):
    """Runs one model on batches of RGB images; subclasses set ``io`` and implement ``run_prepared``."""

    runtime: str = ""
    path: Path | None = None
    io: ModelIO
    device: str = "cpu"            # where the model computes: "cpu", "gpu" (an NPU runtime: "npu")
    timer: str = "host clock"      # how the time of a device_run call is read
    notes: tuple[str, ...] = ()    # what a reader of its timings should know (engine built lazily…)

    @abc.abstractmethod
    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        """Run the model on an input already prepared for it; return its raw output."""

    # ---- what the model takes and gives ----

    @property
    def input_size(self) -> tuple[int, int] | None:
        """The fixed ``(height, width)`` the model takes, or ``None`` if it takes any size."""
        if self.io.height is None or self.io.width is None:
            return None
        return self.io.height, self.io.width

    @property
    def output_kind(self) -> str:
        return self.io.output_kind

    def takes_batch(self, batch: int) -> bool:
        """Whether one call can take ``batch`` images (a fixed-batch model takes only its own)."""
        return self.io.batch is None or batch == self.io.batch

    # ---- how it runs (for reports and profilers) ----

    @property
    def name(self) -> str:
        """The runtime and the options it runs with, e.g. ``litert interpreter xnnpack threads=1``."""
        return self.runtime

    def options(self) -> dict[str, Any]:
        """The runtime options as a record (``{"runtime": …, "threads": …}``)."""
        return {"runtime": self.runtime}

    def describe(self) -> dict[str, Any]:
        """The artifact and how it is run, for reports."""
        return {"path": str(self.path) if self.path else None,
                "size_bytes": size_bytes(self.path) if self.path else None,
                "runtime": self.runtime,
                "input_size": list(self.input_size) if self.input_size else None,
                "preprocessing": self.io.preprocessing,
                "output_kind": self.output_kind}

    def executions(self, providers: Sequence[str] = ()) -> list[Predictor | tuple[str, str]]:
        """The ways this artifact can be run here, for a profiler: ``[self]``; a runtime with
        several back ends (onnxruntime's execution providers, named in ``providers``) gives one
        predictor per back end, or ``(name, reason)`` for one that cannot start."""
        return [self]

    def device_run(self, x: np.ndarray) -> RunFn:
        """A call that runs the model on ``x`` (prepared) already placed where the model computes,
        leaving the output there; it waits for the device and returns ``None`` (read the host
        clock) or the device's own milliseconds. Raises ``NotImplementedError`` (with the reason)
        for a runtime that cannot keep its input in place."""
        raise NotImplementedError(f"the {self.runtime} predictor offers no device-resident run")

    def reset_device_memory(self) -> None:
        """Start a new peak for :meth:`device_memory_mb` (nothing to do on the CPU)."""
        return None

    def device_memory_mb(self) -> float | None:
        """Accelerator memory the model holds (peak since the last reset where the runtime
        tracks one); ``None`` on the CPU or where it cannot be read."""
        return None

    # ---- running ----

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Logits ``float32 [N, H, W, C]`` or a class map ``int32 [N, H, W]`` for ``images``.

        A model with a fixed batch size gets the images in chunks of that size, the last one
        padded by repeating its final image.
        """
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"{self._label()}: expected RGB images [N, H, W, 3], got shape "
                             f"{images.shape}")
        size = self.input_size
        if size is not None and images.shape[1:3] != size:
            raise ValueError(f"{self._label()} takes {size[0]}x{size[1]} (HxW) images, got "
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
        """RGB images → the model's input tensor (normalized, quantized or raw; NCHW if asked)."""
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

    def _label(self) -> str:
        return f"{self.runtime} model {self.path}" if self.path else f"{self.runtime} model"


def size_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (SavedModels)."""
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def image_dims(shape: Any, name: str, channels_first: bool = False) -> tuple[int | None, ...]:
    """(batch, height, width) of an RGB image input; ``None`` for each dynamic dimension,
    whichever way the runtime spells it (None, -1, a symbolic name)."""
    dims = [d if isinstance(d, int) and d > 0 else None for d in shape]
    channels = dims[1] if channels_first else dims[-1]
    if len(dims) != 4 or channels not in (3, None):
        layout = "[N, 3, H, W]" if channels_first else "[N, H, W, 3]"
        raise ModelLoadError(f"{name} takes input of shape {list(shape)}; expected RGB images {layout}")
    return (dims[0], dims[2], dims[3]) if channels_first else tuple(dims[:3])


# ---- the registry ----
