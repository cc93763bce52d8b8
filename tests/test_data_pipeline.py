"""tf.data input pipelines (stdc_tf.data.pipeline): shapes, augmentation, determinism, bad files."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import tensorflow as tf

from stdc_tf.data.datasets import DataError, Sample, SegDataset, load_dataset, read_image, read_label
from stdc_tf.data.labels import DatasetInfo
from stdc_tf.data.pipeline import eval_dataset, iterate_with_clear_errors, train_dataset
from stdc_tf.data.synthetic import generate
from stdc_tf.models.preprocessing import IMAGENET_MEAN, IMAGENET_STD, normalize

H, W = 32, 64


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> SegDataset:
    root = generate(tmp_path_factory.mktemp("synthetic"), num_train=6, num_val=2, height=H, width=W)
    return load_dataset("cityscapes", root, "train")


def write_dataset(root: Path, labels: list[np.ndarray], images: list[np.ndarray] | None = None,
                  num_classes: int = 8) -> SegDataset:
    """A dataset of the given label maps (class indices) and images (default: random)."""
    rng = np.random.default_rng(0)
    samples = []
    for i, label in enumerate(labels):
        image = images[i] if images else rng.integers(0, 256, (*label.shape, 3), dtype=np.uint8)
        samples.append(Sample(root / f"{i}.jpg", root / f"{i}.png"))
        cv2.imwrite(str(samples[-1].image), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(samples[-1].label), label)
    info = DatasetInfo("test", tuple(map(str, range(num_classes))), ((0, 0, 0),) * num_classes)
    return SegDataset(samples, info, None)


def constant_labels(tmp_path: Path, n: int) -> SegDataset:
    """Sample i's label map is all i, so any output batch says which file it came from."""
    return write_dataset(tmp_path, [np.full((H, W), i, np.uint8) for i in range(n)], num_classes=n)


def batches(dataset: tf.data.Dataset, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(x.numpy(), y.numpy()) for x, y in iterate_with_clear_errors(dataset.take(n))]


def test_train_batches_shapes_dtypes_and_values(synthetic):
    (images, labels), = batches(train_dataset(synthetic, 3, crop_size=(24, 40)), 1)
    assert images.shape == (3, 24, 40, 3) and images.dtype == np.float32
    assert labels.shape == (3, 24, 40) and labels.dtype == np.int32
    low, high = normalize(np.array([[0, 0, 0], [255, 255, 255]], np.uint8))
    assert (images >= low - 1e-5).all() and (images <= high + 1e-5).all()
    assert set(np.unique(labels)) <= set(range(19)) | {255}


def test_crops_larger_than_the_scaled_image_are_up_resized(synthetic):
    (images, labels), = batches(train_dataset(synthetic, 2, crop_size=(2 * H, 2 * W), scales=(0.25,)), 1)
    assert images.shape == (2, 2 * H, 2 * W, 3) and labels.shape == (2, 2 * H, 2 * W)


def _stripes(root, h: int, w: int):
    """A folder dataset whose label changes every column (0, 1, 2, 0, …) and whose image is a
    black/white column pattern: the sharpest content a resize can meet."""
    import json

    import cv2

    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    (root / "classes.json").write_text(json.dumps({"classes": [
        {"name": str(i), "color": [i, i, i]} for i in range(3)]}))
    label = np.tile((np.arange(w) % 3).astype(np.uint8), (h, 1))
    image = np.repeat((255 * (np.arange(w) % 2)).astype(np.uint8)[None, :, None], h, 0).repeat(3, 2)
    cv2.imwrite(str(root / "images" / "a.png"), image)
    cv2.imwrite(str(root / "labels" / "a.png"), label)
    return load_dataset("folder", root, "train")


def test_small_scales_are_resized_down_then_up_like_the_reference(tmp_path):
    """Scale 0.25 then up to the crop, in two steps: labels come out in blocks of about 4 columns
    and the stripes blur away. A single resize straight to the crop size (a sharp view) keeps
    runs of 1 column and full contrast."""
    ds = _stripes(tmp_path, 32, 128)
    (images, labels), = batches(train_dataset(ds, 1, crop_size=(32, 128), scales=(0.25,), seed=0), 1)
    row = labels[0, 16]
    runs = np.diff(np.flatnonzero(np.diff(row) != 0))
    assert runs.mean() >= 3.0, row
    (sharp, _), = batches(train_dataset(ds, 1, crop_size=(32, 128), scales=(1.0,), seed=0), 1)
    assert images[0].std() < 0.5 * sharp[0].std()


def test_same_seed_same_batches(synthetic):
    kwargs = dict(batch_size=2, crop_size=(16, 32))
    first, again = (batches(train_dataset(synthetic, seed=3, **kwargs), 4) for _ in range(2))
    other = batches(train_dataset(synthetic, seed=4, **kwargs), 4)
    for (x1, y1), (x2, y2) in zip(first, again):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    assert any(not np.array_equal(x1, x2) for (x1, _), (x2, _) in zip(first, other))


def test_image_and_label_stay_aligned(tmp_path):
    """Stripes whose grey level grows with the class: after flip/scale/crop/jitter the image must
    still rise with the label (a flip or crop applied to one of them only would break that)."""
    label = np.repeat(np.arange(W) * 4 // W, H).reshape(W, H).T.astype(np.uint8)
    image = np.repeat((40 + 50 * label)[..., None], 3, axis=2).astype(np.uint8)
    ds = write_dataset(tmp_path, [label, label[:, ::-1].copy()], [image, image[:, ::-1].copy()], 4)
    for images, labels in batches(train_dataset(ds, 2, crop_size=(H, W // 2), seed=1), 6):
        grey = (images * IMAGENET_STD + IMAGENET_MEAN).mean(-1)
        for g, l in zip(grey, labels):
            if len(np.unique(l)) > 1:
                assert np.corrcoef(g.ravel(), l.ravel())[0, 1] > 0.8


def test_eval_batches_are_full_size_uint8_in_order(synthetic):
    got = batches(eval_dataset(synthetic, batch_size=2), 10)
    assert len(got) == 3
    images, labels = got[0]
    assert images.shape == (2, H, W, 3) and images.dtype == np.uint8
    assert labels.shape == (2, H, W) and labels.dtype == np.int32
    np.testing.assert_array_equal(images[1], read_image(synthetic.samples[1].image))
    np.testing.assert_array_equal(labels[1], read_label(synthetic.samples[1].label, synthetic.label_lut))


def test_sharding_gives_disjoint_files(tmp_path):
    ds = constant_labels(tmp_path, 5)
    seen = []
    for pipeline_id in range(2):
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline_id)
        pipeline = train_dataset(ds, 1, crop_size=(H, W), scales=(1.0,), input_context=context,
                                 repeat=False)
        seen.append({int(y[0, 0, 0]) for _, y in batches(pipeline, 10)})
    assert seen[0].isdisjoint(seen[1]) and seen[0] | seen[1] == set(range(5))


def test_corrupt_image_is_named(tmp_path):
    ds = constant_labels(tmp_path, 3)
    ds.samples[1].image.write_bytes(b"\x89PNG not really")
    bad = re.escape(str(ds.samples[1].image))
    with pytest.raises(DataError, match=rf"^cannot decode image {bad}: corrupt"):
        batches(eval_dataset(ds), 3)
    with pytest.raises(tf.errors.OpError, match=bad):   # without iterate_with_clear_errors
        list(train_dataset(ds, 1, crop_size=(H, W), repeat=False))


def test_label_size_mismatch_names_both_files_and_sizes(tmp_path):
    ds = constant_labels(tmp_path, 2)
    cv2.imwrite(str(ds.samples[0].label), np.zeros((H // 2, W), np.uint8))
    with pytest.raises(DataError) as err:
        batches(train_dataset(ds, 1, crop_size=(H, W), repeat=False), 2)
    assert str(err.value) == (f"label {ds.samples[0].label} is {H // 2}x{W} (HxW) but its image "
                              f"{ds.samples[0].image} is {H}x{W}")


def test_label_values_outside_the_classes_are_named(tmp_path):
    ds = write_dataset(tmp_path, [np.full((H, W), 9, np.uint8)], num_classes=4)
    bad = re.escape(str(ds.samples[0].label))
    with pytest.raises(DataError, match=rf"label {bad} holds value 9, which is neither"):
        batches(eval_dataset(ds), 1)


def test_skip_bad_samples_warns_and_skips(tmp_path, caplog):
    ds = constant_labels(tmp_path, 4)
    ds.samples[2].image.write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="stdc_tf.data.pipeline"):
        kept = {int(y[0, 0, 0]) for _, y in batches(eval_dataset(ds, skip_bad_samples=True), 10)}
        trained = {int(y[0, 0, 0]) for _, y in batches(train_dataset(
            ds, 1, crop_size=(H, W), scales=(1.0,), skip_bad_samples=True, repeat=False), 10)}
    assert kept == trained == {0, 1, 3}
    assert str(ds.samples[2].image) in caplog.text


@pytest.mark.parametrize("scale", [0.3, 0.75, 1.0, 1.37, 2.0])
def test_resized_crop_equals_resizing_everything_then_slicing(scale):
    """The pipeline resizes only the window its crop needs; the values must be those of resizing
    the whole image (antialiased bilinear / TF nearest) and slicing."""
    from stdc_tf.data.pipeline import resized_crop

    rng = np.random.default_rng(int(scale * 100))
    image = tf.constant(rng.integers(0, 256, (96, 160, 3)), tf.uint8)
    label = tf.constant(rng.integers(0, 19, (96, 160, 1)), tf.uint8)
    size = tf.constant([int(96 * scale), int(160 * scale)], tf.int32)
    crop = (24, 40)
    full = tf.image.resize(tf.cast(image, tf.float32), size, "bilinear", antialias=True)
    full_label = tf.image.resize(label, size, "nearest")
    h, w = int(size[0]) - crop[0], int(size[1]) - crop[1]
    for offset in ([0, 0], [h, w], [h // 2, w // 3]):
        window, window_label = resized_crop(image, label, size, tf.constant(offset), crop)
        expected = full[offset[0]:offset[0] + 24, offset[1]:offset[1] + 40]
        np.testing.assert_allclose(window.numpy(), expected.numpy(), atol=1e-2)   # of 0..255
        np.testing.assert_array_equal(window_label.numpy(),
                                      full_label[offset[0]:offset[0] + 24, offset[1]:offset[1] + 40].numpy())
