"""What a deployed app shows, pixel for pixel: the on-device pre- and post-processing in numpy.

The Android demo's plain-Java core (``android_demo/core``) implements exactly these steps and is
tested against vectors made with this module (``tests/data/android``), so the phone feeds the
model what the evaluator feeds it and colours the classes the evaluator scores. Each step is
pinned down to its float32 operations and integer rounding, so the Java port gives identical
bytes (Java's float arithmetic is IEEE-754 without fused multiply-add, as numpy's is):

* **resize** (:func:`resize_bilinear`): bilinear with aligned corners, TensorFlow's
  ``ResizeBilinear(align_corners=True)`` as the evaluator uses it. Per axis, float32:
  ``scale = (in - 1) / (out - 1)`` (``in / out`` when ``out == 1``), ``src = i * scale``,
  ``lo = floor(src)``, ``hi = min(ceil(src), in - 1)``, ``f = src - lo``; then
  ``top = a + (b - a) * fx``, ``bottom = c + (d - c) * fx``, ``out = top + (bottom - top) * fy``.
  Class maps are resized with TensorFlow's legacy nearest neighbour
  (``src = min(floor(i * (in / out)), in - 1)``), as the evaluator resizes class-map outputs.
* **model input** (:func:`prepare_input`): ``v`` = the resized pixel (normalization in the
  graph) or ``((v / (1 / scale)) - mean) / std`` (dividing by ``1 / scale`` makes
  ``scale = 1/255`` exactly the evaluator's ``x / 255``); a quantized tensor gets
  ``clip(rint(v / s + z))``, an integer tensor without quantization ``clip(rint(v))``; ``rint``
  rounds half to even (numpy's ``rint``, Java's ``Math.rint``).
* **argmax** (:func:`argmax`): the first maximum wins (ties go to the lower class), a NaN counts
  as the maximum (numpy's rule). Quantized logits are compared as integers (dequantizing with a
  positive scale keeps the order), or dequantized as ``(q - z) * s`` in float32 when they must be
  resized first.
* **colours** (:func:`colorize`, :func:`blend`): ``alpha = floor(opacity * 255 + 0.5)``;
  a blended channel is ``(colour * alpha + pixel * (255 - alpha) + 127) // 255``. Pixels whose
  class is not a palette index (the ignore value 255, or a class the palette lacks) keep the
  image's pixel and get alpha 0 in the mask.

numpy and OpenCV only: this module sits at the bottom of the layering, beside the data readers.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np

INPUT_DTYPES = {"uint8": np.uint8, "int8": np.int8, "float32": np.float32}


def _axis(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower index, upper index, float32 fraction) per output position, TensorFlow's way."""
    if out_size > 1:
        scale = np.float32(in_size - 1) / np.float32(out_size - 1)
    else:
        scale = np.float32(in_size) / np.float32(out_size)
    src = np.arange(out_size, dtype=np.float32) * scale
    low = np.floor(src)
    lower = np.maximum(low.astype(np.int64), 0)
    upper = np.minimum(np.ceil(src).astype(np.int64), in_size - 1)
    return lower, upper, (src - low).astype(np.float32)


def resize_bilinear(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``[H, W, C]`` → float32 ``[h, w, C]``, bilinear with aligned corners (module docstring)."""
    x = np.asarray(image).astype(np.float32)
    (y0, y1, fy), (x0, x1, fx) = _axis(x.shape[0], size[0]), _axis(x.shape[1], size[1])
    fx, fy = fx[None, :, None], fy[:, None, None]
    top_rows, bottom_rows = x[y0], x[y1]
    top = top_rows[:, x0] + (top_rows[:, x1] - top_rows[:, x0]) * fx
    bottom = bottom_rows[:, x0] + (bottom_rows[:, x1] - bottom_rows[:, x0]) * fx
    return top + (bottom - top) * fy


def resize_nearest(classes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``[H, W]`` class map → ``[h, w]``, TensorFlow's legacy nearest neighbour (no half pixels)."""
    classes = np.asarray(classes)

    def index(in_size: int, out_size: int) -> np.ndarray:
        scale = np.float32(in_size) / np.float32(out_size)
        src = np.floor(np.arange(out_size, dtype=np.float32) * scale).astype(np.int64)
        return np.minimum(src, in_size - 1)

    return classes[index(classes.shape[0], size[0])][:, index(classes.shape[1], size[1])]


def quantize(values: np.ndarray, dtype: Any, quantization: tuple[float, int] | None) -> np.ndarray:
    """float32 values → an integer tensor: ``clip(rint(v / s + z))`` (``clip(rint(v))`` without
    quantization parameters), rounding half to even."""
    limits = np.iinfo(dtype)
    v = np.asarray(values, np.float32)
    if quantization is not None:
        scale, zero_point = quantization
        v = v / np.float32(scale) + np.float32(zero_point)
    return np.clip(np.rint(v), limits.min, limits.max).astype(dtype)


def dequantize(values: np.ndarray, quantization: tuple[float, int]) -> np.ndarray:
    """Integer tensor → float32 ``(q - z) * s``."""
    scale, zero_point = quantization
    return (np.asarray(values).astype(np.float32) - np.float32(zero_point)) * np.float32(scale)


def normalize(values: np.ndarray, scale: float, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """``((v / (1 / scale)) - mean) / std`` per channel, float32."""
    divisor = np.float32(1.0 / scale)
    return (np.asarray(values, np.float32) / divisor - np.asarray(mean, np.float32)) \
        / np.asarray(std, np.float32)


def _quantization(entry: Mapping[str, Any] | None) -> tuple[float, int] | None:
    return None if entry is None else (float(entry["scale"]), int(entry["zero_point"]))


def prepare_input(rgb: np.ndarray, meta: Mapping[str, Any]) -> np.ndarray:
    """uint8 RGB ``[H, W, 3]`` → the model's input ``[h, w, 3]`` as the metadata describes it."""
    spec = meta["input"]
    x = resize_bilinear(rgb, (spec["height"], spec["width"]))
    norm = spec["normalization"]
    if not norm["in_graph"]:
        x = normalize(x, norm["scale"], norm["mean"], norm["std"])
    dtype = INPUT_DTYPES[spec["dtype"]]
    if dtype is np.float32:
        return x
    return quantize(x, dtype, _quantization(spec.get("quantization")))


def argmax(logits: np.ndarray) -> np.ndarray:
    """``[H, W, C]`` logits (float or integer) → uint8 class map; first maximum wins."""
    return np.argmax(np.asarray(logits), axis=-1).astype(np.uint8)


def class_map(output: np.ndarray, meta: Mapping[str, Any],
              size: tuple[int, int] | None = None) -> np.ndarray:
    """The model's raw output ``[h, w, C]`` (or ``[h, w]`` classes) → uint8 class map.

    ``size=None`` keeps the model's resolution (what the live camera view colours). A ``size``
    follows the evaluator's protocol: logits are dequantized, resized (bilinear, aligned
    corners) and then argmaxed; class outputs are resized with nearest neighbour.
    """
    spec = meta["output"]
    output = np.asarray(output)
    if spec["kind"] == "classes":
        classes = (output[..., 0] if output.ndim == 3 else output).astype(np.uint8)
        return classes if size is None else resize_nearest(classes, size)
    quantization = _quantization(spec.get("quantization"))
    if size is None:
        return argmax(output)
    logits = output if quantization is None else dequantize(output, quantization)
    return argmax(resize_bilinear(logits, size))


def opacity_alpha(opacity: float) -> int:
    """Opacity in [0, 1] (clamped; NaN counts as 0) → alpha 0..255: ``floor(opacity * 255 + 0.5)``."""
    opacity = float(opacity)
    return int(np.floor((min(opacity, 1.0) if opacity > 0 else 0.0) * 255.0 + 0.5))


def _colors(classes: np.ndarray, palette: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(RGB per pixel, mask of the pixels whose class has a palette colour)."""
    table = np.zeros((256, 1, 3), np.uint8)
    table[:len(palette), 0] = np.asarray(palette, np.uint8).reshape(-1, 3)
    classes = np.ascontiguousarray(classes, np.uint8)
    return cv2.LUT(cv2.merge([classes] * 3), table), classes < len(palette)


def colorize(classes: np.ndarray, palette: Sequence[Sequence[int]], alpha: int) -> np.ndarray:
    """Class map ``[H, W]`` → uint8 RGBA ``[H, W, 4]``; uncoloured pixels are (0, 0, 0, 0)."""
    rgb, known = _colors(classes, palette)
    out = np.zeros((*rgb.shape[:2], 4), np.uint8)
    out[..., :3] = np.where(known[..., None], rgb, 0)
    out[..., 3] = np.where(known, alpha, 0)
    return out


def blend(image: np.ndarray, classes: np.ndarray, palette: Sequence[Sequence[int]],
          alpha: int) -> np.ndarray:
    """uint8 RGB image ``[H, W, 3]`` with its class colours laid over it at ``alpha`` (0..255).

    ``(colour * alpha + pixel * (255 - alpha) + 127) // 255`` equals ``round((colour * alpha +
    pixel * (255 - alpha)) / 255)`` (255 is odd: no value lies half-way), which is what
    ``cv2.addWeighted`` computes: the same bytes for every colour, pixel and alpha (tested over
    all of them), one pass at video rates.
    """
    image = np.asarray(image, np.uint8)
    if image.shape[:2] != np.shape(classes):
        raise ValueError(f"image {image.shape[:2]} and class map {np.shape(classes)} differ in size")
    rgb, known = _colors(classes, palette)
    mixed = cv2.addWeighted(rgb, alpha / 255.0, image, (255 - alpha) / 255.0, 0.0)
    return mixed if known.all() else np.where(known[..., None], mixed, image)
