"""Tests for stdc_tf.losses: hand-computed values, numpy restatements of the reference's PyTorch
ops (conv with padding 1, legacy nearest, bilinear align_corners) and, where PyTorch is installed,
a direct comparison with the reference's computation written in torch."""
from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from stdc_tf.losses import (
    SEG_OUTPUT_KEYS,
    detail_loss,
    detail_targets,
    ohem_cross_entropy,
    resize_bilinear_align_corners,
    stdc_loss,
    strided_laplacian,
)

THRESH = -math.log(0.7)
LAPLACIAN = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], np.float64)


# --------------------------------------------------------------------------------------------
# helpers
def logits_for_losses(losses: np.ndarray) -> np.ndarray:
    """Two-class logits whose CE against label 0 is exactly ``losses``: ln(1 + e^z) = L."""
    z = np.log(np.expm1(losses))
    return np.stack([np.zeros_like(z), z], axis=-1).astype(np.float32)


def ohem_case(losses: list[float], fill: float, n_pixels: int = 64,
              ignored: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 1×8×8 batch whose first pixels have ``losses``, the rest ``fill``, the last ``ignored``
    pixels labelled 255 (with logits that would give a huge loss if they were not ignored)."""
    per_pixel = np.full(n_pixels, fill, np.float64)
    per_pixel[:len(losses)] = losses
    labels = np.zeros(n_pixels, np.int32)
    logits = logits_for_losses(per_pixel)
    if ignored:
        labels[-ignored:] = 255
        logits[-ignored:] = [-50.0, 50.0]
    return labels.reshape(1, 8, 8), logits.reshape(1, 8, 8, 2)


def torch_conv_loop(image: np.ndarray, stride: int) -> np.ndarray:
    """PyTorch F.conv2d(image, LAPLACIAN, stride=stride, padding=1) for one 2-D map, as loops."""
    padded = np.pad(image.astype(np.float64), 1)
    out_h = (image.shape[0] + 2 - 3) // stride + 1
    out_w = (image.shape[1] + 2 - 3) // stride + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i * stride:i * stride + 3, j * stride:j * stride + 3]
            out[i, j] = (window * LAPLACIAN).sum()
    return out


def legacy_nearest(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """PyTorch F.interpolate(mode='nearest'): source index floor(dst * in / out)."""
    rows = np.minimum(np.floor(np.arange(out_h) * (image.shape[0] / out_h)).astype(int),
                      image.shape[0] - 1)
    cols = np.minimum(np.floor(np.arange(out_w) * (image.shape[1] / out_w)).astype(int),
                      image.shape[1] - 1)
    return image[rows][:, cols]


def numpy_detail_target(label: np.ndarray, fuse=(0.6, 0.3, 0.1)) -> np.ndarray:
    """The reference's target construction for one H×W trainId map, in numpy."""
    h, w = label.shape
    levels = []
    for stride in (1, 2, 4):
        response = np.maximum(torch_conv_loop(label, stride), 0)
        levels.append((legacy_nearest(response, h, w) > 0.1).astype(np.float64))
    fused = sum(np.float32(wt) * lvl for wt, lvl in zip(fuse, levels))
    return (fused > np.float32(0.1)).astype(np.float32)


def numpy_bilinear_align_corners(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """2-D bilinear resize with align_corners=True: output j samples j·(in-1)/(out-1)."""
    def axis(n_out: int, n_in: int):
        src = np.arange(n_out) * ((n_in - 1) / (n_out - 1))
        low = np.floor(src).astype(int)
        return low, np.minimum(low + 1, n_in - 1), src - low
    y0, y1, fy = axis(out_h, image.shape[0])
    x0, x1, fx = axis(out_w, image.shape[1])
    top = image[y0][:, x0] * (1 - fx) + image[y0][:, x1] * fx
    bottom = image[y1][:, x0] * (1 - fx) + image[y1][:, x1] * fx
    return top * (1 - fy)[:, None] + bottom * fy[:, None]


def numpy_bce_dice(logits: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    """BCE-with-logits mean and per-image Dice mean for [B, H, W] arrays."""
    p = 1 / (1 + np.exp(-logits))
    bce = -(targets * np.log(p) + (1 - targets) * np.log(1 - p)).mean()
    axes = (1, 2)
    dice = 1 - (2 * (p * targets).sum(axes) + 1) / (p.sum(axes) + targets.sum(axes) + 1)
    return float(bce), float(dice.mean())


def half_and_half(left: int, right: int, size: int = 8) -> np.ndarray:
    label = np.full((1, size, size), left, np.int32)
    label[:, :, size // 2:] = right
    return label


def column_pattern(*columns: list[int]) -> np.ndarray:
    """8×8 binary map from its 8 columns (each listed top to bottom)."""
    return np.array(columns, np.float32).T


ALL = [1] * 8
NONE = [0] * 8


# --------------------------------------------------------------------------------------------
# OHEM
def test_ohem_uniform_logits_is_ln_c():
    labels = np.random.default_rng(0).integers(0, 5, (2, 6, 10))
    loss = ohem_cross_entropy(labels, tf.zeros((2, 6, 10, 5)))
    assert loss.dtype == tf.float32
    np.testing.assert_allclose(loss.numpy(), math.log(5), rtol=1e-6)


def test_ohem_few_hard_pixels_keeps_top_n_min():
    # 64 pixels → n_min = 4; only 2 losses exceed -ln 0.7 = 0.357, so the top 4 are averaged.
    labels, logits = ohem_case([2.0, 1.0, 0.3, 0.25, 0.2], fill=0.1)
    expected = (2.0 + 1.0 + 0.3 + 0.25) / 4
    np.testing.assert_allclose(ohem_cross_entropy(labels, logits).numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("hard", [
    [0.5 + 0.1 * i for i in range(10)],  # 10 hard pixels, mean 0.95 (top 4 would be 1.25)
    [1.0, 2.0, 3.0, 4.0, 5.0],           # n_min + 1 hard: sorted[n_min] = 1.0 > thresh → mean 3
])
def test_ohem_more_than_n_min_hard_keeps_all_hard(hard):
    labels, logits = ohem_case(hard, fill=0.1)
    np.testing.assert_allclose(ohem_cross_entropy(labels, logits).numpy(), np.mean(hard),
                               rtol=1e-5)


def test_ohem_fully_ignored_batch_is_zero_with_zero_gradient():
    logits = tf.Variable(tf.random.normal((2, 8, 8, 3)))
    with tf.GradientTape() as tape:
        loss = ohem_cross_entropy(tf.fill((2, 8, 8), 255), logits)
    grad = tape.gradient(loss, logits)
    assert loss.numpy() == 0.0
    assert np.all(grad.numpy() == 0.0)


def test_ohem_ignored_pixels_take_part_in_sort_and_n_min():
    # n_min comes from all 64 pixels (4), not from the 16 valid ones (1): top 4 of the valid.
    labels, logits = ohem_case([1.0, 0.3, 0.2], fill=0.1, ignored=48)
    np.testing.assert_allclose(ohem_cross_entropy(labels, logits).numpy(),
                               (1.0 + 0.3 + 0.2 + 0.1) / 4, rtol=1e-5)
    # Only 2 valid pixels: the top 4 include two ignored zeros.
    labels, logits = ohem_case([2.0, 0.2], fill=0.1, ignored=62)
    np.testing.assert_allclose(ohem_cross_entropy(labels, logits).numpy(), (2.0 + 0.2) / 4,
                               rtol=1e-5)
    # With more than n_min hard pixels ignoring easy ones changes nothing.
    hard = [0.5 + 0.1 * i for i in range(10)]
    labels, logits = ohem_case(hard, fill=0.1, ignored=20)
    np.testing.assert_allclose(ohem_cross_entropy(labels, logits).numpy(), np.mean(hard),
                               rtol=1e-5)


def test_ohem_tiny_and_empty_batches():
    # 4 pixels: n_min = max(4 // 16, 1) = 1, so the single largest loss (the reference: NaN).
    losses = np.array([0.1, 0.3, 0.2, 0.05])
    logits = logits_for_losses(losses).reshape(1, 2, 2, 2)
    np.testing.assert_allclose(
        ohem_cross_entropy(np.zeros((1, 2, 2), np.int32), logits).numpy(), 0.3, rtol=1e-5)
    # A replica with no examples.
    empty = ohem_cross_entropy(np.zeros((0, 8, 8), np.int32), tf.zeros((0, 8, 8, 3)))
    assert empty.numpy() == 0.0


def test_ohem_in_tf_function_with_unknown_shapes_and_channel_axis():
    fn = tf.function(ohem_cross_entropy, input_signature=[
        tf.TensorSpec([None, None, None, None], tf.int32),
        tf.TensorSpec([None, None, None, None], tf.float32)])
    few_labels, few_logits = ohem_case([2.0, 1.0, 0.3, 0.25], fill=0.1)
    many_labels, many_logits = ohem_case([1.0] * 6 + [2.0] * 4, fill=0.1)
    cases = [(few_labels, few_logits, 0.8875), (many_labels, many_logits, 1.4),
             (few_labels.reshape(2, 4, 8), few_logits.reshape(2, 4, 8, 2), 0.8875)]
    for labels, logits, expected in cases:
        np.testing.assert_allclose(fn(labels[..., None], logits).numpy(), expected, rtol=1e-5)
    assert fn.experimental_get_tracing_count() == 1


def test_ohem_float16_logits_compute_in_float32():
    labels, logits = ohem_case([2.0, 1.0, 0.3, 0.25], fill=0.1)
    half = tf.constant(logits, tf.float16)
    loss = ohem_cross_entropy(labels, half)
    assert loss.dtype == tf.float32
    reference = ohem_cross_entropy(labels, tf.cast(half, tf.float32))
    np.testing.assert_allclose(loss.numpy(), reference.numpy(), rtol=1e-6)
    np.testing.assert_allclose(loss.numpy(), 0.8875, rtol=2e-3)


def test_ohem_runs_per_replica_under_a_strategy():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    labels, logits = ohem_case([2.0, 1.0, 0.3, 0.25], fill=0.1)
    per_replica = strategy.run(tf.function(ohem_cross_entropy),
                               args=(tf.constant(labels), tf.constant(logits)))
    total = strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
    np.testing.assert_allclose(total.numpy(), 0.8875, rtol=1e-5)


# --------------------------------------------------------------------------------------------
# detail targets
@pytest.mark.parametrize("stride", [1, 2, 4])
@pytest.mark.parametrize("shape", [(8, 8), (9, 13), (16, 22)])
def test_strided_laplacian_matches_pytorch_conv_with_padding_1(stride, shape):
    rng = np.random.default_rng(stride)
    label = rng.integers(0, 19, shape).astype(np.float32)
    label[: shape[0] // 3, : shape[1] // 2] = 255
    ours = strided_laplacian(tf.constant(label[None, ..., None]), stride).numpy()[0, ..., 0]
    np.testing.assert_array_equal(ours, np.maximum(torch_conv_loop(label, stride), 0))


def test_one_edge_target_marks_larger_side_border_and_stride_2():
    # 0 | 1 split at column 4. Stride 1: column 4 (larger side) and the border of the 1-region
    # (column 7, rows 0 and 7). Stride 2 (centres at even pixels, 2×2 blocks): the centre in
    # column 4 fires for all rows → columns 4-5; the border centre (row 0, column 6) → rows 0-1
    # of columns 6-7. Stride 4 alone fires in column 6, rows 2-6 but fuses to 0.1 (not > 0.1).
    expected = column_pattern(NONE, NONE, NONE, NONE, ALL, ALL, [1, 1, 0, 0, 0, 0, 0, 1], ALL)
    target = detail_targets(half_and_half(0, 1))
    assert target.shape == (1, 8, 8, 1)
    np.testing.assert_array_equal(target.numpy()[0, ..., 0], expected)
    # The 255 side of a class/ignore border is marked the same way (ignore is not masked).
    np.testing.assert_array_equal(detail_targets(half_and_half(0, 255)).numpy()[0, ..., 0],
                                  expected)
    # A stride-4 weight above 0.1 lets that stride-4 block through: column 6 becomes all ones.
    heavier_s4 = detail_targets(half_and_half(0, 1), fuse_weights=(0.6, 0.3, 0.2))
    np.testing.assert_array_equal(heavier_s4.numpy()[0, :, 6, 0], ALL)


def test_one_edge_target_mirrored_marks_left_side():
    # 1 | 0: column 3 is the boundary; the 1-region's border is column 0 and rows 0/7; stride 2
    # adds columns 0-1 (border centre column 0) and rows 0-1 of columns 2-3.
    expected = column_pattern(ALL, ALL, [1, 1, 0, 0, 0, 0, 0, 1], ALL, NONE, NONE, NONE, NONE)
    np.testing.assert_array_equal(detail_targets(half_and_half(1, 0)).numpy()[0, ..., 0],
                                  expected)


def test_constant_maps():
    assert not np.any(detail_targets(np.zeros((2, 8, 8), np.int32)).numpy())
    # Constant 1: the 1-pixel border (stride 1) plus rows/columns 0-1 (stride-2 centres on the
    # top/left border fill 2×2 blocks; no stride-2 centre lies on row/column 7).
    target = detail_targets(np.ones((1, 8, 8, 1), np.int32)).numpy()[0, ..., 0]
    expected = np.zeros((8, 8), np.float32)
    expected[:2, :] = expected[:, :2] = expected[7, :] = expected[:, 7] = 1
    np.testing.assert_array_equal(target, expected)


@pytest.mark.parametrize("fuse", [
    (0.6, 0.3, 0.1),     # target = stride-1 OR stride-2 edge; the stride-4 map cannot matter
    (0.05, 0.08, 0.04),  # decayed-kernel regime: stride 2 counts only together with stride 4
])
@pytest.mark.parametrize("shape", [(16, 24), (10, 14), (13, 7)])
def test_detail_targets_match_numpy_reference(shape, fuse):
    # Random blobs with an ignore patch; (10, 14) and (13, 7) are not divisible by 4, where the
    # legacy-nearest upsampling of the stride-4 map is not an s×s block fill.
    rng = np.random.default_rng(sum(shape))
    coarse = rng.integers(0, 19, (2, (shape[0] + 2) // 3, (shape[1] + 2) // 3))
    labels = coarse.repeat(3, axis=1).repeat(3, axis=2)[:, :shape[0], :shape[1]].astype(np.int32)
    labels[0, :3, :5] = 255
    ours = detail_targets(labels, fuse_weights=fuse).numpy()[..., 0]
    assert ours.any()
    for image, label in zip(ours, labels):
        np.testing.assert_array_equal(image, numpy_detail_target(label, fuse))


# --------------------------------------------------------------------------------------------
# BCE + Dice
def test_detail_loss_zero_logits():
    # p = 0.5 everywhere → BCE = ln 2. Dice per image on 16 pixels: t = 0 → 1 - 1/9;
    # four positives → 1 - (2·0.5·4 + 1)/(8 + 4 + 1) = 8/13. Batch mean, not a pooled Dice.
    targets = np.zeros((2, 4, 4, 1), np.float32)
    targets[1, 0, :, 0] = 1
    bce, dice = detail_loss(targets, tf.zeros((2, 4, 4, 1)))
    np.testing.assert_allclose(bce.numpy(), math.log(2), rtol=1e-6)
    np.testing.assert_allclose(dice.numpy(), (8 / 9 + 8 / 13) / 2, rtol=1e-6)


def test_detail_loss_hand_values():
    # logit ln 3 → p = 0.75; one positive of four: BCE = (-ln .75 - 3 ln .25)/4,
    # Dice = 1 - (2·0.75 + 1)/(3 + 1 + 1) = 0.5.
    targets = np.array([[1, 0], [0, 0]], np.float32).reshape(1, 2, 2, 1)
    bce, dice = detail_loss(targets, tf.fill((1, 2, 2, 1), math.log(3)))
    np.testing.assert_allclose(bce.numpy(), (-math.log(0.75) - 3 * math.log(0.25)) / 4,
                               rtol=1e-6)
    np.testing.assert_allclose(dice.numpy(), 0.5, rtol=1e-6)


def test_detail_logits_upsampled_bilinear_align_corners():
    small = np.array([[-2.0, 1.0], [0.5, 3.0]], np.float32)
    up = numpy_bilinear_align_corners(small.astype(np.float64), 8, 8)
    np.testing.assert_allclose(up[[0, 0, 7, 7], [0, 7, 0, 7]], small.ravel())
    targets = (np.random.default_rng(1).random((1, 8, 8)) > 0.6).astype(np.float32)
    bce, dice = detail_loss(targets[..., None], small.reshape(1, 2, 2, 1))
    np.testing.assert_allclose([bce.numpy(), dice.numpy()], numpy_bce_dice(up[None], targets),
                               rtol=1e-5)


def test_resize_align_corners_is_exact_under_xla():
    # XLA's own ResizeBilinear lowering is off by O(1) for 8×16 → 64×128 in TF 2.21.
    image = np.random.default_rng(2).normal(size=(1, 8, 16, 1)).astype(np.float32)
    resize = tf.function(resize_bilinear_align_corners, jit_compile=True)
    ours = resize(image, tf.constant([64, 128])).numpy()[0, ..., 0]
    np.testing.assert_allclose(ours, numpy_bilinear_align_corners(image[0, ..., 0], 64, 128),
                               atol=1e-5)


# --------------------------------------------------------------------------------------------
# stdc_loss
def make_outputs(batch: int, h: int, w: int, classes: int = 4, seed: int = 0,
                 details: tuple[str, ...] = ("detail8",)) -> dict[str, tf.Tensor]:
    rng = np.random.default_rng(seed)
    outputs = {key: tf.constant(rng.normal(size=(batch, h, w, classes)) * 3, tf.float32)
               for key in SEG_OUTPUT_KEYS}
    for key in details:
        stride = int(key.removeprefix("detail"))
        outputs[key] = tf.constant(
            rng.normal(size=(batch, -(-h // stride), -(-w // stride), 1)), tf.float32)
    return outputs


def test_stdc_loss_terms_total_and_gradients():
    labels = np.random.default_rng(3).integers(0, 4, (2, 16, 24)).astype(np.int32)
    labels[0, :4] = 255
    variables = {k: tf.Variable(v) for k, v in
                 make_outputs(2, 16, 24, details=("detail4", "detail8")).items()}
    with tf.GradientTape() as tape:
        terms = stdc_loss(labels, variables)
    assert list(terms) == ["ohem_out", "ohem_out16", "ohem_out32", "detail4_bce",
                           "detail4_dice", "detail8_bce", "detail8_dice", "total"]
    parts = sum(float(v) for k, v in terms.items() if k != "total")
    np.testing.assert_allclose(terms["total"].numpy(), parts, rtol=1e-6)
    grads = tape.gradient(terms["total"], variables)
    for key, grad in grads.items():
        assert grad is not None and np.all(np.isfinite(grad.numpy())), key
        assert np.abs(grad.numpy()).sum() > 0, key
    # The detail terms use the same target: equal to calling the parts directly.
    bce, dice = detail_loss(detail_targets(labels), variables["detail8"])
    np.testing.assert_allclose([terms["detail8_bce"], terms["detail8_dice"]], [bce, dice])


@pytest.mark.parametrize("labels", [
    np.full((2, 16, 16), 255, np.int32),  # fully ignored
    np.zeros((2, 16, 16), np.int32),      # no edges: detail target all zeros
    np.zeros((1, 3, 3), np.int32),        # fewer than 16 pixels
    np.zeros((0, 16, 16), np.int32),      # empty replica batch
], ids=["ignored", "no-edges", "tiny", "empty"])
def test_stdc_loss_degenerate_batches_have_no_nan(labels):
    batch, h, w = labels.shape
    variables = {k: tf.Variable(v) for k, v in make_outputs(batch, h, w).items()}
    with tf.GradientTape() as tape:
        terms = stdc_loss(labels, variables)
    assert all(np.isfinite(v.numpy()) for v in terms.values())
    for grad in tape.gradient(terms["total"], variables).values():
        assert np.all(np.isfinite(grad.numpy()))
    if batch and np.all(labels == 255):
        assert terms["ohem_out"].numpy() == 0.0


def test_stdc_loss_in_tf_function_with_unknown_shapes():
    spec = tf.TensorSpec([None, None, None, None], tf.float32)
    fn = tf.function(stdc_loss, input_signature=[
        tf.TensorSpec([None, None, None], tf.int32),
        {"out": spec, "out16": spec, "out32": spec, "detail8": spec}])
    for batch, h, w in [(2, 16, 24), (1, 20, 12)]:
        labels = np.random.default_rng(h).integers(0, 4, (batch, h, w)).astype(np.int32)
        outputs = make_outputs(batch, h, w, seed=h)
        graph, eager = fn(labels, outputs), stdc_loss(labels, outputs)
        for key in eager:
            np.testing.assert_allclose(graph[key].numpy(), eager[key].numpy(), rtol=1e-5)
    assert fn.experimental_get_tracing_count() == 1


def test_stdc_loss_under_xla_matches_eager():
    labels = np.random.default_rng(5).integers(0, 4, (1, 64, 128)).astype(np.int32)
    outputs = make_outputs(1, 64, 128, seed=5)
    compiled = tf.function(stdc_loss, jit_compile=True)(tf.constant(labels), outputs)
    for key, value in stdc_loss(labels, outputs).items():
        np.testing.assert_allclose(compiled[key].numpy(), value.numpy(), rtol=1e-5, err_msg=key)


def test_stdc_loss_rejects_bad_keys():
    outputs = make_outputs(1, 8, 8)
    with pytest.raises(ValueError, match="unknown output keys"):
        stdc_loss(np.zeros((1, 8, 8), np.int32), {**outputs, "detail_8": outputs["detail8"]})
    with pytest.raises(ValueError, match="'out'"):
        stdc_loss(np.zeros((1, 8, 8), np.int32), {"out16": outputs["out16"]})


# --------------------------------------------------------------------------------------------
# against the reference's computation, restated with PyTorch's own ops
def test_matches_reference_computed_with_torch():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional

    def reference_ohem(logits_nhwc: np.ndarray, labels: np.ndarray) -> float:
        logits = torch.from_numpy(logits_nhwc).permute(0, 3, 1, 2)
        loss = functional.cross_entropy(logits, torch.from_numpy(labels).long(),
                                        ignore_index=255, reduction="none").view(-1)
        loss, _ = torch.sort(loss, descending=True)
        n_min = labels.size // 16
        thresh = -torch.log(torch.tensor(0.7))
        kept = loss[loss > thresh] if loss[n_min] > thresh else loss[:n_min]
        return float(kept.mean())

    def reference_detail(logits_nhwc: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
        label = torch.from_numpy(labels).float().unsqueeze(1)
        kernel = torch.from_numpy(LAPLACIAN).float().view(1, 1, 3, 3)
        levels = []
        for stride in (1, 2, 4):
            response = functional.conv2d(label, kernel, stride=stride, padding=1).clamp(min=0)
            response = functional.interpolate(response, label.shape[2:], mode="nearest")
            levels.append((response > 0.1).float())
        fuse = torch.tensor([0.6, 0.3, 0.1]).view(1, 3, 1, 1)
        target = (functional.conv2d(torch.cat(levels, 1), fuse) > 0.1).float()
        logits = functional.interpolate(torch.from_numpy(logits_nhwc).permute(0, 3, 1, 2),
                                        label.shape[2:], mode="bilinear", align_corners=True)
        bce = functional.binary_cross_entropy_with_logits(logits, target)
        p, t = torch.sigmoid(logits).flatten(1), target.flatten(1)
        dice = 1 - (2 * (p * t).sum(1) + 1) / (p.sum(1) + t.sum(1) + 1)
        return float(bce), float(dice.mean())

    rng = np.random.default_rng(4)
    coarse = rng.integers(0, 19, (2, 8, 11))
    labels = coarse.repeat(5, axis=1).repeat(5, axis=2)[:, :38, :54].astype(np.int32)
    labels[1, 20:, 30:] = 255
    detail = rng.normal(size=(2, 5, 7, 1)).astype(np.float32) * 2
    np.testing.assert_allclose(detail_loss(detail_targets(labels), detail),
                               reference_detail(detail, labels), rtol=1e-5)

    confident = np.eye(19, dtype=np.float32)[np.where(labels == 255, 0, labels)] * 6
    for logits in (rng.normal(size=(2, 38, 54, 19)).astype(np.float32) * 4,  # many hard
                   confident + rng.normal(size=confident.shape).astype(np.float32)):  # few hard
        np.testing.assert_allclose(ohem_cross_entropy(labels, logits).numpy(),
                                   reference_ohem(logits, labels), rtol=1e-5)
