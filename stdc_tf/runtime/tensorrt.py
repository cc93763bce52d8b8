"""NVIDIA TensorRT artifacts as predictors: TF-TRT SavedModels and serialized TensorRT engines.

Both need a stack that most machines lack, so each is probed before use and a missing piece is
reported in one line that names it and the way out, instead of a crash deep in a native library:

* TF-TRT needs a TensorFlow *built* with TensorRT (the last is TF 2.17; TF >= 2.18 wheels are
  built without it and the converter raises), TensorRT 8.6 libraries it can load, and a GPU;
* an engine (``.plan``/``.engine``) needs the ``tensorrt`` package of the version that built it,
  ``cuda-python`` for device memory, and a GPU (engines are GPU- and version-specific).

Engines come with a JSON sidecar (``model.plan.json``, written by
:mod:`stdc_tf.export.tensorrt`) recording the TensorRT version, precision and input size.
"""
from __future__ import annotations

import ctypes
import dataclasses
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.atomic import atomic_output
from stdc_tf.errors import first_line
from stdc_tf.runtime.base import ModelIO, ModelLoadError, Predictor, RunFn, RuntimeUnavailable, infer_output_kind
from stdc_tf.runtime.devices import preload_gpu_libraries, process_gpu_memory_mb
from stdc_tf.runtime.tensorflow import SavedModelPredictor

TFTRT_INSTALL = "the TF-TRT environment (pip install -r requirements-tensorrt.txt)"
ENGINE_INSTALL = ("pip install -r requirements-gpu.txt on a machine with an NVIDIA GPU: tensorrt-cu12 10.x "
                  "(fetched from NVIDIA's index) with cuda-python 12.x")
ENGINE_SUFFIXES = (".plan", ".engine", ".trt")
OUTPUT_NAMES = ("classes", "logits")   # the exporters' output names, in order of preference


class TensorRTUnavailable(RuntimeUnavailable):
    """The TensorRT stack that a model or a conversion needs is missing on this machine."""


def missing_gpu() -> str | None:
    """Why no NVIDIA GPU can be used here, asked of the driver itself; ``None`` if one can."""
    try:
        cuda = ctypes.CDLL("nvcuda.dll" if os.name == "nt" else "libcuda.so.1")
    except OSError:
        return "no NVIDIA GPU driver (libcuda.so.1 not found)"
    status = cuda.cuInit(0)
    if status != 0:
        return f"the NVIDIA driver finds no usable GPU (cuInit error {status})"
    count = ctypes.c_int(0)
    if cuda.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value == 0:
        return "the NVIDIA driver reports no GPU"
    return None


def missing_tftrt() -> str | None:
    """Why TF-TRT cannot run in this process; ``None`` if it can.

    Asks TensorFlow: its build flag, then whether it can load its TensorRT libraries (a dlopen
    check; TensorFlow aborts the process if asked for their version when they are missing), then
    whether it sees a GPU (the converter places the graph on one).
    """
    import tensorflow as tf

    version = tf.__version__
    if not tf.sysconfig.get_build_info().get("is_tensorrt_build", False):
        return f"TensorFlow {version} is built without TensorRT (TF-TRT ended with TF 2.17)"
    try:
        from tensorflow.python.compiler.tensorrt import trt_convert
        preload_gpu_libraries()
        utils = trt_convert._pywrap_py_utils
        if not utils.is_tensorrt_enabled():
            linked = ".".join(map(str, utils.get_linked_tensorrt_version()))
            return (f"TensorFlow {version} cannot load its TensorRT {linked} libraries "
                    f"(libnvinfer not found)")
    except Exception as e:  # a TensorFlow without the TF-TRT module or its bindings
        return f"TensorFlow {version} has no usable TF-TRT ({first_line(e)})"
    if not tf.config.list_physical_devices("GPU"):
        return f"TensorFlow {version} sees no GPU ({missing_gpu() or 'CUDA libraries not found'})"
    return None


def missing_engine_runtime() -> list[str]:
    """What is missing to build or run TensorRT engines here (empty if nothing is)."""
    problems = []
    preload_gpu_libraries()
    try:
        import tensorrt  # noqa: F401
    except ImportError as e:
        problems.append("the tensorrt Python package is not installed" if e.name == "tensorrt"
                        else f"tensorrt does not load ({first_line(e)})")
    except OSError as e:   # the bindings without their libraries
        problems.append(f"tensorrt does not load ({first_line(e)})")
    if importlib.util.find_spec("cuda") is None:
        problems.append("cuda-python is not installed")
    gpu = missing_gpu()
    if gpu:
        problems.append(gpu)
    return problems


def require_engine_runtime(action: str) -> None:
    """Raise :class:`TensorRTUnavailable` naming every missing piece for ``action``."""
    problems = missing_engine_runtime()
    if problems:
        raise TensorRTUnavailable(f"{action} needs TensorRT and an NVIDIA GPU: "
                                  f"{'; '.join(problems)} ({ENGINE_INSTALL})")


# ---- device memory (cuda-python) ----

def cuda_call(result: Any) -> Any:
    """The value of a ``cuda.bindings.runtime`` call, which returns ``(error, *values)``."""
    from cuda.bindings import runtime as cudart

    error, *values = result if isinstance(result, tuple) else (result,)
    if error != cudart.cudaError_t.cudaSuccess:
        raise RuntimeError(f"CUDA error: {cudart.cudaGetErrorString(error)[1].decode()}")
    return values[0] if len(values) == 1 else values or None


class DeviceBuffer:
    """A block of GPU memory that numpy arrays are copied to and from."""

    def __init__(self, nbytes: int):
        from cuda.bindings import runtime as cudart

        self._cudart, self.nbytes = cudart, nbytes
        self.ptr = int(cuda_call(cudart.cudaMalloc(max(nbytes, 1))))

    def upload(self, array: np.ndarray, stream: Any = 0) -> None:
        """Copy a C-contiguous ``array``, which must stay alive until ``stream`` is synchronized."""
        cuda_call(self._cudart.cudaMemcpyAsync(self.ptr, array.ctypes.data, array.nbytes,
                                               self._cudart.cudaMemcpyKind.cudaMemcpyHostToDevice,
                                               stream))

    def download(self, array: np.ndarray, stream: Any = 0) -> np.ndarray:
        cuda_call(self._cudart.cudaMemcpyAsync(array.ctypes.data, self.ptr, array.nbytes,
                                               self._cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost,
                                               stream))
        return array

    def __del__(self):
        if getattr(self, "ptr", None):
            self._cudart.cudaFree(self.ptr)


# ---- predictors ----

def is_tftrt_saved_model(path: Path) -> bool:
    """A SavedModel whose graph holds TensorRT engine ops (what TF-TRT writes)."""
    graph = path / "saved_model.pb"
    return graph.is_file() and b"TRTEngineOp" in graph.read_bytes()


class TFTRTPredictor(SavedModelPredictor):
    """A TF-TRT SavedModel: its ``serving_default`` signature, run by a TensorRT-enabled TF."""

    runtime = "tftrt"

    def __init__(self, path: Path):
        problem = missing_tftrt()
        if problem:
            raise TensorRTUnavailable(f"cannot run TF-TRT SavedModel {path}: {problem}; run it in "
                                      f"{TFTRT_INSTALL} on an NVIDIA GPU")
        super().__init__(path)


@dataclass(frozen=True)
class EngineInfo:
    """What the JSON sidecar next to an engine (``model.plan.json``) records.

    Engines only load on the TensorRT version (and GPU) that built them, and their I/O cannot
    be read without TensorRT, so the predictor, the Triton generator and people read this.
    ``input``/``outputs`` are ``{"name", "dtype" (numpy name), "shape" (-1 = dynamic)}``.
    """

    tensorrt_version: str
    precision: str
    typing: str                        # "strong" or "weak"
    input: dict[str, Any]
    outputs: list[dict[str, Any]]
    input_size: list[int]              # [H, W] built for
    batch_profile: dict[str, int]      # {"min", "opt", "max"}
    num_classes: int | None = None
    explicit_quantization: bool = False
    calibration_images: int = 0
    onnx: str | None = None
    device: str | None = None


def sidecar_path(engine: Path) -> Path:
    return engine.with_name(engine.name + ".json")


def write_sidecar(engine: Path, info: EngineInfo) -> Path:
    with atomic_output(sidecar_path(engine)) as tmp:
        tmp.write_text(json.dumps({"format": "tensorrt_engine", **dataclasses.asdict(info)}, indent=2) + "\n")
    return sidecar_path(engine)


def read_sidecar(engine: Path) -> EngineInfo | None:
    """The sidecar of ``engine``, or ``None`` if it has none."""
    path = sidecar_path(engine)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        data.pop("format", None)
        return EngineInfo(**data)
    except (OSError, ValueError, TypeError) as e:
        raise ModelLoadError(f"engine sidecar {path} is unreadable: {first_line(e)}") from e


class TensorRTPredictor(Predictor):
    """A serialized TensorRT engine, run with explicit device buffers on one CUDA stream.

    Batches larger than the engine's optimization profile allows are run in chunks.
    """

    runtime = "tensorrt"
    device = "gpu"
    timer = "CUDA events around execute_async_v3"

    def __init__(self, path: Path):
        require_engine_runtime(f"TensorRT engine {path}")
        import tensorrt as trt
        from cuda.bindings import runtime as cudart

        self.path, self.info = path, read_sidecar(path)
        built_with = f"built with TensorRT {self.info.tensorrt_version}; " if self.info else ""
        self._runtime = trt.Runtime(trt.Logger(trt.Logger.ERROR))
        self._engine = self._runtime.deserialize_cuda_engine(path.read_bytes())
        if self._engine is None:
            raise ModelLoadError(f"TensorRT {trt.__version__} cannot load engine {path} ({built_with}"
                                 f"engines only load on the TensorRT version and GPU that built them)")
        names = [self._engine.get_tensor_name(i) for i in range(self._engine.num_io_tensors)]
        inputs = [n for n in names if self._engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        outputs = [n for n in names if n not in inputs]
        if len(inputs) != 1 or not outputs:
            raise ModelLoadError(f"TensorRT engine {path} has inputs {inputs} and outputs {outputs}; "
                                 f"expected one image input")
        self._input = inputs[0]
        self._output = next((n for n in OUTPUT_NAMES if n in outputs), outputs[0])
        shape = tuple(self._engine.get_tensor_shape(self._input))
        if len(shape) != 4 or shape[3] not in (3, -1):
            raise ModelLoadError(f"TensorRT engine {path} takes input {list(shape)}; expected RGB "
                                 f"images [N, H, W, 3]")
        # the shapes the engine's one optimization profile takes (min, opt, max)
        self._profile = [tuple(int(d) for d in s) for s in
                         self._engine.get_tensor_profile_shape(self._input, 0)] if -1 in shape \
            else [shape] * 3
        self._max_batch = self._profile[2][0]
        height, width = self._built_size(shape)
        self._outputs = {n: np.dtype(trt.nptype(self._engine.get_tensor_dtype(n))) for n in outputs}
        self.io = ModelIO(height, width, None if shape[0] == -1 else shape[0],
                          np.dtype(trt.nptype(self._engine.get_tensor_dtype(self._input))),
                          infer_output_kind(tuple(self._engine.get_tensor_shape(self._output)),
                                            self._outputs[self._output], False))
        self._context = self._engine.create_execution_context()
        if self._context is None:   # TensorRT returns None (its log says why), e.g. out of GPU memory
            raise ModelLoadError(f"TensorRT could not create an execution context for {path} (out of GPU "
                                 f"memory? another runtime in this process may hold it)")
        self._stream = cuda_call(cudart.cudaStreamCreate())
        self._buffers: dict[str, DeviceBuffer] = {}

    def _built_size(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """H x W the engine takes: its own static dims, else the size its sidecar says it was
        built for, else its profile's optimum (never "any size": a profile bounds every dim)."""
        if shape[1] > 0 and shape[2] > 0:
            return shape[1], shape[2]
        if self.info is not None:
            return tuple(self.info.input_size)
        return self._profile[1][1], self._profile[1][2]

    def takes(self) -> str:
        """The input shapes the engine's profile accepts, in words."""
        low, high = self._profile[0], self._profile[2]
        return " x ".join(f"{a}" if a == b else f"{a}..{b}" for a, b in zip(low, high))

    def _buffer(self, name: str, nbytes: int) -> DeviceBuffer:
        if name not in self._buffers or self._buffers[name].nbytes < nbytes:
            self._buffers[name] = DeviceBuffer(nbytes)
            self._context.set_tensor_address(name, self._buffers[name].ptr)
        return self._buffers[name]

    def _stage(self, x: np.ndarray) -> None:
        """Set the input shape, copy ``x`` (kept alive by the caller) in, size every output."""
        if not self._context.set_input_shape(self._input, x.shape):
            raise ValueError(f"TensorRT engine {self.path} refuses input shape {list(x.shape)}; "
                             f"it takes {self.takes()} (NHWC)")
        self._buffer(self._input, x.nbytes).upload(x, self._stream)
        for name, dtype in self._outputs.items():   # outputs nobody reads still need memory
            shape = tuple(self._context.get_tensor_shape(name))
            self._buffer(name, int(np.prod(shape)) * dtype.itemsize)

    def _execute(self, shape: tuple[int, ...]) -> None:
        if not self._context.execute_async_v3(self._stream):
            raise RuntimeError(f"TensorRT engine {self.path} failed to run a {shape} batch")

    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        from cuda.bindings import runtime as cudart

        if len(x) > self._max_batch:
            return np.concatenate([self.run_prepared(x[i:i + self._max_batch])
                                   for i in range(0, len(x), self._max_batch)])
        x = np.ascontiguousarray(x)   # stays alive until the stream is synchronized
        self._stage(x)
        out = np.empty(tuple(self._context.get_tensor_shape(self._output)), self._outputs[self._output])
        self._execute(x.shape)
        self._buffers[self._output].download(out, self._stream)
        cuda_call(cudart.cudaStreamSynchronize(self._stream))
        return out

    def device_memory_mb(self) -> float | None:
        return process_gpu_memory_mb()

    def device_run(self, x: np.ndarray) -> RunFn:
        """For profilers: ``x`` copied to the GPU once; the callable runs the engine alone and
        returns its milliseconds, measured with CUDA events on the engine's stream."""
        from cuda.bindings import runtime as cudart

        if len(x) > self._max_batch:
            raise ValueError(f"TensorRT engine {self.path} takes batches of up to {self._max_batch}, "
                             f"got {len(x)}")
        staged = np.ascontiguousarray(x)
        self._stage(staged)
        cuda_call(cudart.cudaStreamSynchronize(self._stream))
        start, end = cuda_call(cudart.cudaEventCreate()), cuda_call(cudart.cudaEventCreate())

        def run() -> float:
            cuda_call(cudart.cudaEventRecord(start, self._stream))
            self._execute(staged.shape)
            cuda_call(cudart.cudaEventRecord(end, self._stream))
            cuda_call(cudart.cudaEventSynchronize(end))
            return float(cuda_call(cudart.cudaEventElapsedTime(start, end)))
        return run

    def describe(self) -> dict[str, Any]:
        info = {"precision": self.info.precision, "tensorrt_version": self.info.tensorrt_version} \
            if self.info else {}
        return {**super().describe(), **info}
