"""tf.data input pipelines: the reference's training augmentation and full-resolution evaluation.

Files are decoded with OpenCV/PIL inside ``tf.numpy_function`` (so a bad file can be reported by
name) and augmented with TF ops in parallel. Every random draw is a stateless op seeded from
``(seed, input pipeline, element number)``, so the same seed gives the same batches, whatever the
number of parallel calls.

Bad files raise :class:`DataError` inside the pipeline. TensorFlow re-raises it as a
``tf.errors.OpError`` whose text holds the original one-line message; iterate through
:func:`iterate_with_clear_errors` to get the :class:`DataError` itself back. With
``skip_bad_samples`` a bad file is logged (warning, with its name) and left out instead.

The file decoders (``read_image``, ``read_label``) live in the TF-free :mod:`stdc_tf.data.datasets`.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import tensorflow as tf

from stdc_tf.conventions import IGNORE_INDEX, REFERENCE_SCALES
from stdc_tf.data.datasets import DataError, SegDataset, read_image, read_label
from stdc_tf.errors import shown
from stdc_tf.models.preprocessing import normalize

__all__ = ["REFERENCE_SCALES", "BadSamples", "DataError", "color_jitter", "eval_dataset", "iterate_with_clear_errors",
           "train_dataset"]

log = logging.getLogger(__name__)

JITTER_RANGE = (0.5, 1.5)   # brightness, contrast and saturation factors
_GRAY_WEIGHTS = (0.299, 0.587, 0.114)   # PIL's "L" conversion


class BadSamples:
    """Skips unreadable samples of one split, counts them, and stops when there are too many.

    More than ``max_fraction`` of the split's files unreadable (or all of them, whatever the
    fraction) is a :class:`DataError`: a pipeline that filters every sample away would otherwise
    wait forever for its first batch.
    """

    def __init__(self, total: int, max_fraction: float = 1.0, what: str = "split"):
        self.total, self.max_fraction, self.what = total, max_fraction, what
        self.files: dict[str, str] = {}
        self._lock = threading.Lock()

    def record(self, path: str, error: DataError) -> None:
        with self._lock:
            new = path not in self.files
            self.files[path] = str(error)
            count = len(self.files)
        if new:
            log.warning("skipping bad sample: %s", error)
        if count >= self.total or count > self.max_fraction * self.total:
            raise DataError(f"{count} of the {self.total} files of the {self.what} are unreadable "
                            f"(more than {self.max_fraction:.0%}): {shown(sorted(self.files))}")


def _load_pair(image_path: bytes, label_path: bytes, label_lut: np.ndarray | None,
               num_classes: int, bad: BadSamples | None) -> tuple[np.ndarray, np.ndarray]:
    """Read and check one sample; a skipped bad sample comes back as empty arrays."""
    image_path, label_path = image_path.decode(), label_path.decode()
    try:
        image = read_image(image_path)
        label = read_label(label_path, label_lut)
        if image.shape[:2] != label.shape:
            raise DataError(f"label {label_path} is {label.shape[0]}x{label.shape[1]} (HxW) but "
                            f"its image {image_path} is {image.shape[0]}x{image.shape[1]}")
        bad = (label >= num_classes) & (label != IGNORE_INDEX)
        if bad.any():
            raise DataError(f"label {label_path} holds value {int(label[bad][0])}, which is neither "
                            f"a class index (0..{num_classes - 1}) nor the ignore value {IGNORE_INDEX}")
    except DataError as e:
        if bad is None:
            raise
        bad.record(image_path, e)
        return np.zeros((0, 0, 3), np.uint8), np.zeros((0, 0), np.uint8)
    return image, label


def _decoded(files: tf.data.Dataset, ds: SegDataset, bad: BadSamples | None) -> tf.data.Dataset:
    """``(key, image_path, label_path)`` → ``(key, uint8 image [H,W,3], uint8 label [H,W,1])``."""
    def load(key, image_path, label_path):
        image, label = tf.numpy_function(
            lambda i, l: _load_pair(i, l, ds.label_lut, ds.info.num_classes, bad),
            [image_path, label_path], [tf.uint8, tf.uint8], stateful=False)
        image.set_shape([None, None, 3])
        label.set_shape([None, None])
        return key, image, label[..., None]

    decoded = files.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if bad is not None:
        decoded = decoded.filter(lambda key, image, label: tf.size(label) > 0)
    return decoded


def _bad_samples(skip: bool | BadSamples, total: int, what: str) -> BadSamples | None:
    if isinstance(skip, BadSamples):
        return skip
    return BadSamples(total, what=what) if skip else None


def _file_tensors(ds: SegDataset, shard: int = 0, num_shards: int = 1) -> tuple[tf.Tensor, tf.Tensor]:
    samples = ds.samples[shard::num_shards]
    if not samples:
        raise ValueError(f"input pipeline {shard} of {num_shards} gets no files: the dataset has "
                         f"only {len(ds.samples)} samples")
    return (tf.constant([str(s.image) for s in samples]), tf.constant([str(s.label) for s in samples]))


def color_jitter(image: tf.Tensor, seed: tf.Tensor,
                 factor_range: tuple[float, float] = JITTER_RANGE,
                 whole: tf.Tensor | None = None) -> tf.Tensor:
    """PIL ImageEnhance Brightness → Contrast → Color, each factor uniform in ``factor_range``.

    Float math, clipped to 0..255 after each step like PIL (which also rounds to uint8 there).
    Contrast blends towards the mean grey of the whole (brightened) image; ``whole`` is that
    image (or a subsample of it) when ``image`` is only a crop of it.
    """
    lo, hi = factor_range
    b, c, s = tf.unstack(tf.random.stateless_uniform([3], seed, lo, hi))
    gray = lambda x: tf.tensordot(x, tf.constant(_GRAY_WEIGHTS), axes=[[-1], [0]])[..., None]
    blend = lambda base, x, f: tf.clip_by_value(base + f * (x - base), 0.0, 255.0)
    brighten = lambda x: tf.clip_by_value(tf.cast(x, tf.float32) * b, 0.0, 255.0)
    image = brighten(image)
    mean = tf.reduce_mean(gray(image if whole is None else brighten(whole)))
    image = blend(mean, image, c)
    return blend(gray(image), image, s)


def _resize_image(image: tf.Tensor, size: tf.Tensor) -> tf.Tensor:
    """Bilinear to ``size`` (float32): antialiased when shrinking (PIL's BILINEAR filters then too);
    when enlarging the antialiasing filter equals plain bilinear and costs 5x, so it is skipped."""
    shrinking = tf.reduce_any(size < tf.shape(image)[:2])
    return tf.cond(shrinking, lambda: tf.image.resize(image, size, "bilinear", antialias=True),
                   lambda: tf.image.resize(image, size, "bilinear"))


def _nearest_indices(n_in: tf.Tensor, n_out: tf.Tensor, start: tf.Tensor, count: int) -> tf.Tensor:
    """Source rows of output rows ``start …`` of TF's nearest resize (half-pixel centres)."""
    out = tf.cast(tf.range(start, start + count), tf.float32)
    src = tf.floor((out + 0.5) * tf.cast(n_in, tf.float32) / tf.cast(n_out, tf.float32))
    return tf.minimum(tf.cast(src, tf.int32), n_in - 1)


def resized_crop(image: tf.Tensor, label: tf.Tensor, size: tf.Tensor, offset: tf.Tensor,
                 crop: tuple[int, int]) -> tuple[tf.Tensor, tf.Tensor]:
    """``image`` / ``label`` resized to ``size`` (antialiased bilinear / nearest), then cropped at
    ``offset`` — computed on the source window the crop needs, not on the whole resized image
    (a 1.5× Cityscapes image is 9× the crop). Same values as resizing everything and slicing:
    the window keeps a margin wider than the filter, and the resampler is the one
    ``tf.image.resize`` uses (``ScaleAndTranslate``, triangle kernel)."""
    in_size = tf.shape(image)[:2]
    scale = tf.cast(size, tf.float32) / tf.cast(in_size, tf.float32)
    start = tf.cast(offset, tf.float32)
    margin = tf.cast(tf.math.ceil(tf.maximum(1.0 / scale, 1.0)), tf.int32) + 2
    lo = tf.maximum(tf.cast(tf.floor(start / scale), tf.int32) - margin, 0)
    hi = tf.minimum(tf.cast(tf.math.ceil((start + tf.constant(crop, tf.float32)) / scale), tf.int32) + margin,
                    in_size)
    window = tf.cast(image[lo[0]:hi[0], lo[1]:hi[1]], tf.float32)
    resized = tf.raw_ops.ScaleAndTranslate(
        images=window[None], size=tf.constant(crop, tf.int32), scale=scale,
        translation=tf.cast(lo, tf.float32) * scale - start, kernel_type="triangle", antialias=True)[0]
    rows = _nearest_indices(in_size[0], size[0], offset[0], crop[0])
    cols = _nearest_indices(in_size[1], size[1], offset[1], crop[1])
    return resized, tf.gather(tf.gather(label, rows, axis=0), cols, axis=1)


def _augment(image: tf.Tensor, label: tf.Tensor, seed: tf.Tensor, crop_size: tuple[int, int],
             scales: tf.Tensor, base_size: tuple[int, int] | None) -> tuple[tf.Tensor, tf.Tensor]:
    """Horizontal flip → random scale → (up-resize if small) → random crop → colour jitter.

    The reference jitters first; every jitter step is per pixel except the contrast's mean grey,
    which is taken from every 4th pixel of the whole image, so jittering the crop instead of the
    full image (a 2048x1024 Cityscapes image is 4-36x the crop's area after scaling) gives the
    same result up to the clipping's interaction with the resize, at a fraction of the cost.
    """
    seeds = tf.random.experimental.stateless_split(seed, 4)
    whole = image[::4, ::4]

    flip = tf.random.stateless_uniform([], seeds[1]) < 0.5
    image = tf.cond(flip, lambda: tf.reverse(image, [1]), lambda: image)
    label = tf.cond(flip, lambda: tf.reverse(label, [1]), lambda: label)

    base = tf.constant(base_size, tf.float32) if base_size else tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.gather(scales, tf.random.stateless_uniform([], seeds[2], 0, scales.shape[0], tf.int32))
    size = tf.cast(base * scale, tf.int32)   # int() truncation, as the reference
    crop = tf.constant(crop_size, tf.int32)

    def offset_in(final: tf.Tensor) -> tf.Tensor:
        return tf.cast(tf.random.stateless_uniform([2], seeds[3]) * tf.cast(final - crop, tf.float32),
                       tf.int32)

    def small_scale():
        # The reference up-resizes a scaled image smaller than the crop in a second step, from the
        # scaled one: small scales give a blurred image with blocky labels, not a sharp view.
        # Reference: size * (crop / short side) + 1; the max ratio also covers other aspects.
        scaled = _resize_image(tf.cast(image, tf.float32), size)
        scaled_label = tf.image.resize(label, size, "nearest")
        up = tf.reduce_max(tf.cast(crop, tf.float32) / tf.cast(size, tf.float32))
        up_size = tf.cast(tf.cast(size, tf.float32) * up + 1.0, tf.int32)
        return resized_crop(scaled, scaled_label, up_size, offset_in(up_size), crop_size)

    image, label = tf.cond(tf.reduce_any(size < crop), small_scale,
                           lambda: resized_crop(image, label, size, offset_in(size), crop_size))
    image = color_jitter(image, seeds[0], whole=whole)
    image.set_shape([*crop_size, 3])
    label.set_shape([*crop_size, 1])
    return normalize(image), tf.cast(label[..., 0], tf.int32)


def _epoch_order(num_files: int, seed: int, repeat: bool) -> tf.data.Dataset:
    """File indices, reshuffled every epoch by a stateless shuffle seeded with (seed, epoch)."""
    epochs = tf.data.Dataset.counter() if repeat else tf.data.Dataset.range(1)
    return epochs.flat_map(lambda epoch: tf.data.Dataset.from_tensor_slices(
        tf.random.experimental.stateless_shuffle(tf.range(num_files, dtype=tf.int64),
                                                 tf.stack([tf.constant(seed, tf.int64), epoch]))))


def train_dataset(ds: SegDataset, batch_size: int, crop_size: tuple[int, int] = (512, 1024),
                  scales: Sequence[float] = REFERENCE_SCALES, base_size: tuple[int, int] | None = None,
                  seed: int = 0, skip_bad_samples: bool | BadSamples = False,
                  input_context: tf.distribute.InputContext | None = None,
                  repeat: bool = True) -> tf.data.Dataset:
    """Shuffled, augmented ``(float32 [B,h,w,3] normalized images, int32 [B,h,w] labels)`` batches.

    The reference recipe (colour jitter, flip, random scale, crop; see :func:`_augment`) with
    these deviations from its PIL ops: bilinear resizing is TF's antialiased bilinear (PIL's
    BILINEAR also antialiases when shrinking, but its filter support differs slightly); the
    jittered image stays float instead of being rounded to uint8 after each step; and a scaled
    image smaller than the crop is up-resized by the larger of the two crop/size ratios (the
    reference uses the short side's ratio, which is the same for crops of the image's aspect).

    ``scales`` are relative to ``base_size`` (h, w): every image is resized to ``int(s * base)``;
    ``None`` uses each image's own size (the reference's base is its 1024x2048 input).
    ``batch_size`` is per input pipeline: with ``input_context`` (from
    ``distribute_datasets_from_function``) pass ``input_context.get_per_replica_batch_size(global)``.
    The file list is sharded by ``input_context.input_pipeline_id``. Incomplete batches are
    dropped, as the reference's loader does. ``repeat=False`` gives one epoch.
    ``skip_bad_samples``: ``True`` or a :class:`BadSamples` (which also says how many are too many).
    """
    shard, num_shards = ((input_context.input_pipeline_id, input_context.num_input_pipelines)
                         if input_context else (0, 1))
    images, labels = _file_tensors(ds, shard, num_shards)
    scales = tf.constant(scales, tf.float32)
    base_seed = tf.constant([seed, shard], tf.int64)

    files = _epoch_order(len(images), seed, repeat).enumerate().map(
        lambda k, i: (k, images[i], labels[i]))

    def augment(k, image, label):
        element_seed = tf.random.experimental.stateless_fold_in(base_seed, k)
        return _augment(image, label, element_seed, crop_size, scales, base_size)

    bad = _bad_samples(skip_bad_samples, len(images), "training split")
    return (_decoded(files, ds, bad)
            .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(batch_size, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE))


def eval_dataset(ds: SegDataset, batch_size: int = 1,
                 skip_bad_samples: bool | BadSamples = False, keys: bool = False) -> tf.data.Dataset:
    """``(uint8 [B,H,W,3] un-normalized images, int32 [B,H,W] labels)`` at full resolution, in order.

    Images stay uint8 so that the evaluator can resize them the way it wants before
    normalizing. All images of a batch must share a size; batch 1 always works. ``keys=True``
    yields ``(int64 [B] sample indices, images, labels)``, so the samples that skipped bad files
    leave out can still be named.
    """
    images, labels = _file_tensors(ds)
    files = tf.data.Dataset.from_tensor_slices((tf.range(len(images), dtype=tf.int64), images, labels))
    bad = _bad_samples(skip_bad_samples, len(images), "evaluation split")
    return (_decoded(files, ds, bad)
            .map(lambda k, image, label: ((k,) if keys else ()) + (image, tf.cast(label[..., 0], tf.int32)))
            .batch(batch_size)
            .prefetch(tf.data.AUTOTUNE))


_DATA_ERROR = re.compile(re.escape(DataError.__name__) + r": ([^\n]*)")


def iterate_with_clear_errors(iterable: Iterable) -> Iterator:
    """Iterate a pipeline, turning TF's wrapped :class:`DataError` back into a ``DataError``."""
    iterator = iter(iterable)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except tf.errors.OpError as e:
            found = _DATA_ERROR.search(e.message)
            if found is None:
                raise
            raise DataError(found.group(1)) from None
        yield item
