"""The accuracy protocol, the same for every runtime: resize, predict, resize back, argmax, score.

Single scale (the reference's protocol, stdc-reference §5.1): the image is resized by the scale
(bilinear, aligned corners) to ``(int(H*s), int(W*s))``, the predictor's logits are resized back
to the label size (bilinear, aligned corners) and the argmax is scored. The image is resized as
float and normalized by the predictor afterwards, which equals resizing the normalized tensor as
the reference does (normalization is per-channel affine, bilinear weights sum to one).

Multi-scale and flip (``scales=(0.5, ..., 1.75), flip=True``, mmseg/PaddleSeg's "ms+flip"):
softmax probabilities at label size are averaged over every scale and flip before the argmax.

A predictor with a fixed input size (most exported artifacts) gets each image resized straight
to that size, one bilinear aligned-corners resize instead of scaling and then resizing again;
when an explicit scale asks for another size a warning says so (with no scale given, the input
size is the protocol). Multi-scale needs a predictor that takes
any size. A predictor that outputs a class map (argmax inside the model) is resized back with
nearest neighbour and supports a single scale without flip only.

Throughput leaves out the first batch (graph tracing, delegate and allocator warm-up) unless it
is the only one. ``images_per_s`` covers the whole loop (decoding, resizing, scoring);
``model_images_per_s`` only the predictor's calls.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.data.datasets import SegDataset
from stdc_tf.data.labels import DatasetInfo
from stdc_tf.errors import StdcError
from stdc_tf.evaluation.metrics import ConfusionMatrix, summarize
from stdc_tf.progress import Progress
from stdc_tf.runtime import Predictor
from stdc_tf.visualize import resize_nearest

log = logging.getLogger(__name__)


class EvaluationError(StdcError, ValueError):
    """The protocol cannot be applied: options that contradict the model, mismatched files, ..."""


@dataclass
class EvalResult:
    """Everything an evaluation measured; :mod:`stdc_tf.evaluation.outputs` writes it out."""

    hist: np.ndarray                 # hist[gt, pred] (an extra last column: void predictions)
    class_names: list[str]
    num_images: int
    seconds: float
    images_per_s: float
    source: dict[str, Any]           # the artifact (path, size, runtime, ...) or prediction folder
    protocol: dict[str, Any]
    model_images_per_s: float | None = None
    summary: dict[str, Any] = field(init=False)

    def __post_init__(self):
        self.summary = summarize(self.hist, self.class_names)


class Throughput:
    """Images/s of a loop, overall and inside the model, leaving out the first batch if more follow."""

    def __init__(self):
        self.images = 0
        self._start = time.perf_counter()
        self._model_seconds = 0.0
        self._first: tuple[float, int, float] | None = None   # (end time, images, model seconds)

    def batch_done(self, num_images: int, model_seconds: float = 0.0) -> None:
        self.images += num_images
        self._model_seconds += model_seconds
        if self._first is None:
            self._first = (time.perf_counter(), self.images, self._model_seconds)

    def seconds(self) -> float:
        return time.perf_counter() - self._start

    def _timed(self) -> tuple[float, int, float]:
        """(start, images before it, model seconds before it) of the timed part."""
        if self._first is not None and self.images > self._first[1]:
            return self._first
        return self._start, 0, 0.0

    def images_per_s(self) -> float:
        since, done, _ = self._timed()
        return (self.images - done) / max(time.perf_counter() - since, 1e-9)

    def model_images_per_s(self) -> float | None:
        _, done, model_done = self._timed()
        seconds = self._model_seconds - model_done
        return (self.images - done) / seconds if seconds > 0 else None


def resolve_scales(scales: Sequence[float] | None, flip: bool,
                   predictor: Predictor) -> tuple[float | None, ...]:
    """Check the protocol options against the predictor.

    ``None`` means no scale was asked for: ``(None,)`` (straight to the input size) for a
    fixed-size predictor, else a single scale of 1.
    """
    if not scales:
        return (None,) if predictor.input_size is not None else (1.0,)
    scales = tuple(scales)
    if any(s <= 0 for s in scales):
        raise EvaluationError(f"scales must be positive, got {', '.join(map(str, scales))}")
    several = len(scales) > 1
    if predictor.output_kind == "classes" and (several or flip):
        raise EvaluationError(f"{_name(predictor)} outputs a class map, so it cannot average "
                              f"probabilities: use a single scale without flip")
    if predictor.input_size is not None and several:
        h, w = predictor.input_size
        raise EvaluationError(f"{_name(predictor)} has a fixed {h}x{w} input, so every scale would "
                              f"give the same input: multi-scale needs a model that takes any size")
    return scales


def evaluate(predictor: Predictor, dataset: SegDataset, scales: Sequence[float] | None = None, flip: bool = False,
             batch_size: int = 1, progress: bool = True, skip_bad_samples: Any = False,
             save_predictions: str | Path | None = None, ids: str = "trainIds") -> EvalResult:
    """Score ``predictor`` on ``dataset`` with the protocol of the module docstring.

    ``scales=None``: a single scale of 1, or straight to a fixed-size predictor's input size
    (no warning). Batches need
    images of one size; batch 1 works for any dataset. ``skip_bad_samples`` (``True`` or a
    :class:`stdc_tf.data.pipeline.BadSamples`) leaves unreadable files out instead of stopping.
    ``save_predictions``: a folder that receives each image's prediction as a label PNG
    (:mod:`stdc_tf.evaluation.label_files`, ``ids`` trainIds or labelIds), scoreable later with
    ``--predictions``.
    """
    from stdc_tf.data.pipeline import eval_dataset, iterate_with_clear_errors
    from stdc_tf.evaluation.label_files import check_ids, label_file_name, write_label_png

    scales = resolve_scales(scales, flip, predictor)
    info = dataset.info
    if save_predictions is not None:
        check_ids(ids, info)
    matrix = ConfusionMatrix(info.num_classes, info.ignore_index)
    warned: set[tuple] = set()
    clock = Throughput()
    with Progress(len(dataset), f"eval {predictor.runtime}", "img", enabled=progress) as bar:
        for keys, images, labels in iterate_with_clear_errors(
                eval_dataset(dataset, batch_size, skip_bad_samples, keys=True)):
            preds, model_seconds = predict_classes(predictor, images, tuple(labels.shape[1:3]),
                                                   scales, flip, info, warned)
            matrix.update(labels.numpy(), preds)
            for key, pred in zip(keys.numpy() if save_predictions is not None else (), preds):
                image = dataset.samples[int(key)].image
                write_label_png(Path(save_predictions) / label_file_name(image.stem, ids), pred, ids)
            clock.batch_done(len(labels), model_seconds)
            bar.update(len(labels), mIoU=f"{100 * matrix.miou():.2f}")
    classes = predictor.output_kind == "classes"
    protocol = {"scales": None if scales == (None,) else list(scales), "flip": flip, "batch_size": batch_size,
                "input_size": list(predictor.input_size) if predictor.input_size else None,
                "image_resize": "bilinear, align_corners=True",
                "output_resize": "nearest (class-map output)" if classes
                else "bilinear, align_corners=True",
                "combine": "argmax" if len(scales) == 1 and not flip
                else "argmax of the mean softmax probabilities"}
    return EvalResult(matrix.hist, list(info.class_names), clock.images, clock.seconds(),
                      clock.images_per_s(), predictor.describe(), protocol,
                      model_images_per_s=clock.model_images_per_s())


def predict_classes(predictor: Predictor, images, label_size: tuple[int, int],
                    scales: Sequence[float | None], flip: bool, info: DatasetInfo,
                    warned: set[tuple]) -> tuple[np.ndarray, float]:
    """Class map ``[N, *label_size]`` for uint8 ``images`` under the protocol (module docstring),
    and the seconds spent inside the predictor. ``warned`` remembers the size warnings given."""
    import tensorflow as tf

    probs, model_seconds = None, 0.0
    for scale in scales:
        x = model_input(predictor, images, scale, warned)
        for flipped in (False, True) if flip else (False,):
            started = time.perf_counter()
            out = predictor.predict(x[:, :, ::-1] if flipped else x)
            model_seconds += time.perf_counter() - started
            check_classes(out, predictor, info)
            if len(scales) == 1 and not flip:
                return class_map(predictor, out, label_size), model_seconds
            out = tf.reverse(out, [2]) if flipped else tf.convert_to_tensor(out)
            p = tf.nn.softmax(_resize(out, label_size, "bilinear"), axis=-1)
            probs = p if probs is None else probs + p
    return tf.argmax(probs, axis=-1).numpy(), model_seconds


def model_input(predictor: Predictor, images, scale: float | None, warned: set[tuple],
                size: tuple[int, int] | None = None) -> np.ndarray:
    """uint8 images ``[N, H, W, 3]`` → float32 at the model's input size for one ``scale``
    (``None``: the predictor's fixed size), bilinear with aligned corners; ``size`` forces the
    size of a predictor that takes any."""
    import tensorflow as tf

    size = size or _input_size(predictor, tuple(images.shape[1:3]), scale, warned)
    if tuple(images.shape[1:3]) == tuple(size):
        return np.asarray(images, np.float32)
    # the op reads uint8 as float itself: the same values as casting first, without a float copy
    return np.asarray(tf.raw_ops.ResizeBilinear(images=images, size=size, align_corners=True,
                                                half_pixel_centers=False))


def class_map(predictor: Predictor, out: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """One scale's model output (logits or a class map) → the class map ``[N, *size]``: logits
    resized bilinear with aligned corners and argmaxed, class maps resized nearest."""
    if predictor.output_kind == "classes":   # TensorFlow's legacy nearest, in numpy (no op overhead)
        out = np.asarray(out)
        small = out.astype(np.uint8) if out.size and 0 <= out.min() and out.max() < 256 else out
        return np.stack([resize_nearest(c, size) for c in small])
    import tensorflow as tf

    return np.asarray(tf.argmax(_resize(tf.convert_to_tensor(out), size, "bilinear"), axis=-1,
                                output_type=tf.int32))


def _name(predictor: Predictor) -> str:
    return f"model {predictor.path}" if predictor.path else f"the {predictor.runtime} model"


def scaled_size(image_size: tuple[int, int], scale: float) -> tuple[int, int]:
    """The model input for ``image_size`` images at ``scale`` (as the reference: truncated)."""
    return int(image_size[0] * scale), int(image_size[1] * scale)


def _input_size(predictor: Predictor, image_size: tuple[int, int], scale: float | None,
                 warned: set[tuple]) -> tuple[int, int]:
    """``int(size * scale)``, or the predictor's fixed size (with a warning if they differ)."""
    fixed = predictor.input_size
    if scale is None:
        return fixed
    wanted = scaled_size(image_size, scale)
    if min(wanted) < 1:
        raise EvaluationError(f"scale {scale:g} makes {image_size[0]}x{image_size[1]} images "
                              f"{wanted[0]}x{wanted[1]}: nothing left to segment")
    if fixed is None or fixed == wanted:
        return wanted
    if (wanted, fixed) not in warned:
        warned.add((wanted, fixed))
        log.warning("%s takes %dx%d inputs; scale %g of %dx%d images asks for %dx%d, so the "
                    "images are resized to %dx%d instead", _name(predictor), *fixed, scale,
                    *image_size, *wanted, *fixed)
    return fixed


def _resize(x, size: tuple[int, int], mode: str):
    """NHWC resize with the reference's semantics; a no-op at the same size."""
    from stdc_tf.models.layers import resize_like

    return x if tuple(x.shape[1:3]) == tuple(size) else resize_like(x, size, mode)


def check_classes(out: np.ndarray, predictor: Predictor, info: DatasetInfo) -> None:
    """The model's classes must be the dataset's: same count of logits, class ids in range."""
    n = info.num_classes
    if predictor.output_kind == "logits" and out.shape[-1] != n:
        raise EvaluationError(f"{_name(predictor)} outputs {out.shape[-1]} classes but dataset "
                              f"{info.name!r} has {n}")
    if predictor.output_kind == "classes" and (out.min() < 0 or out.max() >= n):
        bad = out[(out < 0) | (out >= n)][0]
        raise EvaluationError(f"{_name(predictor)} predicted class {int(bad)}, outside dataset "
                              f"{info.name!r}'s 0..{n - 1}")
