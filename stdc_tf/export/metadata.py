"""What a ``.tflite`` file is, stored inside it: a JSON blob in the flatbuffer's ``metadata`` table.

Every file :mod:`stdc_tf.export.tflite` writes carries one entry named ``stdc_tf`` in the LiteRT
model's ``metadata`` table; the buffer it points to holds UTF-8 JSON (schema
``stdc_tf.segmentation/1``)::

    {"schema": "stdc_tf.segmentation/1", "preset": "stdc1_seg50", "backbone": "stdc1",
     "precision": "int8",
     "input": {"height": 512, "width": 1024, "layout": "NHWC", "color": "RGB", "dtype": "uint8",
               "normalization": {"in_graph": true, "scale": 0.00392156862745098,
                                 "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
               "quantization": null},
     "output": {"kind": "classes", "dtype": "uint8", "quantization": null, "num_classes": 19},
     "classes": ["road", ...], "palette": [[128, 64, 128], ...], "ignore_index": 255,
     "dataset": "cityscapes", "toolkit": {"name": "stdc-tf", "version": "0.1.0"}}

``normalization`` says how a pixel becomes the network's float input,
``x = (pixel * scale - mean) / std`` per RGB channel; ``in_graph: true`` means the file does it
itself and takes raw pixels. ``quantization`` is ``{"scale": s, "zero_point": z}`` of an integer
tensor (real value = ``(q - z) * s``) or ``null``. ``preset``/``backbone``/``dataset`` are ``null``
when unknown.

Why a JSON blob and not the TFLite Support metadata (``TFLITE_METADATA``, written with
``tflite-support``'s metadata writers): that package's last release is 0.4.4 (July 2023), one
more unmaintained dependency for the converter, and reading its metadata on Android needs the
``litert-metadata``/support libraries. The JSON entry is read with the flatbuffer schema alone:
a plain-Java (or C++, or Python without TensorFlow) reader walks ``Model.metadata`` to the entry
named ``stdc_tf`` and decodes ``Model.buffers[entry.buffer].data`` as UTF-8. MediaPipe's
``ImageSegmenter`` needs the Support metadata and is not a target of these files.

This module needs only ``ai_edge_litert`` (its flatbuffer schema), not TensorFlow, so profilers
and tools on a deployment host can read the metadata too.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.data.labels import CITYSCAPES, IGNORE_INDEX, DatasetInfo

METADATA_NAME = "stdc_tf"
SCHEMA = "stdc_tf.segmentation/1"
PIXEL_SCALE = 1.0 / 255.0
_TFLITE_IDENTIFIER = b"TFL3"


class MetadataError(ValueError):
    """A file is not a LiteRT model, or its ``stdc_tf`` metadata is not valid JSON."""


def toolkit_version() -> str:
    try:
        return importlib.metadata.version("stdc-tf")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def default_dataset_info(num_classes: int) -> DatasetInfo:
    """The classes to record when no dataset is named: Cityscapes for 19-class models (every
    STDC-Seg preset), else ``class_0 …`` with a fixed pseudo-random palette."""
    if num_classes == CITYSCAPES.num_classes:
        return CITYSCAPES
    colors = np.random.default_rng(0).integers(0, 256, (num_classes, 3))
    return DatasetInfo("unknown", tuple(f"class_{i}" for i in range(num_classes)),
                       tuple(tuple(int(v) for v in c) for c in colors), IGNORE_INDEX)


def tensor_quantization(detail: dict) -> dict | None:
    """``{"scale", "zero_point"}`` of a LiteRT tensor detail, or ``None`` when not quantized."""
    scale, zero_point = detail["quantization"]
    return {"scale": float(scale), "zero_point": int(zero_point)} if scale else None


def build_metadata(*, input_detail: dict, output_detail: dict, precision: str, num_classes: int,
                   normalization_in_graph: bool, info: DatasetInfo | None = None,
                   preset: str | None = None, backbone: str | None = None) -> dict[str, Any]:
    """The metadata dict of a converted file, from its own I/O tensors (LiteRT tensor details:
    ``shape``, ``dtype``, ``quantization``) and what the converter knows about the model.

    ``info`` defaults to :func:`default_dataset_info`; its class count must be the model's.
    """
    from stdc_tf.models.preprocessing import IMAGENET_MEAN, IMAGENET_STD

    named = info is not None
    info = info or default_dataset_info(num_classes)
    if info.num_classes != num_classes:
        raise ValueError(f"dataset {info.name!r} has {info.num_classes} classes but the model "
                         f"outputs {num_classes}")
    _, height, width, _ = (int(d) for d in input_detail["shape"])
    output_shape = tuple(int(d) for d in output_detail["shape"])
    return {
        "schema": SCHEMA, "preset": preset, "backbone": backbone, "precision": precision,
        "input": {"height": height, "width": width, "layout": "NHWC", "color": "RGB",
                  "dtype": np.dtype(input_detail["dtype"]).name,
                  "normalization": {"in_graph": normalization_in_graph, "scale": PIXEL_SCALE,
                                    "mean": [round(float(v), 6) for v in IMAGENET_MEAN],
                                    "std": [round(float(v), 6) for v in IMAGENET_STD]},
                  "quantization": tensor_quantization(input_detail)},
        "output": {"kind": "classes" if len(output_shape) == 3 else "logits",
                   "dtype": np.dtype(output_detail["dtype"]).name,
                   "quantization": tensor_quantization(output_detail), "num_classes": num_classes},
        "classes": list(info.class_names), "palette": [list(c) for c in info.palette],
        "ignore_index": info.ignore_index,
        "dataset": info.name if named or info is CITYSCAPES else None,
        "toolkit": {"name": "stdc-tf", "version": toolkit_version()},
    }


def write_metadata(flatbuffer: bytes, meta: dict[str, Any]) -> bytes:
    """``flatbuffer`` with ``meta`` stored as the ``stdc_tf`` entry (an older one is replaced).

    Re-serializes the model with the schema's object API, as TensorFlow's converter itself does
    for its own metadata entries.
    """
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    _check_identifier(flatbuffer, "flatbuffer")
    blob = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(flatbuffer))
    model.metadata = [m for m in (model.metadata or []) if _name(m.name) != METADATA_NAME]
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(blob, np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name, entry.buffer = METADATA_NAME, len(model.buffers) - 1
    model.metadata.append(entry)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def read_metadata(source: str | os.PathLike | bytes) -> dict[str, Any] | None:
    """The ``stdc_tf`` metadata of a ``.tflite`` file (path or bytes); ``None`` if it has none.

    A file that is not a LiteRT model, or whose entry is not JSON, raises :class:`MetadataError`
    naming it.
    """
    from ai_edge_litert import schema_py_generated as schema

    name = "flatbuffer" if isinstance(source, (bytes, bytearray)) else str(source)
    data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    _check_identifier(data, name)
    try:
        model = schema.Model.GetRootAs(data, 0)
        for i in range(model.MetadataLength()):
            entry = model.Metadata(i)
            if _name(entry.Name()) != METADATA_NAME:
                continue
            buffer = model.Buffers(entry.Buffer())
            blob = (buffer.DataAsNumpy().tobytes() if buffer.DataLength()
                    else data[buffer.Offset():buffer.Offset() + buffer.Size()])
            return json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MetadataError(f"{name}: the {METADATA_NAME!r} metadata is not UTF-8 JSON ({e})") from None
    except Exception as e:   # a truncated flatbuffer fails anywhere inside the generated reader
        raise MetadataError(f"{name}: not a readable LiteRT model ({type(e).__name__}: {e})") from None
    return None


def _name(value: str | bytes | None) -> str | None:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _check_identifier(data: bytes, name: str) -> None:
    if len(data) < 8 or data[4:8] != _TFLITE_IDENTIFIER:
        raise MetadataError(f"{name} is not a LiteRT (.tflite) model: no {_TFLITE_IDENTIFIER.decode()} "
                            f"file identifier")
