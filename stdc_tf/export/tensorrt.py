"""ONNX -> TensorRT: an engine built with the ``tensorrt`` Python API, or onnxruntime's TensorRT EP.

**Engine route** (:func:`export_tensorrt`): the ONNX parser, one optimization profile for batch
min..max at a fixed H x W, a timing cache that later builds reuse, and a JSON sidecar
(:class:`stdc_tf.runtime.tensorrt.EngineInfo`) that the predictor, the Triton generator and
people read; the written engine is checked against its ONNX on onnxruntime's CPU provider. An
``fp32`` engine is built with TF32 off (TensorRT enables it by default, and its 10-bit mantissa
is not the float32 the paper's comparisons mean). How precision is asked for depends on TensorRT:

* TensorRT 10 (weak typing): FP16/INT8 are builder flags; INT8 is calibrated on dataset images
  by an entropy calibrator (FP16 allowed for layers that stay out of INT8);
* TensorRT 11 (strong typing only, the flags are gone): types come from the ONNX itself, so
  FP16 needs an FP16 ONNX (converted here with NVIDIA ModelOpt AutoCast when installed) and
  INT8 needs QuantizeLinear/DequantizeLinear nodes in it;
* an ONNX with Q/DQ nodes (a quantization-aware model's export) is built strongly typed on
  either version: explicit quantization, no calibrator, the QAT ranges kept.

**onnxruntime route** (:func:`export_ort_tensorrt`): the TensorRT execution provider (CUDA EP for
what TensorRT does not take) builds the engine for the same profile and writes an "EP context"
ONNX with the engine embedded, which onnxruntime-gpu then loads without rebuilding.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.atomic import atomic_output
from stdc_tf.export import ExportError
from stdc_tf.export.contract import ExportResult, ExportSpec, checked_write
from stdc_tf.export.onnx import METADATA_PREFIX
from stdc_tf.progress import Progress
from stdc_tf.runtime.tensorrt import (
    DeviceBuffer,
    EngineInfo,
    cuda_call,
    require_engine_runtime,
    write_sidecar,
)

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "fp16", "int8")
WORKSPACE_BYTES = 1 << 30
QDQ_OPS = ("QuantizeLinear", "DequantizeLinear")


@dataclass(frozen=True)
class OnnxInput:
    """What a build needs to know of an ONNX model's image input, and of the model."""

    name: str
    dtype: np.dtype
    height: int | None
    width: int | None
    explicit_quantization: bool      # has Q/DQ nodes
    float16: bool                    # already holds FP16 tensors (e.g. ModelOpt AutoCast output)
    metadata: dict[str, str]


def inspect_onnx(onnx_path: str | Path) -> OnnxInput:
    """The image input of an ONNX file (NHWC, as :func:`stdc_tf.export.onnx.export_onnx` writes)."""
    import onnx
    from onnx import TensorProto, helper

    path = Path(onnx_path)
    if not path.is_file():
        raise FileNotFoundError(f"ONNX model not found: {path}")
    try:
        model = onnx.load(str(path))
    except Exception as e:  # protobuf decode errors come in several types
        raise ExportError(f"{path} is not a readable ONNX model ({type(e).__name__})") from e
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise ExportError(f"ONNX model {path} has inputs {[i.name for i in inputs]}; expected one image")
    tensor = inputs[0].type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    if len(dims) != 4 or dims[3] not in (3, None):
        raise ExportError(f"ONNX model {path} takes input {dims}; expected NHWC RGB images [N, H, W, 3]")
    return OnnxInput(inputs[0].name, np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)),
                     dims[1], dims[2], any(n.op_type in QDQ_OPS for n in model.graph.node),
                     any(i.data_type == TensorProto.FLOAT16 for i in model.graph.initializer),
                     {p.key[len(METADATA_PREFIX):]: p.value for p in model.metadata_props
                      if p.key.startswith(METADATA_PREFIX)})


def batch_profile(batch_sizes: Sequence[int], opt_batch: int | None = None) -> tuple[int, int, int]:
    """``(min, opt, max)`` batch of the optimization profile; ``opt`` defaults to the largest."""
    if not batch_sizes or min(batch_sizes) < 1:
        raise ExportError(f"batch sizes must be positive integers, got {list(batch_sizes)}")
    low, high = min(batch_sizes), max(batch_sizes)
    opt = high if opt_batch is None else opt_batch
    if not low <= opt <= high:
        raise ExportError(f"the optimal batch {opt} is outside the profile's {low}..{high}")
    return low, opt, high


def spatial_size(spec: OnnxInput, input_size: Sequence[int] | None) -> tuple[int, int]:
    """The H x W to build for: the ONNX's own if fixed (``input_size`` must then agree)."""
    fixed = (spec.height, spec.width) if spec.height and spec.width else None
    if input_size is not None and fixed and tuple(input_size) != fixed:
        raise ExportError(f"the ONNX model takes {fixed[0]}x{fixed[1]} images; --input-size "
                          f"{input_size[0]}x{input_size[1]} disagrees")
    size = fixed or (tuple(input_size) if input_size else None)
    if size is None:
        raise ExportError("the ONNX model takes any image size: give the size to build for "
                          "(--input-size HxW, e.g. 512x1024)")
    return int(size[0]), int(size[1])


def _prepare(batch: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A uint8 calibration batch as the network's input takes it."""
    from stdc_tf.models.preprocessing import normalize

    return np.ascontiguousarray(batch if dtype == np.uint8 else normalize(batch).astype(dtype))


def _calibrator(trt: Any, batches: list[np.ndarray], dtype: np.dtype) -> Any:
    """A TensorRT 10 entropy calibrator feeding ``batches`` (uint8 ``[B, H, W, 3]``) in turn."""
    from cuda.bindings import runtime as cudart

    class Calibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self):
            super().__init__()
            self._batches = iter(batches)
            self._bar = Progress(len(batches), "calibrating", "batch")
            self._buffer = DeviceBuffer(_prepare(batches[0], dtype).nbytes)
            self._current: np.ndarray | None = None

        def get_batch_size(self) -> int:
            return len(batches[0])

        def get_batch(self, names: list[str]) -> list[int] | None:
            batch = next(self._batches, None)
            if batch is None:
                self._bar.close()
                return None
            self._bar.update()
            self._current = _prepare(batch, dtype)
            self._buffer.upload(self._current)
            cuda_call(cudart.cudaDeviceSynchronize())
            return [self._buffer.ptr]

        def read_calibration_cache(self) -> None:
            return None   # always calibrate: a stale cache would silently change the engine

        def write_calibration_cache(self, cache: Any) -> None:
            pass

    return Calibrator()


def _fp16_onnx(onnx_path: Path, trt_version: str) -> bytes:
    """The ONNX converted to FP16 by ModelOpt AutoCast (TensorRT 11's FP16 route)."""
    try:
        from modelopt.onnx.autocast import convert_to_mixed_precision
    except ImportError as e:
        raise ExportError(f"TensorRT {trt_version} builds FP16 only from an FP16 ONNX (strong typing): "
                          f"pip install nvidia-modelopt[onnx], or convert it first with python -m "
                          f"modelopt.onnx.autocast --onnx_path {onnx_path}") from e
    log.info("converting %s to FP16 with ModelOpt AutoCast", onnx_path)
    return convert_to_mixed_precision(onnx_path=str(onnx_path), low_precision_type="fp16",
                                      keep_io_types=True).SerializeToString()


def _typing_plan(trt: Any, spec: OnnxInput, precision: str, onnx_path: Path) -> tuple[bool, list[str], bytes]:
    """``(strongly_typed, builder flags, ONNX bytes)`` for ``precision`` on this TensorRT.

    An ONNX that carries its types (Q/DQ nodes: INT8; FP16 tensors: FP16) is built strongly
    typed as it is, on TensorRT 10 and 11 alike; a float32 ONNX gets builder flags on TensorRT
    10 and, on TensorRT 11, is converted to FP16 first or refused for INT8.
    """
    typed = "int8" if spec.explicit_quantization else "fp16" if spec.float16 else None
    if typed:
        if precision != typed:
            raise ExportError(f"{onnx_path} carries its own {typed.upper()} types (strongly typed); "
                              f"build it with --precision {typed}")
        return True, [], onnx_path.read_bytes()
    if hasattr(trt.BuilderFlag, "FP16"):   # TensorRT 10: weak typing; the flags are gone in 11
        return False, {"fp32": [], "fp16": ["FP16"], "int8": ["INT8", "FP16"]}[precision], \
            onnx_path.read_bytes()
    if precision == "int8":
        raise ExportError(f"TensorRT {trt.__version__} builds INT8 only from an ONNX with "
                          f"QuantizeLinear/DequantizeLinear nodes (a QAT export, or ModelOpt PTQ: "
                          f"python -m modelopt.onnx.quantization --onnx_path {onnx_path} "
                          f"--quantize_mode int8); TensorRT 10 calibrates a float ONNX here")
    return True, [], _fp16_onnx(onnx_path, trt.__version__) if precision == "fp16" else onnx_path.read_bytes()


def _progress(trt: Any) -> Any:
    """A progress bar per top-level build phase (builds take minutes); plain lines in a log."""

    class Monitor(trt.IProgressMonitor):
        def __init__(self):
            trt.IProgressMonitor.__init__(self)
            self._bars: dict[str, Progress] = {}

        def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
            if parent_phase is None:   # nested phases would flood the terminal
                self._bars[phase_name] = Progress(num_steps, phase_name, "step", leave=False)

        def step_complete(self, phase_name: str, step: int) -> bool:
            if phase_name in self._bars:
                self._bars[phase_name].update(step + 1 - self._bars[phase_name].done)
            return True   # False would cancel the build

        def phase_finish(self, phase_name: str) -> None:
            bar = self._bars.pop(phase_name, None)
            if bar is not None:
                bar.close()

    return Monitor()


def _parse(trt: Any, builder: Any, logger: Any, data: bytes, strongly_typed: bool,
           onnx_path: Path) -> tuple[Any, Any]:
    """``(network, parser)``: the parser owns weights the network points to, so both are kept."""
    flag = 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) if strongly_typed else 0
    network = builder.create_network(flag)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(data):
        errors = [str(parser.get_error(i).desc()) for i in range(parser.num_errors)]
        raise ExportError(f"TensorRT's ONNX parser rejects {onnx_path}: {errors[0] if errors else '?'}"
                          + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""))
    return network, parser


def _tensor_spec(trt: Any, tensor: Any) -> dict[str, Any]:
    return {"name": tensor.name, "dtype": np.dtype(trt.nptype(tensor.dtype)).name,
            "shape": list(tensor.shape)}


def build_plan(onnx_path: Path, precision: str, input_size, batch_sizes, opt_batch):
    """What both engine routes check first: the precision, the ONNX (not onnxruntime's int8 file),
    its input, the batch profile."""
    if precision not in PRECISIONS:
        raise ExportError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    spec = inspect_onnx(onnx_path)
    if spec.metadata.get("precision") == "int8":
        raise ExportError(f"{onnx_path} is onnxruntime's int8 ONNX (uint8 asymmetric activations, for "
                          f"onnxruntime only); for a TensorRT int8 engine build the float ONNX with "
                          f"--precision int8 --dataset ... (calibrated), or a QAT export "
                          f"(--qat-scheme tensorrt)")
    return spec, spatial_size(spec, input_size), batch_profile(batch_sizes, opt_batch)


def calibration_batches_of(spec: ExportSpec, size: tuple[int, int], batch: int) -> list[np.ndarray]:
    """The spec's calibration images as uint8 ``[batch, H, W, 3]`` batches: a split through
    :func:`~stdc_tf.export.calibration.calibration_batches` (the last batch padded), or images
    given as they are, regrouped."""
    from stdc_tf.data.datasets import SegDataset
    from stdc_tf.export.calibration import calibration_batches

    source = spec.calibration
    if isinstance(source, SegDataset):
        return list(calibration_batches(source, spec.calibration_steps, size, batch))
    flat = np.concatenate([np.asarray(i).reshape(-1, *size, 3) for i in source]).astype(np.uint8)
    return [flat[i:i + batch] for i in range(0, len(flat) - batch + 1, batch)]


def export_tensorrt(onnx_path: str | Path, engine_path: str | Path, spec: ExportSpec, *,
                    batch_sizes: Sequence[int] = (1, 8), opt_batch: int | None = None,
                    calibration_batch: int = 1, timing_cache: str | Path | None = None,
                    workspace_bytes: int = WORKSPACE_BYTES) -> ExportResult:
    """Build a TensorRT engine from ``onnx_path`` under ``spec``; write it and its sidecar atomically.

    The engine's source is the ONNX file (:func:`stdc_tf.export.onnx.export_onnx`), and the
    written engine is checked against that ONNX on onnxruntime's CPU provider. ``spec.calibration``
    (a split or uint8 images, ``spec.calibration_steps`` of them, in batches of
    ``calibration_batch``) is needed for INT8 from a float ONNX on TensorRT 10. ``timing_cache`` is
    read if it exists and written back afterwards. An fp32 engine is built with TF32 off, so that
    "fp32" means IEEE float32 (the paper's comparisons); ``opt_batch`` is the batch TensorRT tunes
    its kernels for (default: the largest; batch-1 latency wants an engine tuned for 1).
    """
    started = time.perf_counter()
    onnx_path, engine_path = Path(onnx_path), Path(engine_path)
    precision = spec.precision
    source, (height, width), (low, opt, high) = build_plan(onnx_path, precision, spec.input_size,
                                                            batch_sizes, opt_batch)
    require_engine_runtime("building a TensorRT engine")
    import tensorrt as trt

    strongly_typed, flags, data = _typing_plan(trt, source, precision, onnx_path)
    calibrated = "INT8" in flags
    if calibrated and spec.calibration is None:
        raise ExportError("INT8 from a float ONNX needs calibration images (a dataset)")
    batches = calibration_batches_of(spec, (height, width), calibration_batch) if calibrated else []
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network, _parser = _parse(trt, builder, logger, data, strongly_typed, onnx_path)
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace_bytes)
    profile = builder.create_optimization_profile()
    profile.set_shape(source.name, (low, height, width, 3), (opt, height, width, 3), (high, height, width, 3))
    config.add_optimization_profile(profile)
    for flag in flags:
        config.set_flag(getattr(trt.BuilderFlag, flag))
    if precision == "fp32" and hasattr(trt.BuilderFlag, "TF32"):
        config.clear_flag(trt.BuilderFlag.TF32)   # TF32 is on by default: 10-bit mantissa convs
    if calibrated:   # calibration runs at its profile's opt shape: the calibration batches' own
        calibration_profile = builder.create_optimization_profile()
        calibration_profile.set_shape(source.name, *[(len(batches[0]), height, width, 3)] * 3)
        config.int8_calibrator = _calibrator(trt, batches, source.dtype)
        config.set_calibration_profile(calibration_profile)
    cache_path = Path(timing_cache) if timing_cache else None
    known = cache_path.read_bytes() if cache_path and cache_path.is_file() else b""
    cache = config.create_timing_cache(known)
    config.set_timing_cache(cache, ignore_mismatch=False)
    config.progress_monitor = _progress(trt)
    log.info("building a %s TensorRT %s engine (%s typing) for batch %d..%d (tuned for %d) at %dx%d",
             precision, trt.__version__, "strong" if strongly_typed else "weak", low, high, opt,
             height, width)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise ExportError(f"TensorRT could not build an engine from {onnx_path} (its log above says why)")
    result = checked_write(engine_path, "tensorrt", spec.with_(input_size=(height, width)), onnx_path,
                           lambda tmp: tmp.write_bytes(bytes(serialized)), started=started)
    if cache_path:
        with atomic_output(cache_path) as tmp:
            tmp.write_bytes(bytes(config.get_timing_cache().serialize()))
    write_sidecar(engine_path, EngineInfo(
        trt.__version__, precision, "strong" if strongly_typed else "weak",
        _tensor_spec(trt, network.get_input(0)),
        [_tensor_spec(trt, network.get_output(i)) for i in range(network.num_outputs)],
        [height, width], {"min": low, "opt": opt, "max": high},
        int(source.metadata["num_classes"]) if "num_classes" in source.metadata else None,
        source.explicit_quantization, sum(len(b) for b in batches), str(onnx_path), _device_name()))
    return result


def _device_name() -> str:
    from cuda.bindings import runtime as cudart

    return cuda_call(cudart.cudaGetDeviceProperties(0)).name.decode(errors="replace").rstrip("\0")


def export_ort_tensorrt(onnx_path: str | Path, output: str | Path, spec: ExportSpec, *,
                        batch_sizes: Sequence[int] = (1, 8), opt_batch: int | None = None,
                        workspace_bytes: int = WORKSPACE_BYTES) -> ExportResult:
    """Build onnxruntime's TensorRT engine for the profile and save an EP-context ONNX at ``output``.

    INT8 on this route needs an ONNX with Q/DQ nodes (the calibrated INT8 build is the engine
    route's). The result loads in onnxruntime-gpu (``load_predictor``) without rebuilding, and is
    checked against the source ONNX on onnxruntime's CPU provider.
    """
    started = time.perf_counter()
    onnx_path, output = Path(onnx_path), Path(output)
    precision = spec.precision
    source, (height, width), (low, opt, high) = build_plan(onnx_path, precision, spec.input_size,
                                                            batch_sizes, opt_batch)
    if precision == "int8" and not source.explicit_quantization:
        raise ExportError("INT8 on the onnxruntime route needs an ONNX with QuantizeLinear/"
                          "DequantizeLinear nodes; use --engine onnx to calibrate a float ONNX")
    from stdc_tf.runtime.onnx import write_ep_context

    def shape(batch: int) -> str:
        return f"{source.name}:{batch}x{height}x{width}x3"

    options = {"trt_fp16_enable": precision == "fp16", "trt_int8_enable": precision == "int8",
               "trt_max_workspace_size": workspace_bytes,
               "trt_profile_min_shapes": shape(low), "trt_profile_opt_shapes": shape(opt),
               "trt_profile_max_shapes": shape(high)}
    log.info("building onnxruntime's %s TensorRT engine for batch %d..%d at %dx%d", precision,
             low, high, height, width)
    return checked_write(output, "onnxruntime-tensorrt", spec.with_(input_size=(height, width)), onnx_path,
                         lambda tmp: write_ep_context(onnx_path, tmp, options), started=started)
