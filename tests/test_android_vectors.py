"""The shared Android vectors (tests/data/android) and the rules of stdc_tf.visualize they encode.

The Java side of the same vectors runs in .ci/java_tests.sh (JUnit on android_demo/core).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import DATA
from stdc_tf import visualize

VECTORS = DATA / "android"
MANIFEST = json.loads((VECTORS / "vectors.json").read_text())
CASES = {case["name"]: case for case in MANIFEST["cases"]}
IMAGE_SIZE = (MANIFEST["image"]["height"], MANIFEST["image"]["width"])


def _image() -> np.ndarray:
    return np.fromfile(VECTORS / MANIFEST["image"]["file"], np.uint8).reshape(*IMAGE_SIZE, 3)


def _meta(case: dict) -> dict:
    return json.loads((VECTORS / case["metadata"]).read_text())


def _output(case: dict) -> np.ndarray:
    spec = _meta(case)["output"]
    shape = (case["output_height"], case["output_width"])
    shape += (spec["num_classes"],) if spec["kind"] == "logits" else ()
    return np.fromfile(VECTORS / case["output"], np.dtype(spec["dtype"]).newbyteorder("<")).reshape(shape)


def _stored(name: str, like: np.ndarray) -> np.ndarray:
    return np.fromfile(VECTORS / name, like.dtype.newbyteorder("<")).reshape(like.shape)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if "input" in c])
def test_python_prepares_the_stored_model_inputs(name):
    case = CASES[name]
    x = visualize.prepare_input(_image(), _meta(case))
    np.testing.assert_array_equal(x, _stored(case["input"], x))   # bit for bit, floats too


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if "output" in c])
def test_python_makes_the_stored_class_maps_mask_and_overlay(name):
    case, image = CASES[name], _image()
    meta, output = _meta(case), _output(case)
    classes = visualize.class_map(output, meta)
    full = visualize.class_map(output, meta, IMAGE_SIZE)
    for made, file in ((classes, case["classes"]), (full, case["classes_full"]),
                       (visualize.colorize(classes, meta["palette"], MANIFEST["alpha"]), case["mask"]),
                       (visualize.blend(image, full, meta["palette"], MANIFEST["alpha"]), case["overlay"])):
        np.testing.assert_array_equal(made, _stored(file, made), err_msg=file)


def test_vectors_cover_ties_ignored_pixels_and_every_model_kind():
    """The vectors exercise the rules they are meant to pin down (else they prove little)."""
    int8 = np.sort(_output(CASES["int8"]).astype(int), axis=-1)
    assert ((int8[..., -1] - int8[..., -2]) == 0).any(), "no argmax tie in the int8 logits"
    ignore = _output(CASES["ignore"])
    assert (ignore == 255).any() and (ignore == 19).any()
    kinds = {(m["input"]["dtype"], m["input"]["normalization"]["in_graph"], m["output"]["kind"],
              m["output"]["dtype"]) for m in map(_meta, CASES.values())}
    assert {("float32", False, "logits", "float32"), ("uint8", True, "logits", "int8"),
            ("uint8", True, "classes", "uint8"), ("uint8", False, "logits", "int8")} <= kinds


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if "model" in c])
def test_real_models_carry_the_metadata_and_give_the_stored_outputs(name):
    from android_vectors import run_model

    from stdc_tf.export.metadata import read_metadata

    case = CASES[name]
    flatbuffer = (VECTORS / case["model"]).read_bytes()
    assert read_metadata(flatbuffer) == _meta(case)
    x = visualize.prepare_input(_image(), _meta(case))
    output, stored = run_model(flatbuffer, x), _output(case)
    if output.dtype == np.float32:   # XNNPACK kernels may differ in the last bit across CPUs
        np.testing.assert_allclose(output, stored, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_array_equal(output, stored)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if "model" in c])
def test_the_phone_shows_what_the_evaluator_scores(name):
    """The evaluator's own protocol on the same model and image gives the stored class map."""
    from stdc_tf.data.labels import CITYSCAPES
    from stdc_tf.evaluation.evaluator import predict_classes
    from stdc_tf.runtime import load_predictor

    predictor = load_predictor(VECTORS / CASES[name]["model"])
    preds, _ = predict_classes(predictor, _image()[None], IMAGE_SIZE, (None,), False, CITYSCAPES,
                               set())
    stored = np.fromfile(VECTORS / CASES[name]["classes_full"], np.uint8).reshape(IMAGE_SIZE)
    np.testing.assert_array_equal(preds[0], stored)


@pytest.mark.parametrize("shape, size", [((24, 32, 3), (16, 24)), ((16, 24, 19), (24, 32)),
                                         ((7, 5, 2), (13, 11)), ((5, 9, 3), (1, 1)),
                                         ((1, 1, 3), (4, 4))])
def test_resizes_are_the_evaluators_bit_for_bit(shape, size):
    import tensorflow as tf

    from stdc_tf.models.layers import resize_like

    rng = np.random.default_rng(0)
    x = rng.normal(0, 50, shape).astype(np.float32)
    np.testing.assert_array_equal(visualize.resize_bilinear(x, size),
                                  resize_like(tf.constant(x[None]), size, "bilinear").numpy()[0])
    classes = rng.integers(0, 19, shape[:2]).astype(np.uint8)
    np.testing.assert_array_equal(
        visualize.resize_nearest(classes, size),
        resize_like(tf.constant(classes[None, ..., None]), size, "nearest").numpy()[0, ..., 0])


def test_normalization_equals_the_evaluators():
    from stdc_tf.models.preprocessing import IMAGENET_MEAN, IMAGENET_STD, normalize

    pixels = np.arange(256, dtype=np.float32).reshape(-1, 1).repeat(3, axis=1) + 0.25
    np.testing.assert_array_equal(visualize.normalize(pixels, 1 / 255, IMAGENET_MEAN, IMAGENET_STD),
                                  normalize(pixels))


def test_integer_rules():
    assert visualize.quantize(np.array([0.5, 1.5, 2.5, -0.5, 300, -3]), np.uint8, None).tolist() == \
        [0, 2, 2, 0, 255, 0]
    assert visualize.quantize(np.array([-2.0, 2.0]), np.int8, (0.01, 3)).tolist() == [-128, 127]
    assert [visualize.opacity_alpha(o) for o in (0, 0.5, 0.6, 1, -1, 2, float("nan"))] == \
        [0, 128, 153, 255, 0, 255, 0]
    assert visualize.argmax(np.array([[[1, 3, 3], [np.nan, 9, np.nan]]])).tolist() == [[1, 0]]
    palette = [[255, 0, 0], [0, 255, 0]]
    image = np.array([[[10, 20, 30], [40, 50, 60], [70, 80, 90]]], np.uint8)
    classes = np.array([[0, 1, 255]], np.uint8)
    assert visualize.blend(image, classes, palette, 128).tolist() == \
        [[[133, 10, 15], [20, 153, 30], [70, 80, 90]]]
    assert visualize.colorize(classes, palette, 128)[0, :, 3].tolist() == [128, 128, 0]
    with pytest.raises(ValueError, match="differ in size"):
        visualize.blend(image, classes[:, :2], palette, 128)


@pytest.mark.slow
def test_generator_reproduces_the_stored_vectors(tmp_path):
    """Regenerating gives the same files; after a toolchain change that alters them, rerun
    ``python tests/android_vectors.py`` (and the Java tests) and review the difference."""
    from android_vectors import vectors, write

    manifest, files = vectors()
    write(tmp_path, manifest, files)
    stored = sorted(p.name for p in VECTORS.iterdir() if p.name != "README.md")
    assert sorted(p.name for p in tmp_path.iterdir()) == stored
    differ = [name for name in stored if not name.endswith(".tflite")
              and (tmp_path / name).read_bytes() != (VECTORS / name).read_bytes()]
    assert not differ, f"regenerated vectors differ from tests/data/android: {differ}"
