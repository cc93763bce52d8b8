"""Class tables of the supported datasets and the label-id mappings they need.

The Cityscapes names, colours and id → trainId mapping come from ``cityscapesscripts``'s own
label table rather than a retyped copy, so they cannot drift from the official evaluation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from cityscapesscripts.helpers.labels import labels as _CITYSCAPES_LABELS

from stdc_tf.conventions import IGNORE_INDEX


@dataclass(frozen=True)
class DatasetInfo:
    """What a model and an evaluator need to know about a dataset's classes.

    ``ignore_index`` is the value that marks "not scored" in the *mapped* label maps (after a
    dataset's label LUT), i.e. what losses and metrics must skip.
    """

    name: str
    class_names: tuple[str, ...]
    palette: tuple[tuple[int, int, int], ...]   # RGB per class
    ignore_index: int = IGNORE_INDEX

    def __post_init__(self):
        if len(self.class_names) != len(self.palette):
            raise ValueError(f"dataset {self.name!r}: {len(self.class_names)} class names but "
                             f"{len(self.palette)} palette colours")
        if 0 <= self.ignore_index < len(self.class_names):
            raise ValueError(f"dataset {self.name!r}: ignore_index {self.ignore_index} is also a "
                             f"class index (0..{len(self.class_names) - 1})")

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def _cityscapes_train_labels() -> list:
    """The 19 evaluated Cityscapes labels, ordered by trainId."""
    train = [lab for lab in _CITYSCAPES_LABELS if 0 <= lab.trainId < IGNORE_INDEX]
    return sorted(train, key=lambda lab: lab.trainId)


CITYSCAPES = DatasetInfo(
    name="cityscapes",
    class_names=tuple(lab.name for lab in _cityscapes_train_labels()),
    palette=tuple(tuple(lab.color) for lab in _cityscapes_train_labels()),
)

# The built-in synthetic street scenes: Cityscapes' 19 classes, layout and palette, under their
# own name, so that messages and metadata never call them "cityscapes".
SYNTHETIC = DatasetInfo(name="synthetic", class_names=CITYSCAPES.class_names, palette=CITYSCAPES.palette)

# The 11-class CamVid layout of SegNet and most real-time segmentation papers; the annotation
# value 11 is "void". Colours are the SegNet tutorial's.
CAMVID = DatasetInfo(
    name="camvid",
    class_names=("Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence",
                 "Car", "Pedestrian", "Bicyclist"),
    palette=((128, 128, 128), (128, 0, 0), (192, 192, 128), (128, 64, 128), (60, 40, 222),
             (128, 128, 0), (192, 128, 128), (64, 64, 128), (64, 0, 128), (64, 64, 0),
             (0, 128, 192)),
)


def remap_ignore_lut(raw_ignore: int) -> np.ndarray:
    """uint8[256] that keeps every value except ``raw_ignore``, which becomes 255.

    Values that are neither a class nor the ignore value stay as they are so that the input
    pipeline can reject them with the file's name instead of training on garbage.
    """
    lut = np.arange(256, dtype=np.uint8)
    lut[raw_ignore] = IGNORE_INDEX
    return lut


def camvid_label_lut() -> np.ndarray:
    """uint8[256]: CamVid annotation value → class index; void (11) and anything above → 255."""
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    lut[:CAMVID.num_classes] = np.arange(CAMVID.num_classes)
    return lut


def cityscapes_label_lut() -> np.ndarray:
    """uint8[256]: Cityscapes labelId → trainId, 255 for every id that is not evaluated."""
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    for lab in _cityscapes_train_labels():
        lut[lab.id] = lab.trainId
    return lut


def cityscapes_train_to_label_id() -> np.ndarray:
    """uint8[256]: trainId → labelId, for writing predictions the way the benchmark wants them.

    Non-train values (including 255) map to 0 ("unlabeled").
    """
    inverse = np.zeros(256, dtype=np.uint8)
    for lab in _cityscapes_train_labels():
        inverse[lab.trainId] = lab.id
    return inverse
