"""A Triton Inference Server model repository entry for an exported artifact.

Writes ``REPOSITORY/MODEL/config.pbtxt`` and ``REPOSITORY/MODEL/VERSION/model.{onnx,plan,savedmodel}``
(Triton's layout). The config's inputs and outputs are read from the artifact itself (the ONNX
graph, the engine's sidecar JSON, the SavedModel's ``serving_default`` signature), with the batch
dimension left to ``max_batch_size`` and dynamic batching on. An ONNX model can get the ONNX
Runtime backend's TensorRT accelerator block (FP32/FP16/INT8 engines built and cached by the
server). When ``tritonclient`` is installed the config is parsed into Triton's own
``ModelConfig`` protobuf before it is written, so a config Triton would reject is never written.

Triton's TensorFlow backend (``tensorflow_savedmodel``) ships only up to release 25.02; ONNX and
TensorRT plans are the formats current Triton serves.
"""
from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.atomic import atomic_output
from stdc_tf.export import ExportError, first_line
from stdc_tf.export.tensorrt import PRECISIONS, WORKSPACE_BYTES
from stdc_tf.runtime.tensorrt import ENGINE_SUFFIXES, read_sidecar

log = logging.getLogger(__name__)

PLATFORMS = {"onnx": ("onnxruntime_onnx", "model.onnx"),
             "plan": ("tensorrt_plan", "model.plan"),
             "savedmodel": ("tensorflow_savedmodel", "model.savedmodel")}
TRITON_TYPES = {"uint8": "TYPE_UINT8", "int8": "TYPE_INT8", "int32": "TYPE_INT32", "int64": "TYPE_INT64",
                "float16": "TYPE_FP16", "float32": "TYPE_FP32", "bool": "TYPE_BOOL"}
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class Enum(str):
    """A protobuf enum value: written bare in text format (``TYPE_UINT8``), not quoted."""


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str            # numpy dtype name
    shape: list[int]      # with the batch dimension first; -1 where dynamic


def artifact_format(path: Path) -> str:
    """``onnx``, ``plan`` or ``savedmodel``, from the file or folder."""
    if path.is_file() and path.suffix == ".onnx":
        return "onnx"
    if path.is_file() and path.suffix in ENGINE_SUFFIXES:
        return "plan"
    if (path / "saved_model.pb").is_file():
        return "savedmodel"
    if not path.exists():
        raise FileNotFoundError(f"model not found: {path}")
    raise ExportError(f"{path} is not a model Triton serves here: expected an .onnx file, a "
                      f"TensorRT engine ({'/'.join(ENGINE_SUFFIXES)}) or a SavedModel directory")


def _onnx_io(path: Path) -> tuple[list[TensorSpec], list[TensorSpec]]:
    import onnx
    from onnx import helper

    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception as e:  # protobuf's DecodeError and friends for a file that is not ONNX
        raise ExportError(f"{path} is not a readable ONNX model ({type(e).__name__})") from e
    initializers = {i.name for i in graph.initializer}

    def spec(value: Any) -> TensorSpec:
        tensor = value.type.tensor_type
        return TensorSpec(value.name, np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)).name,
                          [d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim])

    return ([spec(i) for i in graph.input if i.name not in initializers],
            [spec(o) for o in graph.output])


def _plan_io(path: Path) -> tuple[list[TensorSpec], list[TensorSpec], dict[str, int]]:
    """Inputs, outputs and the batch profile (min/opt/max), from the engine's sidecar JSON."""
    info = read_sidecar(path)
    if info is None:
        raise ExportError(f"TensorRT engine {path} has no sidecar {path.name}.json with its inputs "
                          f"and outputs (engines built by convert/to_tensorrt.py have one)")
    return [TensorSpec(**info.input)], [TensorSpec(**o) for o in info.outputs], info.batch_profile


def _saved_model_io(path: Path) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """The ``serving_default`` signature's tensors, read from ``saved_model.pb`` (no loading)."""
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((path / "saved_model.pb").read_bytes())
    signatures = proto.meta_graphs[0].signature_def
    if "serving_default" not in signatures:
        raise ExportError(f"SavedModel {path} has no serving_default signature")
    signature = signatures["serving_default"]

    def specs(tensors: Any) -> list[TensorSpec]:
        return [TensorSpec(key, np.dtype(tf.dtypes.as_dtype(info.dtype).as_numpy_dtype).name,
                           [d.size for d in info.tensor_shape.dim]) for key, info in sorted(tensors.items())]

    return specs(signature.inputs), specs(signature.outputs)


def _tensor_config(spec: TensorSpec, where: Path) -> dict[str, Any]:
    if spec.dtype not in TRITON_TYPES:
        raise ExportError(f"{where}: tensor {spec.name!r} has type {spec.dtype}, which this generator "
                          f"does not map (supported: {', '.join(TRITON_TYPES)})")
    if not spec.shape or spec.shape[0] != -1:
        raise ExportError(f"{where}: tensor {spec.name!r} has shape {spec.shape}; Triton's batching "
                          f"needs a dynamic batch dimension first (export with a dynamic batch)")
    return {"name": spec.name, "data_type": Enum(TRITON_TYPES[spec.dtype]), "dims": spec.shape[1:]}


def to_pbtxt(message: dict[str, Any], indent: int = 0) -> str:
    """Protobuf text format for a nested dict (lists of dicts are repeated messages)."""
    pad, lines = "  " * indent, []

    def scalar(value: Any) -> str:
        if isinstance(value, Enum):
            return str(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if isinstance(value, str) else str(value)

    for key, value in message.items():
        items = value if isinstance(value, list) else [value]
        if items and all(isinstance(v, dict) for v in items):
            for item in items:
                lines += [f"{pad}{key} {{", to_pbtxt(item, indent + 1).rstrip("\n"), f"{pad}}}"]
        elif isinstance(value, list):
            lines.append(f"{pad}{key}: [ {', '.join(scalar(v) for v in value)} ]")
        else:
            lines.append(f"{pad}{key}: {scalar(value)}")
    return "\n".join(line for line in lines if line) + "\n"


def validate_config(text: str, where: str) -> bool:
    """Parse ``text`` into Triton's ``ModelConfig``; ``False`` if tritonclient is not installed."""
    try:
        from google.protobuf import text_format
        from tritonclient.grpc import model_config_pb2
    except ImportError:
        return False
    try:
        text_format.Parse(text, model_config_pb2.ModelConfig())
    except text_format.ParseError as e:
        raise ExportError(f"Triton would reject the config for {where}: {first_line(e)}") from e
    return True


def model_config(artifact: Path, name: str, max_batch_size: int = 8,
                 preferred_batch_sizes: Sequence[int] | None = None, queue_delay_us: int = 100,
                 instances: int = 1, device: str = "gpu", tensorrt_precision: str | None = None,
                 trt_cache_path: str | None = None) -> dict[str, Any]:
    """The ``config.pbtxt`` content (as a dict for :func:`to_pbtxt`) for ``artifact``."""
    kind = artifact_format(artifact)
    if device not in ("gpu", "cpu"):
        raise ExportError(f"unknown device {device!r}; valid: gpu, cpu")
    if kind == "plan" and device == "cpu":
        raise ExportError("a TensorRT plan runs on a GPU only (device cpu asked)")
    if tensorrt_precision is not None and (kind != "onnx" or device != "gpu"):
        raise ExportError("the TensorRT accelerator applies to ONNX models on a GPU only")
    if max_batch_size < 1:
        raise ExportError(f"max_batch_size must be positive, got {max_batch_size}")
    profile = None
    if kind == "onnx":
        inputs, outputs = _onnx_io(artifact)
    elif kind == "plan":
        inputs, outputs, profile = _plan_io(artifact)
    else:
        inputs, outputs = _saved_model_io(artifact)
        log.warning("Triton's TensorFlow backend (tensorflow_savedmodel) ships only up to release "
                    "25.02; serve an ONNX model or a TensorRT plan on newer Triton")
    if profile is not None and max_batch_size > profile["max"]:
        raise ExportError(f"max_batch_size {max_batch_size} exceeds the engine's profile (batch up to "
                          f"{profile['max']}); rebuild the engine or lower --max-batch")
    if profile is not None and profile["min"] > 1:   # the dynamic batcher sends any batch from 1
        raise ExportError(f"the engine's profile starts at batch {profile['min']}, but Triton sends "
                          f"batches from 1: rebuild it with --batch 1,{profile['max']}")
    preferred = sorted(set(preferred_batch_sizes or [max_batch_size]))
    if preferred[0] < 1 or preferred[-1] > max_batch_size:
        raise ExportError(f"preferred batch sizes {preferred} must lie in 1..{max_batch_size}")
    config: dict[str, Any] = {
        "name": name, "platform": PLATFORMS[kind][0], "max_batch_size": max_batch_size,
        "input": [_tensor_config(s, artifact) for s in inputs],
        "output": [_tensor_config(s, artifact) for s in outputs],
        "dynamic_batching": {"preferred_batch_size": preferred,
                             "max_queue_delay_microseconds": queue_delay_us},
        "instance_group": [{"kind": Enum(f"KIND_{device.upper()}"), "count": instances}]}
    if tensorrt_precision is not None:
        if tensorrt_precision not in PRECISIONS:
            raise ExportError(f"unknown TensorRT precision {tensorrt_precision!r}; valid: "
                              f"{', '.join(PRECISIONS)}")
        parameters = {"precision_mode": tensorrt_precision.upper(),
                      "max_workspace_size_bytes": str(WORKSPACE_BYTES), "trt_engine_cache_enable": "1",
                      **_trt_profile(artifact, inputs, tensorrt_precision, preferred[-1], max_batch_size)}
        if trt_cache_path:
            parameters["trt_engine_cache_path"] = trt_cache_path
        config["optimization"] = {"execution_accelerators": {"gpu_execution_accelerator": [
            {"name": "tensorrt", "parameters": [{"key": k, "value": v} for k, v in parameters.items()]}]}}
    return config


def _trt_profile(artifact: Path, inputs: list[TensorSpec], precision: str, opt_batch: int,
                 max_batch: int) -> dict[str, str]:
    """The accelerator's optimization profile (batch 1..max at the ONNX's fixed size), so the server
    builds one engine instead of one per batch shape; INT8 only from a Q/DQ ONNX (the ONNX Runtime
    TensorRT accelerator here has no calibration table: a float ONNX would give no INT8 engine)."""
    if precision == "int8" and not _has_qdq(artifact):
        raise ExportError(f"{artifact} has no QuantizeLinear/DequantizeLinear nodes: the TensorRT "
                          f"accelerator builds INT8 only from a Q/DQ ONNX (a QAT export); use fp16, or "
                          f"build a calibrated INT8 engine with convert/to_tensorrt.py and serve the plan")
    (image,) = inputs
    if -1 in image.shape[1:]:
        raise ExportError(f"{artifact} takes any image size: export the ONNX at a fixed --input-size "
                          f"so the TensorRT profile covers the size it serves")
    size = "x".join(str(d) for d in image.shape[1:])
    return {f"trt_profile_{k}_shapes": f"{image.name}:{b}x{size}"
            for k, b in (("min", 1), ("opt", opt_batch), ("max", max_batch))}


def _has_qdq(path: Path) -> bool:
    import onnx

    return any(n.op_type == "QuantizeLinear" for n in onnx.load(str(path), load_external_data=False).graph.node)


def write_triton_model(artifact: str | Path, repository: str | Path, name: str | None = None,
                       version: int = 1, **config_options: Any) -> Path:
    """Add ``artifact`` to the Triton model repository; return the model's folder.

    The version folder is written first and the config last, each atomically, so a server
    polling the repository never sees a config without its model. ``config_options`` go to
    :func:`model_config`.
    """
    artifact = Path(artifact)
    name = name or artifact.stem
    if not _NAME.match(name):
        raise ExportError(f"model name {name!r} must be letters, digits, '_', '-' or '.'")
    if version < 1:
        raise ExportError(f"the version must be a positive integer, got {version}")
    config = model_config(artifact, name, **config_options)
    text = to_pbtxt(config)
    model_dir = Path(repository) / name
    if not validate_config(text, str(model_dir)):
        log.info("tritonclient is not installed: config.pbtxt written without checking it against "
                 "Triton's ModelConfig")
    target = model_dir / str(version) / PLATFORMS[artifact_format(artifact)][1]
    with atomic_output(target.parent, directory=True) as tmp:
        tmp.mkdir()
        if artifact.is_dir():
            shutil.copytree(artifact, tmp / target.name)
        else:
            shutil.copyfile(artifact, tmp / target.name)
    with atomic_output(model_dir / "config.pbtxt") as tmp:
        tmp.write_text(text)
    return model_dir
