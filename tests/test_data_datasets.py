"""Dataset readers (stdc_tf.data.datasets) on tiny fixture trees."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from stdc_tf.data.datasets import DATASETS, DataError, load_dataset, read_image, read_label
from stdc_tf.data.labels import CAMVID, CITYSCAPES


def png(path: Path, value: int = 0, shape: tuple[int, ...] = (4, 6)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full(shape, value, np.uint8))
    return path


def cityscapes_tree(root: Path, layout: dict[str, dict[str, int]]) -> Path:
    """``layout[split][city]`` = number of image/label pairs."""
    for split, cities in layout.items():
        for city, count in cities.items():
            for i in range(count):
                stem = f"{city}_{i:06d}_000019"
                png(root / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png", shape=(4, 6, 3))
                png(root / "gtFine" / split / city / f"{stem}_gtFine_labelIds.png", 7)
                png(root / "gtFine" / split / city / f"{stem}_gtFine_color.png")   # not a label map
    return root


def test_cityscapes_reader(tmp_path):
    root = cityscapes_tree(tmp_path, {"train": {"aachen": 2, "bonn": 1}, "val": {"lindau": 2}})
    train = load_dataset("cityscapes", root, "train")
    assert [s.image.name for s in train.samples] == [
        "aachen_000000_000019_leftImg8bit.png", "aachen_000001_000019_leftImg8bit.png",
        "bonn_000000_000019_leftImg8bit.png"]
    assert all(s.label.name.endswith("_gtFine_labelIds.png") for s in train.samples)
    assert train.info == CITYSCAPES
    assert read_label(train.samples[0].label, train.label_lut).max() == 0   # labelId 7 = road
    assert len(load_dataset("cityscapes", root, "trainval")) == 5


def test_cityscapes_missing_split_names_the_folder(tmp_path):
    root = cityscapes_tree(tmp_path, {"train": {"aachen": 1}})
    with pytest.raises(FileNotFoundError, match=r"leftImg8bit/val"):
        load_dataset("cityscapes", root, "val")


def test_unmatched_files_are_listed_with_a_count(tmp_path):
    root = cityscapes_tree(tmp_path, {"train": {"aachen": 8}})
    for label in sorted((root / "gtFine" / "train" / "aachen").glob("*_labelIds.png"))[:7]:
        label.unlink()
    with pytest.raises(DataError, match=r"7 images without a label: .*aachen_000000_000019_leftImg8bit"
                                        r"\.png.*\(\+2 more\)") as err:
        load_dataset("cityscapes", root, "train")
    assert "\n" not in str(err.value)


def test_camvid_reader_pairs_by_stem_and_ignores_void(tmp_path):
    for split in ("train", "val"):
        for name in ("0001TP_006690", "Seq05VD_f00000"):
            png(tmp_path / split / f"{name}.png", shape=(4, 6, 3))
            png(tmp_path / f"{split}annot" / f"{name}.png", 11)
    data = load_dataset("camvid", tmp_path, "train")
    assert data.info == CAMVID and len(data) == 2
    assert [s.image.stem for s in data.samples] == [s.label.stem for s in data.samples]
    assert (read_label(data.samples[0].label, data.label_lut) == 255).all()
    assert len(load_dataset("camvid", tmp_path, "trainval")) == 4

    png(tmp_path / "valannot" / "extra.png")
    with pytest.raises(DataError, match=r"1 labels without an image: .*valannot/extra\.png"):
        load_dataset("camvid", tmp_path, "val")


CLASSES = {"name": "tiny", "ignore_index": 250,
           "classes": [{"name": "bg", "color": [0, 0, 0]}, {"name": "fg", "color": [255, 0, 0]}]}


@pytest.mark.parametrize("class_file", ["classes.yaml", "classes.json"])
def test_folder_reader_flat_layout(tmp_path, class_file):
    (tmp_path / class_file).write_text(json.dumps(CLASSES))   # JSON is valid YAML
    png(tmp_path / "images" / "a.jpg", shape=(4, 6, 3))
    png(tmp_path / "labels" / "a.png", 250)
    data = load_dataset("folder", tmp_path, "val")
    assert data.info.name == "tiny" and data.info.class_names == ("bg", "fg")
    assert data.info.palette == ((0, 0, 0), (255, 0, 0)) and data.info.ignore_index == 255
    assert (read_label(data.samples[0].label, data.label_lut) == 255).all()


def test_folder_reader_names_files_it_skips_and_why(tmp_path, caplog):
    (tmp_path / "classes.json").write_text(json.dumps(CLASSES))
    png(tmp_path / "images" / "a.png", shape=(4, 6, 3))
    png(tmp_path / "labels" / "a.png")
    (tmp_path / "images" / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    (tmp_path / "images" / ".DS_Store").write_bytes(b"\x00")   # hidden files are not data
    skipped = (f"skipped 1 file(s) that are not images (an image ends in .png, .jpg, .jpeg, .bmp, "
               f".tif, .tiff): {tmp_path / 'images' / 'clip.mp4'}")
    with caplog.at_level("WARNING", logger="stdc_tf.data.datasets"):
        assert len(load_dataset("folder", tmp_path, "val")) == 1
    assert [r.getMessage() for r in caplog.records if r.name == "stdc_tf.data.datasets"] == [skipped]
    png(tmp_path / "labels" / "clip.png")   # the video's label: the error names the video too
    with pytest.raises(DataError) as error:
        load_dataset("folder", tmp_path, "val")
    assert str(error.value) == (f"unmatched files under {tmp_path}: 1 labels without an image: "
                                f"{tmp_path / 'labels' / 'clip.png'}; {skipped}")


def test_folder_reader_split_layout_and_default_ignore(tmp_path):
    (tmp_path / "classes.yaml").write_text("classes:\n  - {name: bg, color: [0, 0, 0]}\n")
    for split in ("train", "val"):
        png(tmp_path / "images" / split / f"{split}.png", shape=(4, 6, 3))
        png(tmp_path / "labels" / split / f"{split}.png")
    data = load_dataset("folder", tmp_path, "train")
    assert [s.image.name for s in data.samples] == ["train.png"] and data.label_lut is None
    with pytest.raises(FileNotFoundError, match=r"images/test"):
        load_dataset("folder", tmp_path, "test")


@pytest.mark.parametrize("text, message", [
    ("", "classes.yaml: expected 'classes"),
    ("classes: [{name: a}]", "classes.yaml: expected 'classes"),
    ("classes: [{name: a", "classes.yaml: expected 'classes.*ParserError"),
    ("classes: [{name: a, color: [1, 2]}]", "RGB 'color'"),
    ("ignore_index: 0\nclasses: [{name: a, color: [1, 2, 3]}]", "ignore_index 0 must be in 1..255"),
])
def test_folder_reader_rejects_bad_class_files(tmp_path, text, message):
    (tmp_path / "classes.yaml").write_text(text)
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    with pytest.raises(DataError, match=message):
        load_dataset("folder", tmp_path, "train")


def test_folder_reader_needs_a_class_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="classes.yaml or classes.json"):
        load_dataset("folder", tmp_path, "train")


def test_empty_split_is_an_error(tmp_path):
    (tmp_path / "leftImg8bit" / "train").mkdir(parents=True)
    (tmp_path / "gtFine" / "train").mkdir(parents=True)
    with pytest.raises(DataError, match="split 'train' of dataset 'cityscapes' .* holds no images"):
        load_dataset("cityscapes", tmp_path, "train")


def test_unknown_name_and_missing_root(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'kitti'; valid names: " + ", ".join(DATASETS)):
        load_dataset("kitti", tmp_path, "train")
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nope")):
        load_dataset("cityscapes", tmp_path / "nope", "train")


def test_readers_of_single_files(tmp_path):
    rgb = np.zeros((3, 5, 3), np.uint8)
    rgb[..., 0] = 200                                         # red in RGB
    cv2.imwrite(str(tmp_path / "rgb.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    np.testing.assert_array_equal(read_image(tmp_path / "rgb.png"), rgb)
    with pytest.raises(DataError, match=r"label .*rgb\.png has PIL mode 'RGB'"):
        read_label(tmp_path / "rgb.png", None)
    with pytest.raises(DataError, match=r"cannot read image .*missing\.png"):
        read_image(tmp_path / "missing.png")
