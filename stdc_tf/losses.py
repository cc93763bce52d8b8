"""STDC training losses, computed the way the reference (MichaelFan01/STDC-Seg) computes them.

Total loss = OHEM(out) + OHEM(out16) + OHEM(out32) + BCE(detail) + Dice(detail), all weights 1.

OHEM cross-entropy (reference ``loss/loss.py``)
    Per-pixel softmax cross-entropy; pixels labelled ``ignore_index`` get loss 0 but still take
    part in the selection. With ``thresh = -ln(0.7)`` and ``n_min`` = 1/16 of the local batch's
    pixels: if the (n_min+1)-th largest loss is > thresh, average all losses > thresh, else average
    the n_min largest. The reference hard-codes ``n_min`` from the crop size (16·512·1024/16 per
    GPU); here it comes from the label tensor's (dynamic) shape, which is the same 1/16 and stays
    right for any crop or per-replica batch.

Detail aggregation loss (reference ``loss/detail_loss.py``)
    A binary boundary target is built from the trainId label map itself (ignore value 255
    included): a 3×3 Laplacian (centre 8, neighbours -1) with zero padding 1 at strides 1, 2 and
    4 (output i centred on input pixel i·s, as PyTorch's explicit padding gives), each clamped at
    0; the stride-2/4 maps are upsampled to full size with PyTorch's legacy ``nearest``
    (src = floor(dst · in / out): an s×s block per value whenever the size is divisible by s, and
    for every size when s = 2); each map is binarized at 0.1, the three are fused with a 1×1
    kernel and binarized at 0.1 again. The detail logits, upsampled with bilinear
    ``align_corners=True``, are scored with BCE-with-logits (mean over every pixel, no ignore
    mask) plus a per-image Dice loss on their sigmoid. Quirks kept on purpose because the reference
    trains with them: the boundary sits on the side with the larger trainId (negative Laplacian
    responses are clamped away), so the 255 side of a class/ignore border is positive; zero
    padding makes the image border a boundary for every class except 0.

Fuse kernel: the constant [0.6, 0.3, 0.1] (:data:`DETAIL_FUSE_WEIGHTS`)
    The reference declares it an ``nn.Parameter``, but the fused map is overwritten in place by the
    thresholding, so its gradient is exactly zero; it sits in an SGD group with weight decay 5e-4,
    so in the reference it only shrinks geometrically (to about [0.13, 0.06, 0.02] by iteration
    60k): stride-2 edges stop counting on their own after ~29k iterations and together with
    stride-4 edges after ~41k, leaving the stride-1 edge map alone. We follow mmsegmentation and
    keep the initial weights constant: with them the target is (stride-1 edge) OR (stride-2
    edge); a stride-4 edge alone fuses to exactly 0.1, which is not > 0.1, so the stride-4 map
    never changes the target (it is still computed, for other weights). The alternative,
    reproducing the decay, is to pass the decayed weights as ``fuse_weights`` to
    :func:`detail_targets` (e.g. from a trainer-side variable updated like the reference's SGD).

Departures from the reference, all in degenerate cases where it yields NaN or fails:
    ``n_min`` is at least 1 (for batches under 16 pixels the reference's n_min is 0 and it can
    average an empty selection), and every mean over an empty batch (e.g. a replica that gets no examples from a
    partial global batch) is 0.

The bilinear ``align_corners`` resize is written as two matmuls
(:func:`resize_bilinear_align_corners`) instead of ``tf.compat.v1.image.resize_bilinear``: same
values, but XLA (``jit_compile=True``) lowers that op wrongly for some sizes.

All functions take NHWC tensors, work eagerly, inside ``tf.function`` with unknown shapes and
per replica under ``tf.distribute``, accept float16/bfloat16 logits (computation is float32) and
return float32 means over the **local** batch; the trainer divides by the number of replicas.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import tensorflow as tf

from stdc_tf.conventions import DETAIL_OUTPUT_KEYS, IGNORE_INDEX, SEG_OUTPUT_KEYS

OHEM_SCORE_THRESH = 0.7
OHEM_MIN_KEPT_DIVISOR = 16
DETAIL_THRESHOLD = 0.1
DETAIL_FUSE_WEIGHTS = (0.6, 0.3, 0.1)
DETAIL_TARGET_STRIDES = (1, 2, 4)

_LAPLACIAN = ((-1.0, -1.0, -1.0),
              (-1.0, 8.0, -1.0),
              (-1.0, -1.0, -1.0))


def _label_map(labels: tf.Tensor) -> tf.Tensor:
    """Return labels as [B, H, W], accepting the [B, H, W, 1] layout of image pipelines."""
    labels = tf.convert_to_tensor(labels)
    if labels.shape.rank == 4:
        labels = tf.squeeze(labels, axis=-1)
    if labels.shape.rank != 3:
        raise ValueError(f"labels must be [B, H, W] or [B, H, W, 1], got shape {labels.shape}")
    return labels


def _safe_mean(total: tf.Tensor, count: tf.Tensor) -> tf.Tensor:
    """``total / count``, and 0 instead of NaN when nothing was counted (empty local batch)."""
    return tf.math.divide_no_nan(total, tf.cast(count, tf.float32))


def ohem_cross_entropy(labels: tf.Tensor,
                       logits: tf.Tensor,
                       score_thresh: float = OHEM_SCORE_THRESH,
                       ignore_index: int = IGNORE_INDEX,
                       min_kept_divisor: int = OHEM_MIN_KEPT_DIVISOR) -> tf.Tensor:
    """Online hard example mining cross-entropy of the reference's ``OhemCELoss``.

    Args:
      labels: int [B, H, W] or [B, H, W, 1]; values in [0, C) or ``ignore_index``.
      logits: [B, H, W, C] at the label resolution, any float dtype.
      score_thresh: a pixel is hard when its true-class probability is below this, i.e. its loss
        exceeds ``-ln(score_thresh)``.
      ignore_index: label whose pixels get loss 0 (they still count in the sort and in n_min).
      min_kept_divisor: ``n_min = max(1, num_pixels // min_kept_divisor)``.

    Returns:
      Scalar float32 loss.
    """
    labels = _label_map(labels)
    logits = tf.cast(logits, tf.float32)
    valid = tf.not_equal(labels, ignore_index)
    safe_labels = tf.where(valid, tf.cast(labels, tf.int32), 0)
    pixel_loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe_labels, logits=logits)
    losses = tf.reshape(tf.where(valid, pixel_loss, 0.0), [-1])
    # Same float32 value as the reference's -torch.log(torch.tensor(0.7)).
    thresh = -tf.math.log(tf.constant(score_thresh, tf.float32))

    num_pixels = tf.size(losses)
    n_min = tf.minimum(tf.maximum(num_pixels // min_kept_divisor, 1), num_pixels)
    hard = losses > thresh
    num_hard = tf.reduce_sum(tf.cast(hard, tf.int32))

    # "sorted[n_min] > thresh" holds exactly when more than n_min losses exceed thresh, so the
    # common case (many hard pixels) needs no sort; only the other branch selects the top n_min.
    # With exactly n_min hard pixels both branches keep the same pixels; taking the sort-free one
    # there also covers an empty batch (n_min = 0), where top_k's gradient fails.
    def mean_of_hard() -> tf.Tensor:
        return _safe_mean(tf.reduce_sum(tf.where(hard, losses, 0.0)), num_hard)

    def mean_of_top_n_min() -> tf.Tensor:
        return _safe_mean(tf.reduce_sum(tf.math.top_k(losses, k=n_min, sorted=False).values),
                          n_min)

    return tf.cond(num_hard >= n_min, mean_of_hard, mean_of_top_n_min)


def strided_laplacian(label_map: tf.Tensor, stride: int) -> tf.Tensor:
    """Clamped Laplacian response of a float [B, H, W, 1] map, with PyTorch conv semantics.

    Zero padding of exactly 1 on every side followed by a 'valid' conv, so output pixel i is
    centred on input pixel i·stride and the output size is ceil(H / stride); TF's 'same' padding
    would pad only bottom/right for even sizes and shift the grid by one pixel.
    """
    kernel = tf.reshape(tf.constant(_LAPLACIAN, tf.float32), [3, 3, 1, 1])
    response = tf.nn.conv2d(label_map, kernel, strides=stride,
                            padding=[[0, 0], [1, 1], [1, 1], [0, 0]])
    return tf.nn.relu(response)


def detail_targets(labels: tf.Tensor,
                   fuse_weights: Sequence[float] | tf.Tensor = DETAIL_FUSE_WEIGHTS,
                   threshold: float = DETAIL_THRESHOLD) -> tf.Tensor:
    """Binary boundary target [B, H, W, 1] float32 of the reference's ``DetailAggregateLoss``.

    Args:
      labels: trainId map, int [B, H, W] or [B, H, W, 1]; 255 is used as a value, not ignored.
      fuse_weights: 1×1 fusion weights for the (stride 1, 2, 4) maps. The default is the
        reference's constant initial value; see the module docstring for the alternative.
      threshold: binarization threshold applied to every map and to the fused map.
    """
    label_map = tf.cast(_label_map(labels), tf.float32)[..., tf.newaxis]
    size = tf.shape(label_map)[1:3]
    levels = []
    for stride in DETAIL_TARGET_STRIDES:
        response = strided_laplacian(label_map, stride)
        if stride > 1:
            # PyTorch's legacy 'nearest' (the reference's F.interpolate default), not a block
            # fill: the two differ for stride 4 when H or W is not divisible by 4.
            response = tf.raw_ops.ResizeNearestNeighbor(
                images=response, size=size, align_corners=False, half_pixel_centers=False)
        levels.append(tf.cast(response > threshold, tf.float32))
    # The reference's 1×1 fuse conv, written as a weighted channel sum: TF's Conv2D returns its
    # input unchanged for an empty batch, which would give a 3-channel "target".
    weights = tf.reshape(tf.cast(fuse_weights, tf.float32), [len(DETAIL_TARGET_STRIDES)])
    fused = tf.reduce_sum(tf.concat(levels, axis=-1) * weights, axis=-1, keepdims=True)
    return tf.cast(fused > threshold, tf.float32)


def _align_corners_matrix(size_in: tf.Tensor, size_out: tf.Tensor) -> tf.Tensor:
    """[size_out, size_in] linear-interpolation weights with ``align_corners=True`` semantics.

    Output j samples input coordinate ``j · (in - 1) / (out - 1)`` (0 when out == 1), as PyTorch's
    and TF1's ``align_corners`` bilinear do; each row holds the two lerp weights.
    """
    scale = tf.where(size_out > 1,
                     tf.cast(size_in - 1, tf.float32) / tf.cast(tf.maximum(size_out - 1, 1),
                                                                tf.float32),
                     0.0)
    src = tf.cast(tf.range(size_out), tf.float32) * scale
    low = tf.minimum(tf.cast(tf.floor(src), tf.int32), size_in - 1)
    high = tf.minimum(low + 1, size_in - 1)
    frac = (src - tf.cast(low, tf.float32))[:, tf.newaxis]
    return (tf.one_hot(low, size_in) * (1.0 - frac)) + (tf.one_hot(high, size_in) * frac)


def resize_bilinear_align_corners(images: tf.Tensor, size: tf.Tensor) -> tf.Tensor:
    """Bilinear ``align_corners=True`` resize of float32 NHWC ``images`` to ``size`` (h, w).

    Same values as ``tf.compat.v1.image.resize_bilinear(..., align_corners=True)`` (and PyTorch's
    ``F.interpolate(mode='bilinear', align_corners=True)``), written as two small matmuls because
    XLA (``jit_compile=True``) lowers that op wrongly for some sizes: TF 2.21 on CPU is off by
    O(1) for 8×16 → 64×128.
    """
    shape = tf.shape(images)
    rows = _align_corners_matrix(shape[1], size[0])
    cols = _align_corners_matrix(shape[2], size[1])
    resized = tf.einsum("bhwc,Ww->bhWc", images, cols)
    return tf.einsum("Hh,bhWc->bHWc", rows, resized)


def detail_loss(targets: tf.Tensor, logits: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """BCE and Dice of detail logits against :func:`detail_targets`' output.

    Args:
      targets: float [B, H, W, 1] binary boundary map at the label resolution.
      logits: [B, h, w, 1] detail logits at any stride; they are resized to H×W with bilinear
        ``align_corners=True`` (the reference's ``F.interpolate``; the identity when the sizes
        already match).

    Returns:
      ``(bce, dice)``: BCE-with-logits averaged over every pixel, and the per-image Dice loss
      ``1 - (2·Σpt + 1) / (Σp + Σt + 1)`` on ``p = sigmoid(logits)`` averaged over the batch.
    """
    targets = tf.cast(targets, tf.float32)
    logits = resize_bilinear_align_corners(tf.cast(logits, tf.float32), tf.shape(targets)[1:3])
    bce_map = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
    bce = _safe_mean(tf.reduce_sum(bce_map), tf.size(bce_map))

    probs = tf.sigmoid(logits)
    intersection = tf.reduce_sum(probs * targets, axis=[1, 2, 3])
    denominator = tf.reduce_sum(probs, axis=[1, 2, 3]) + tf.reduce_sum(targets, axis=[1, 2, 3])
    per_image = 1.0 - (2.0 * intersection + 1.0) / (denominator + 1.0)
    dice = _safe_mean(tf.reduce_sum(per_image), tf.size(per_image))
    return bce, dice


def stdc_loss(labels: tf.Tensor, outputs: Mapping[str, tf.Tensor],
              fuse_weights: Sequence[float] | tf.Tensor = DETAIL_FUSE_WEIGHTS) -> dict[str, tf.Tensor]:
    """All STDC loss terms for one (local) batch, plus their sum.

    Args:
      labels: int [B, H, W] or [B, H, W, 1] trainId map of the crop.
      outputs: ``out`` (required), ``out16``, ``out32``: [B, H, W, C] logits at the label
        resolution; any of ``detail2``, ``detail4``, ``detail8``, ``detail16``: [B, H/s, W/s, 1]
        detail logits (the released models train ``detail8`` only). Other keys are rejected so a
        misnamed head cannot silently drop out of the loss.
      fuse_weights: the detail targets' fuse kernel (:func:`detail_targets`).

    Returns:
      ``ohem_<key>`` for each segmentation output, ``<key>_bce`` and ``<key>_dice`` for each
      detail output, and ``total`` (their unweighted sum, as in the reference); float32 scalars.
    """
    unknown = set(outputs) - set(SEG_OUTPUT_KEYS) - set(DETAIL_OUTPUT_KEYS)
    if unknown:
        raise ValueError(f"unknown output keys {sorted(unknown)}; expected some of "
                         f"{SEG_OUTPUT_KEYS + DETAIL_OUTPUT_KEYS}")
    if SEG_OUTPUT_KEYS[0] not in outputs:
        raise ValueError("outputs must contain the main logits 'out'")

    terms: dict[str, tf.Tensor] = {}
    for key in SEG_OUTPUT_KEYS:
        if key in outputs:
            terms[f"ohem_{key}"] = ohem_cross_entropy(labels, outputs[key])
    detail_keys = [key for key in DETAIL_OUTPUT_KEYS if key in outputs]
    if detail_keys:
        # The target depends on the labels only: build it once for every detail head.
        targets = detail_targets(labels, fuse_weights)
        for key in detail_keys:
            terms[f"{key}_bce"], terms[f"{key}_dice"] = detail_loss(targets, outputs[key])
    terms["total"] = tf.add_n(list(terms.values()))
    return terms
