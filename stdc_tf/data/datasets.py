"""Dataset readers: turn a dataset folder into a list of (image, label) file pairs.

Readers only look at file names, so listing a large dataset stays instant; the files are decoded
(:func:`read_image`, :func:`read_label`) and checked by the input pipeline
(:mod:`stdc_tf.data.pipeline`). Nothing here needs TensorFlow.
"""
from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml
from PIL import Image

from stdc_tf.conventions import DATASETS, IGNORE_INDEX
from stdc_tf.data.labels import (
    CAMVID,
    CITYSCAPES,
    SYNTHETIC,
    DatasetInfo,
    camvid_label_lut,
    cityscapes_label_lut,
    remap_ignore_lut,
)
from stdc_tf.errors import StdcError, shown

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
log = logging.getLogger(__name__)


class DataError(StdcError, ValueError):
    """A dataset file or folder is missing, unreadable or inconsistent with its partner."""


@dataclass(frozen=True)
class Sample:
    image: Path
    label: Path


@dataclass(frozen=True)
class SegDataset:
    """One split of a dataset: its file pairs, its classes and how to map its label values.

    ``label_lut`` (uint8[256]) maps a raw label PNG value to a class index or 255; ``None`` means
    the values already are class indices with 255 as ignore.
    """

    samples: list[Sample]
    info: DatasetInfo
    label_lut: np.ndarray | None

    def __len__(self) -> int:
        return len(self.samples)


def load_dataset(name: str, root: str | Path, split: str, **kwargs) -> SegDataset:
    """List the ``split`` of dataset ``name`` stored at ``root``.

    ``kwargs`` go to the reader; only ``synthetic`` takes any (those of
    :func:`stdc_tf.data.synthetic.generate`, e.g. ``num_train``, ``height``, ``seed``).
    """
    if name not in _READERS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
    root = Path(root)
    if not root.is_dir() and name != "synthetic":
        raise FileNotFoundError(f"dataset root {root} does not exist (dataset {name!r})")
    dataset = _READERS[name](root, split, **kwargs)
    if not dataset.samples:
        raise DataError(f"split {split!r} of dataset {name!r} at {root} holds no images")
    return dataset


# Decoding failures are reported by read_image as one DataError naming the file; OpenCV's own
# log lines about the same failure would only bury it.
if hasattr(cv2, "utils") and hasattr(cv2.utils, "logging"):
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
else:   # OpenCV 4 (the TF-TRT install pins it): the older spelling
    cv2.setLogLevel(0)


_IMREAD_RGB = getattr(cv2, "IMREAD_COLOR_RGB", None)   # OpenCV >= 4.10 decodes to RGB directly


def read_image(path: str | Path) -> np.ndarray:
    """Decode an image file to uint8 RGB ``[H, W, 3]`` (grayscale is expanded, 16 bit reduced)."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as e:
        raise DataError(f"cannot read image {path}: {e.strerror or e}") from None
    image = cv2.imdecode(data, _IMREAD_RGB or cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise DataError(f"cannot decode image {path}: corrupt or not an image file")
    return image if _IMREAD_RGB else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_label(path: str | Path, label_lut: np.ndarray | None) -> np.ndarray:
    """Decode a label PNG to uint8 ``[H, W]`` class indices (255 = ignore) via ``label_lut``.

    PIL, not OpenCV: OpenCV expands palette ("P" mode) PNGs to colours, losing the indices.
    """
    try:
        with Image.open(path) as im:
            mode = im.mode
            label = np.asarray(im) if mode in ("L", "P") else None
    except (OSError, SyntaxError, ValueError) as e:   # PIL reports truncated files as SyntaxError too
        raise DataError(f"cannot read label {path}: {e}") from None
    if label is None:
        raise DataError(f"label {path} has PIL mode {mode!r}; expected a single-channel 8-bit "
                        f"PNG of label ids (mode 'L' or 'P')")
    if label_lut is None:
        return label
    return cv2.LUT(np.ascontiguousarray(label), label_lut)   # = label_lut[label], without the GIL


def _require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise FileNotFoundError(f"{what} folder {path} does not exist")
    return path


def _split_dirs(top: Path, split: str) -> list[Path]:
    """``top/split``, or ``top/train`` + ``top/val`` for a ``trainval`` split with no folder."""
    if split == "trainval" and not (top / split).is_dir():
        return [_require_dir(top / s, "split") for s in ("train", "val")]
    return [_require_dir(top / split, "split")]


def _pair(images: dict[str, Path], labels: dict[str, Path], where: Path,
          skipped: Iterable[Path] = ()) -> list[Sample]:
    """Match images and labels by key; any file without a partner is an error (which names the
    ``skipped`` files of the image folder: a label's image may be among them)."""
    problems = []
    for what, mine, theirs in (("images without a label", images, labels),
                               ("labels without an image", labels, images)):
        lonely = sorted(str(mine[k]) for k in mine.keys() - theirs.keys())
        if lonely:
            problems.append(f"{len(lonely)} {what}: {shown(lonely)}")
    if problems:
        skipped = sorted(str(p) for p in skipped)
        if skipped:
            problems.append(_not_images(skipped))
        raise DataError(f"unmatched files under {where}: " + "; ".join(problems))
    return [Sample(images[k], labels[k]) for k in sorted(images)]


def _not_images(files: list[str]) -> str:
    return (f"skipped {len(files)} file(s) that are not images (an image ends in "
            f"{', '.join(IMAGE_SUFFIXES)}): {shown(files)}")


def _by_stem(files: Iterable[Path], ending: str = "") -> dict[str, Path]:
    """Image files whose name ends with ``ending``, keyed by the name without it (or the stem)."""
    return {f.name[:-len(ending)] if ending else f.stem: f for f in files
            if f.is_file() and f.name.endswith(ending) and f.suffix.lower() in IMAGE_SUFFIXES}


def _cityscapes(root: Path, split: str) -> SegDataset:
    """``leftImg8bit/{split}/{city}/X_leftImg8bit.png`` paired with
    ``gtFine/{split}/{city}/X_gtFine_labelIds.png``."""
    samples = []
    for image_dir, label_dir in zip(_split_dirs(root / "leftImg8bit", split),
                                    _split_dirs(root / "gtFine", split)):
        images = _by_stem(image_dir.glob("*/*"), "_leftImg8bit.png")
        labels = _by_stem(label_dir.glob("*/*"), "_gtFine_labelIds.png")
        samples += _pair(images, labels, image_dir.parent.parent)
    return SegDataset(samples, CITYSCAPES, cityscapes_label_lut())


def _camvid(root: Path, split: str) -> SegDataset:
    """``{split}/`` images paired by stem with ``{split}annot/`` labels (SegNet's layout)."""
    samples = []
    for image_dir in _split_dirs(root, split):
        label_dir = _require_dir(image_dir.with_name(f"{image_dir.name}annot"), "label")
        samples += _pair(_by_stem(image_dir.iterdir()), _by_stem(label_dir.iterdir()), root)
    return SegDataset(samples, CAMVID, camvid_label_lut())


def read_class_file(root: Path) -> tuple[DatasetInfo, int]:
    """Parse ``root/classes.yaml`` (or ``.yml``/``.json``); returns the info and the raw ignore value.

    Format (YAML shown; JSON is the same structure)::

        name: my_dataset          # optional, defaults to the folder name
        ignore_index: 255         # optional: the label value that means "not scored"
        classes:                  # in class-index order: label value i is classes[i]
          - {name: road, color: [128, 64, 128]}
          - {name: car,  color: [0, 0, 142]}
    """
    candidates = [root / f"classes.{ext}" for ext in ("yaml", "yml", "json")]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise FileNotFoundError(f"folder dataset {root} needs a class file: {candidates[0].name} "
                                f"or {candidates[2].name}")
    try:
        text = path.read_text()
        spec = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        classes = spec["classes"]
        names = tuple(str(c["name"]) for c in classes)
        palette = tuple(tuple(int(v) for v in c["color"]) for c in classes)
        raw_ignore = int(spec.get("ignore_index", IGNORE_INDEX))
        name = str(spec.get("name", root.name))
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as e:
        reason = " ".join(f"{type(e).__name__}: {e}".split())   # YAML errors span several lines
        raise DataError(f"{path}: expected 'classes: [{{name: ..., color: [r, g, b]}}, ...]' "
                        f"and an optional integer 'ignore_index' ({reason})") from None
    if not names or any(len(c) != 3 or not all(0 <= v <= 255 for v in c) for c in palette):
        raise DataError(f"{path}: needs at least one class, each with an RGB 'color' of three "
                        f"0..255 values")
    if not 0 <= raw_ignore <= 255 or raw_ignore < len(names):
        raise DataError(f"{path}: ignore_index {raw_ignore} must be in {len(names)}..255 "
                        f"(not a class index and storable in a label PNG)")
    return DatasetInfo(name, names, palette), raw_ignore


def _folder(root: Path, split: str) -> SegDataset:
    """``images/`` + ``labels/`` (label PNG values = class indices), paired by file stem.

    With split subfolders (``images/{split}``, ``labels/{split}``) the split picks one; a flat
    ``images/`` folder (no subfolders) is one set of files that every split name reads.
    """
    info, raw_ignore = read_class_file(root)
    image_dir, label_dir = _require_dir(root / "images", "image"), _require_dir(root / "labels", "label")
    if any(p.is_dir() for p in image_dir.iterdir()):
        image_dir = _require_dir(image_dir / split, "split")
        label_dir = _require_dir(label_dir / split, "split")
    images = _by_stem(image_dir.iterdir())
    skipped = sorted(p for p in image_dir.iterdir() if p.is_file() and not p.name.startswith(".")
                     and p.suffix.lower() not in IMAGE_SUFFIXES)   # a video, a text file
    labels = _by_stem(p for p in label_dir.iterdir() if p.suffix.lower() == ".png")
    lut = None if raw_ignore == IGNORE_INDEX else remap_ignore_lut(raw_ignore)
    samples = _pair(images, labels, root, skipped)
    if skipped:
        log.warning("%s", _not_images([str(p) for p in skipped]))
    return SegDataset(samples, info, lut)


def _synthetic(root: Path, split: str, **generate_kwargs) -> SegDataset:
    """The built-in synthetic street scenes, generated at ``root`` on first use.

    Without arguments a dataset already at ``root`` is read as it is (whatever size it was
    generated with) and a missing one is an error; with arguments it is generated, or
    regenerated unless it matches them.
    """
    from stdc_tf.data.synthetic import generate, stored_parameters

    if not generate_kwargs:   # reading only (evaluation): never generate
        if stored_parameters(root) is None:
            raise DataError(f"{root} holds no complete synthetic dataset; training generates it "
                            f"(python training/train.py), reading never does")
        return dataclasses.replace(_cityscapes(root, split), info=SYNTHETIC)
    return dataclasses.replace(_cityscapes(generate(root, **generate_kwargs), split), info=SYNTHETIC)


_READERS: dict[str, Callable[..., SegDataset]] = {
    "cityscapes": _cityscapes, "camvid": _camvid, "folder": _folder, "synthetic": _synthetic,
}
