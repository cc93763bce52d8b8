"""The XNNPACK graph forms of :mod:`stdc_tf.models.layers` (issue 17): each rewrite computes what the
reference op computes, in Keras and on LiteRT, and the exported STDC graphs run on XNNPACK whole.

LiteRT's XNNPACK delegate has no RESIZE_NEAREST_NEIGHBOR, no int8 AVERAGE_POOL_2D, no CAST and
no ARG_MAX (``tflite/delegates/xnnpack/xnnpack_delegate.cc``): each such op in the body split the
delegate's partition. Real converter, real LiteRT, random weights.
"""
from __future__ import annotations

import numpy as np
import pytest

from stdc_tf.export.contract import ExportSpec
from stdc_tf.export.tflite import export_tflite
from stdc_tf.runtime import load_predictor

SIZE = (64, 128)


def _reference_nearest(x, size):
    import tensorflow as tf

    return tf.raw_ops.ResizeNearestNeighbor(images=x, size=size, align_corners=False,
                                            half_pixel_centers=False)


def _upsample_model(h: int, w: int, channels: int = 8):
    """conv/s2 → legacy-nearest back to the input size → conv: one ResizeLike between convs."""
    import keras

    from stdc_tf.models.layers import custom_layers

    image = keras.Input((h, w, 3), batch_size=1)
    small = keras.layers.Conv2D(channels, 3, strides=2, padding="same", activation="relu")(image)
    up = custom_layers(keras).ResizeLike("nearest")([small, image])
    return keras.Model(image, keras.layers.Conv2D(4, 1)(up))


def _pool_model(h: int, w: int, channels: int = 8):
    """conv → the stride-2 skip (zero pad + AveragePool3x3) → conv."""
    import keras

    from stdc_tf.models.blocks import Blocks

    image = keras.Input((h, w, 3), batch_size=1)
    x = keras.layers.Conv2D(channels, 1, activation="relu")(image)
    x = Blocks(keras, kernel_init=lambda: "glorot_uniform").avg_pool_s2(x, "skip")
    return keras.Model(image, keras.layers.Conv2D(4, 1)(x))


def test_nearest_2x_form_is_bit_exact_and_other_sizes_keep_the_op():
    import tensorflow as tf

    from stdc_tf.models.layers import resize_like

    x = tf.constant(np.random.default_rng(0).standard_normal((1, 5, 7, 6)), tf.float32)
    fast = resize_like(x, tf.constant([10, 14]), "nearest", static_size=(10, 14))
    np.testing.assert_array_equal(fast.numpy(), _reference_nearest(x, [10, 14]).numpy())
    odd = resize_like(x, tf.constant([9, 13]), "nearest", static_size=(9, 13))   # not 2x
    np.testing.assert_array_equal(odd.numpy(), _reference_nearest(x, [9, 13]).numpy())
    fn = tf.function(lambda t: resize_like(t, tf.constant([10, 14]), "nearest", (10, 14)))
    ops = {op.type for op in fn.get_concrete_function(x).graph.get_operations()}
    assert "DepthToSpace" in ops and "ResizeNearestNeighbor" not in ops


def test_fixed_depthwise_pool_equals_the_reference_average_pool():
    import keras

    from stdc_tf.models.layers import custom_layers

    x = np.random.default_rng(1).standard_normal((2, 11, 14, 5)).astype(np.float32)
    pool = custom_layers(keras).AveragePool3x3()
    ref = keras.layers.AveragePooling2D(3, strides=2, padding="valid")
    np.testing.assert_allclose(np.asarray(pool(x)), np.asarray(ref(x)), atol=1e-6)
    assert pool.compute_output_shape((2, 11, 14, 5)) == (2, 5, 6, 5) and not pool.weights


def test_global_context_broadcast_equals_the_nearest_upsample():
    """The 1x1 global context, broadcast in the sum, is the reference's nearest resize + sum."""
    import tensorflow as tf

    rng = np.random.default_rng(2)
    avg = tf.constant(rng.standard_normal((1, 1, 1, 4)), tf.float32)
    feat = tf.constant(rng.standard_normal((1, 3, 5, 4)), tf.float32)
    np.testing.assert_array_equal((feat + avg).numpy(),
                                  (feat + _reference_nearest(avg, [3, 5])).numpy())


def _litert_vs_keras(model, path, precision, pixels):
    from stdc_tf.models.preprocessing import normalize

    spec = ExportSpec(model.inputs[0].shape[1:3], "float", "logits", precision,
                      calibration=pixels if precision == "int8" else None,
                      calibration_steps=len(pixels), check_images=0)
    result = export_tflite(model, path, spec)
    predictor = load_predictor(result.path, threads=1)   # normalizes the pixels itself
    got = np.concatenate([predictor.predict(x[None]) for x in pixels])
    want = np.asarray(model(normalize(pixels)))
    return result, predictor.delegation(), got, want


@pytest.mark.parametrize("build, op", [(_upsample_model, "DEPTH_TO_SPACE"),
                                       (_pool_model, "DEPTHWISE_CONV_2D")])
@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_each_rewrite_runs_in_xnnpack_and_matches_keras(build, op, precision, tmp_path):
    import keras

    keras.utils.set_random_seed(3)
    model = build(32, 64)
    rng = np.random.default_rng(4)
    pixels = rng.integers(0, 256, (6, 32, 64, 3), dtype=np.uint8)
    result, delegation, got, want = _litert_vs_keras(model, tmp_path / "m.tflite", precision,
                                                     pixels)
    assert op in result.ops
    assert "RESIZE_NEAREST_NEIGHBOR" not in result.ops and "AVERAGE_POOL_2D" not in result.ops
    assert delegation["partitions"] == 1 and delegation["unsupported_ops"] == [], delegation
    if precision == "fp32":
        np.testing.assert_allclose(got, want, atol=1e-4)
    else:   # int8: a few output quantization steps off, never a different function
        step = (want.max() - want.min()) / 255
        assert np.abs(got - want).max() <= 6 * step, (np.abs(got - want).max(), step)
        assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.99


@pytest.fixture(scope="module")
def stdc():
    import keras

    from stdc_tf.models import build_model

    keras.utils.set_random_seed(0)
    return build_model("stdc1_seg50", input_shape=(None, None, 3))


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    from stdc_tf.data import load_dataset

    return load_dataset("synthetic", tmp_path_factory.mktemp("syn"), "train", num_train=3,
                        num_val=1, height=SIZE[0], width=SIZE[1])


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_stdc_runs_in_one_xnnpack_partition_with_only_edge_ops_outside(stdc, calibration, precision,
                                                                       tmp_path):
    """Class-map contract: only the uint8→float CAST at the input and ARG_MAX + CAST at the
    output stay outside (XNNPACK has no CAST or ARG_MAX); with float in / logits out, nothing."""
    spec = ExportSpec(SIZE, precision=precision, calibration=calibration, calibration_steps=3,
                      check=calibration, check_images=1)
    result = export_tflite(stdc, tmp_path / "classes.tflite", spec)
    delegation = load_predictor(result.path, threads=1).delegation()
    assert delegation["partitions"] == 1, delegation
    assert delegation["unsupported_ops"] == ["ARG_MAX x1", "CAST x2"], delegation
    assert result.check.class_agreement >= (0.999 if precision == "fp32" else 0.75)

    logits = export_tflite(stdc, tmp_path / "logits.tflite",
                           spec.with_(input_type="float", output="logits", check_images=0))
    delegation = load_predictor(logits.path, threads=1).delegation()
    assert delegation["partitions"] == 1 and delegation["unsupported_ops"] == [], delegation
