"""The built-in synthetic dataset (stdc_tf.data.synthetic)."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from stdc_tf.data.datasets import DataError, load_dataset, read_label
from stdc_tf.data.synthetic import MARKER, generate
from stdc_tf.evaluation.baselines import color_baseline_miou

SMALL = dict(num_train=16, num_val=8, height=64, width=128)


@pytest.fixture(scope="module")
def small_root(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("synthetic"), **SMALL)


def files_of(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*.png"))}


def test_same_seed_gives_identical_files(tmp_path):
    params = dict(num_train=3, num_val=2, height=32, width=64, seed=5)
    first, second = generate(tmp_path / "a", **params), generate(tmp_path / "b", **params)
    assert files_of(first) == files_of(second) and len(files_of(first)) == 10
    assert files_of(generate(tmp_path / "c", **{**params, "seed": 6})) != files_of(first)


def test_generation_is_idempotent_and_regenerates_on_new_parameters(tmp_path, caplog):
    params = dict(num_train=3, num_val=2, height=32, width=64)
    said = lambda: [r.getMessage() for r in caplog.records if r.name == "stdc_tf.data.synthetic"]
    with caplog.at_level(logging.INFO, logger="stdc_tf.data.synthetic"):
        root = generate(tmp_path, **params)
        assert said() == [f"generating the synthetic dataset at {tmp_path} (3 + 2 images of 32x64: "
                          f"about a minute for the defaults)"]
        image = next((root / "leftImg8bit" / "train").rglob("*.png"))
        stamp = image.stat().st_mtime_ns
        caplog.clear()
        generate(tmp_path, **params)
        assert said() == []   # "generating" only when it generates
    assert image.stat().st_mtime_ns == stamp

    generate(tmp_path, **{**params, "num_train": 2})
    assert json.loads((root / MARKER).read_text())["num_train"] == 2
    assert len(load_dataset("cityscapes", root, "train")) == 2   # the third image was removed


def test_refuses_to_mix_into_another_dataset(tmp_path):
    (tmp_path / "leftImg8bit" / "train").mkdir(parents=True)
    with pytest.raises(FileExistsError, match=f"{tmp_path} already holds a dataset"):
        generate(tmp_path, num_train=1, num_val=1, height=32, width=64)


def test_splits_hold_several_classes_and_ignored_pixels(small_root):
    for split in ("train", "val"):
        data = load_dataset("synthetic", small_root, split, **SMALL)
        assert len(data) == SMALL[f"num_{split}"]
        labels = np.stack([read_label(s.label, data.label_lut) for s in data.samples])
        classes = set(np.unique(labels)) - {255}
        assert {0, 1, 2, 5, 8, 10, 11, 13} <= classes, classes   # road … car, as trainIds
        assert (labels == 255).any()
        raw = read_label(data.samples[0].label, None)
        assert {7, 23} <= set(np.unique(raw))                    # real labelIds: road, sky


def test_colour_alone_does_not_give_the_classes_away(small_root):
    assert color_baseline_miou(small_root) < 0.30


def test_reading_without_parameters_keeps_the_stored_dataset(tmp_path):
    generate(tmp_path, num_train=3, num_val=2, height=32, width=64, seed=5)
    marker = (tmp_path / MARKER).read_text()
    val = load_dataset("synthetic", tmp_path, "val")
    assert len(val) == 2 and (tmp_path / MARKER).read_text() == marker
    assert read_label(val.samples[0].label, val.label_lut).shape == (32, 64)
    assert len(load_dataset("synthetic", tmp_path, "val", num_val=1, num_train=1,
                            height=32, width=64)) == 1          # explicit parameters regenerate


def test_reading_never_generates(tmp_path):
    """A mistyped --data-root at evaluation must not get a fresh dataset made (and scored) there."""
    with pytest.raises(DataError, match="holds no complete synthetic dataset"):
        load_dataset("synthetic", tmp_path / "typo", "val")
    assert not (tmp_path / "typo").exists()


def test_the_synthetic_scenes_are_named_synthetic_with_cityscapes_classes(tmp_path):
    """Messages and metadata say "synthetic", never "cityscapes", for the built-in scenes."""
    from stdc_tf.data import CITYSCAPES, load_dataset

    data = load_dataset("synthetic", tmp_path, "val", num_train=1, num_val=1, height=32, width=64)
    assert data.info.name == "synthetic"
    assert data.info.class_names == CITYSCAPES.class_names and data.info.palette == CITYSCAPES.palette
