"""Prediction label PNGs: how they are named and written, by the evaluator and by ``stdc-predict``.

A prediction of image ``X.ext`` is ``X_labelTrainIds.png`` (class indices) or ``X_labelIds.png``
(Cityscapes labelIds, the official benchmark's format), a single-channel 8-bit PNG. The name
starts with the image's stem, so ``evaluate --predictions`` matches it back to its sample
(:mod:`stdc_tf.evaluation.predictions`), wherever it was made. TensorFlow-free.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from stdc_tf.atomic import atomic_output
from stdc_tf.data.labels import CITYSCAPES, DatasetInfo, cityscapes_train_to_label_id

PREDICTION_IDS = ("trainIds", "labelIds")
SUFFIXES = {"trainIds": "_labelTrainIds.png", "labelIds": "_labelIds.png"}


def label_file_name(stem: str, ids: str = "trainIds") -> str:
    """``"street"`` → ``"street_labelTrainIds.png"`` (or ``_labelIds.png``)."""
    return stem + SUFFIXES[ids]


def check_ids(ids: str, info: DatasetInfo) -> None:
    """labelIds exist for Cityscapes' 19 classes only (the synthetic scenes use them too)."""
    if ids not in PREDICTION_IDS:
        raise ValueError(f"unknown prediction ids {ids!r}; valid: {', '.join(PREDICTION_IDS)}")
    if ids == "labelIds" and info.class_names != CITYSCAPES.class_names:
        raise ValueError(f"labelIds are Cityscapes' ids: classes {info.name!r} take trainIds "
                         f"(class indices)")


def label_values(classes: np.ndarray, ids: str = "trainIds") -> np.ndarray:
    """A class map → the uint8 values its PNG holds (trainIds as they are, or labelIds)."""
    classes = np.asarray(classes).astype(np.uint8)
    return cv2.LUT(classes, cityscapes_train_to_label_id()) if ids == "labelIds" else classes


def write_label_png(path: str | Path, classes: np.ndarray, ids: str = "trainIds") -> Path:
    """Write a class map ``[H, W]`` as a label PNG, atomically."""
    path = Path(path)
    with atomic_output(path) as tmp:
        if not cv2.imwrite(str(tmp), label_values(classes, ids)):
            raise OSError(f"cannot write {path}")
    return path
