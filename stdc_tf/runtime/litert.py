"""LiteRT (``.tflite``): the Interpreter API (XNNPACK on or off) and the CompiledModel API (CPU, GPU).

One :class:`LiteRTPredictor` serves every way a ``.tflite`` file is run on a host, chosen by
options, so the evaluator, the host edge profiler and the conversions' checks open files the
same way:

* ``api="interpreter"`` (default): ``accelerator="xnnpack"`` (LiteRT's default CPU delegate) or
  ``"none"`` (builtin reference kernels only); ``threads`` (default: every core);
* ``api="compiled_model"``: ``accelerator="cpu"`` (XNNPACK) or ``"gpu"`` (GPU with CPU fallback for
  the ops it does not take; :attr:`LiteRTPredictor.fully_accelerated` says whether it took all).

The interpreter comes from ``ai_edge_litert``, else the legacy ``tflite_runtime``, else ``tf.lite``
(deprecated) for older devices. Models with dynamic spatial or batch dimensions are resized to
each input's shape.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.runtime.base import (
    ModelIO,
    ModelLoadError,
    Predictor,
    RunFn,
    RuntimeUnavailable,
    image_dims,
    infer_output_kind,
)
from stdc_tf.runtime.flatbuffer import tensor_details

APIS = {"interpreter": ("xnnpack", "none"), "compiled_model": ("cpu", "gpu")}


def _interpreter_module() -> tuple[Any, Any]:
    """(Interpreter, OpResolverType) of ``ai_edge_litert``, ``tflite_runtime`` or ``tf.lite``."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter, OpResolverType
        except ImportError:
            import tensorflow as tf
            Interpreter, OpResolverType = tf.lite.Interpreter, tf.lite.experimental.OpResolverType
    return Interpreter, OpResolverType


def _quantization(params: tuple[float, int]) -> tuple[float, int] | None:
    """LiteRT's ``(scale, zero_point)``, with scale 0 meaning "not quantized"."""
    scale, zero_point = params
    return (float(scale), int(zero_point)) if scale else None


_NATIVE_ERROR = re.compile(r"^(?:\W\s*)?ERROR:\s*(?:\[[^\]]*\]\s*)?(\S.*)$")


def native_reason(lines: list[str]) -> str | None:
    """LiteRT's own explanation of a failure: its first line that starts with ``ERROR:`` (not a
    warning that quotes one, such as a vendor plugin that failed to load), without the source
    location."""
    return next((m.group(1).strip() for m in map(_NATIVE_ERROR.match, lines) if m), None)


def _quietly(call: Callable[[], Any]) -> Any:
    """``call()`` with LiteRT's INFO lines ("Created TensorFlow Lite XNNPACK delegate for CPU",
    the CompiledModel's "Creating LiteRT environment" and accelerator registry) kept off the
    terminal unless the toolkit logs at debug level (``-v``); a failure carries LiteRT's own
    ERROR line when it wrote one."""
    from stdc_tf.native import native_stderr

    error = None
    with native_stderr() as native:
        try:
            result = call()
        except (RuntimeError, ValueError) as e:   # LiteRT's types for unreadable/unsupported models
            error = e
    if error is not None:
        raise type(error)(native_reason(native.lines) or str(error)) from error
    return result


class LiteRTPredictor(Predictor):
    """A ``.tflite`` file on LiteRT, through the API and accelerator the options name."""

    runtime = "litert"

    def __init__(self, path: Path, threads: int | None = None, accelerator: str | None = None,
                 api: str = "interpreter"):
        if api not in APIS:
            raise ModelLoadError(f"unknown LiteRT api {api!r}; valid: {', '.join(APIS)}")
        accelerator = accelerator or APIS[api][0]
        if accelerator not in APIS[api]:
            raise ModelLoadError(f"LiteRT {api} has no accelerator {accelerator!r}; valid: "
                                 f"{', '.join(APIS[api])}")
        self.path, self.api, self.accelerator = path, api, accelerator
        self.threads = None if accelerator == "gpu" else (threads or os.cpu_count() or 1)
        self.device = "gpu" if accelerator == "gpu" else "cpu"
        if api == "compiled_model":   # its API has no quantization parameters: the file has them
            self._interpreter, self._compiled = None, _Compiled(path, accelerator, self.threads)
            inputs, outputs = tensor_details(path)
        else:
            Interpreter, OpResolverType = _interpreter_module()
            resolver = OpResolverType.AUTO if accelerator == "xnnpack" \
                else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
            self._interpreter = _quietly(lambda: Interpreter(model_path=str(path), num_threads=self.threads or 1,
                                                             experimental_op_resolver_type=resolver))
            self._compiled = None
            inputs, outputs = self._interpreter.get_input_details(), self._interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelLoadError(f"LiteRT model {path} has {len(inputs)} inputs and {len(outputs)} "
                                 f"outputs; expected one image input and one output")
        self._input, self._output = inputs[0], outputs[0]
        batch, height, width = image_dims([int(d) for d in self._input["shape_signature"]],
                                          self._label())
        out_quant = _quantization(self._output["quantization"])
        self.io = ModelIO(height, width, batch, np.dtype(self._input["dtype"]),
                          infer_output_kind(tuple(self._output["shape"]),
                                            np.dtype(self._output["dtype"]), out_quant is not None),
                          _quantization(self._input["quantization"]), out_quant)
        if self._interpreter is not None:
            _quietly(self._interpreter.allocate_tensors)

    @property
    def name(self) -> str:
        threads = "" if self.threads is None else f" threads={self.threads}"
        return f"{self.api} {self.accelerator}{threads}"

    def options(self) -> dict[str, Any]:
        return {"runtime": self.runtime, "api": self.api, "accelerator": self.accelerator,
                "threads": self.threads}

    @property
    def fully_accelerated(self) -> bool | None:
        """CompiledModel: whether the accelerator took the whole graph; ``None`` for the interpreter."""
        return None if self._compiled is None else self._compiled.model.is_fully_accelerated()

    def _set_input(self, x: np.ndarray) -> None:
        if self._compiled is not None:
            self._compiled.set_input(x)
            return
        interpreter, index = self._interpreter, self._input["index"]
        if tuple(interpreter.get_input_details()[0]["shape"]) != x.shape:
            interpreter.resize_tensor_input(index, x.shape, strict=True)
            interpreter.allocate_tensors()
        interpreter.set_tensor(index, x)

    def _invoke(self) -> None:
        if self._compiled is not None:
            self._compiled.run()
        else:
            self._interpreter.invoke()

    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        self._set_input(x)
        self._invoke()
        if self._compiled is not None:
            return self._compiled.output(np.dtype(self._output["dtype"]))
        return self._interpreter.get_tensor(self._output["index"])

    def device_run(self, x: np.ndarray) -> RunFn:
        """The input written into the runtime's input tensor once; the call is ``invoke`` alone."""
        self._set_input(x)
        return self._invoke

    def delegation(self) -> dict | None:
        """Which of the model's ops the XNNPACK delegate took (interpreter with XNNPACK only).

        With the default resolver every delegate partition is a ``DELEGATE`` node whose inputs and
        outputs bound a connected set of the original ops; walking back from its outputs to its
        inputs finds them. The ops left over run on LiteRT's builtin CPU kernels.
        """
        if self._compiled is not None or self.accelerator != "xnnpack":
            return None
        ops = self._interpreter._get_ops_details()
        original = {o["index"]: o for o in ops if o["op_name"] != "DELEGATE"}
        producer = {int(t): i for i, o in original.items() for t in o["outputs"]}
        taken: set[int] = set()
        partitions = [o for o in ops if o["op_name"] == "DELEGATE"]
        for node in partitions:
            bounds = {int(t) for t in node["inputs"]}
            stack = [int(t) for t in node["outputs"]]
            while stack:
                tensor = stack.pop()
                op = producer.get(tensor)
                if tensor in bounds or op is None or op in taken:
                    continue
                taken.add(op)
                stack += [int(t) for t in original[op]["inputs"]]
        left = Counter(o["op_name"] for i, o in original.items() if i not in taken)
        return {"delegate": "xnnpack", "nodes_delegated": len(taken), "nodes_total": len(original),
                "partitions": len(partitions), "applied": bool(partitions),
                "unsupported_ops": [f"{name} x{n}" for name, n in sorted(left.items())]}

    def close(self) -> None:
        """Release the runtime now (LiteRT's CompiledModel holds native buffers and an environment)."""
        if self._compiled is not None:
            self._compiled.close()
            self._compiled = None
        self._interpreter = None


class _Compiled:
    """LiteRT's CompiledModel on the CPU or the GPU (with CPU fallback), with its own buffers."""

    def __init__(self, path: Path, accelerator: str, threads: int | None):
        try:
            from ai_edge_litert.compiled_model import CompiledModel
            from ai_edge_litert.hardware_accelerator import HardwareAccelerator
            from ai_edge_litert.options import CpuOptions, Options
        except ImportError as e:
            raise RuntimeUnavailable(f"LiteRT's CompiledModel API needs ai_edge_litert "
                                     f"({e.name} is missing)") from e
        accelerators = HardwareAccelerator.CPU if accelerator == "cpu" \
            else HardwareAccelerator.GPU | HardwareAccelerator.CPU
        options = Options(hardware_accelerators=accelerators,
                          cpu_options=CpuOptions(num_threads=threads or 0))
        self.model = _quietly(lambda: CompiledModel.from_file(str(path), options=options))
        self._signature = next(iter(self.model.get_signature_list()))
        self._shape: tuple[int, ...] | None = None

    def set_input(self, x: np.ndarray) -> None:
        if x.shape == self._shape:
            self.inputs[0].write(x)
        else:   # the first write starts LiteRT's environment and accelerators, which log
            _quietly(lambda: self._first_input(x))

    def _first_input(self, x: np.ndarray) -> None:
        declared = list(self.model.get_input_tensor_details(self._signature).values())[0]["shape"]
        if tuple(declared) != x.shape:
            self.model.resize_input_tensor(0, x.shape, strict=False)
        self.inputs = self.model.create_input_buffers(0)
        self.outputs = self.model.create_output_buffers(0)
        self.inputs[0].write(x)
        self._shape = x.shape

    def run(self) -> None:
        self.model.run_by_index(0, self.inputs, self.outputs)

    def output(self, dtype: np.dtype) -> np.ndarray:
        shape = tuple(list(self.model.get_output_tensor_details(self._signature).values())[0]["shape"])
        return self.outputs[0].read(int(np.prod(shape)), dtype).reshape(shape)

    def close(self) -> None:
        """Free the model, then its environment (which logs every accelerator it destroys)."""
        environment = self.model.environment
        self.inputs = self.outputs = None
        self.model.close()
        _quietly(environment.close)
