"""Streaming confusion matrix and the segmentation metrics derived from it.

One implementation serves the evaluator, the trainer's periodic validation and the baselines.
Rows are ground truth, columns predictions (``hist[gt, pred]``, as the reference and
cityscapesscripts do). Pixels whose label is ``ignore_index`` are left out.

Predictions may also say "no evaluated class" (a Cityscapes labelId that is not scored, or the
ignore value in a trainId prediction PNG). cityscapesscripts counts such a pixel as a miss of its
ground-truth class and as nobody's false positive; ``void_predictions=True`` keeps them in an extra
last column, so the matrix is ``num_classes x (num_classes + 1)``. Every function here accepts both
shapes.

A class that appears neither in the ground truth nor in the predictions has an undefined IoU
(0/0). It is reported as absent (``NaN``) and left out of the mean; the reference instead
averages over all classes with no NaN guard, which only differs when a class is absent.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from stdc_tf.conventions import IGNORE_INDEX


def confusion_matrix(labels: np.ndarray, preds: np.ndarray, num_classes: int,
                     ignore_index: int = IGNORE_INDEX, void_predictions: bool = False) -> np.ndarray:
    """``hist[gt, pred]`` counts over the pixels whose label is not ``ignore_index``.

    Raises ValueError for label values that are neither a class nor ``ignore_index``, and for
    prediction values outside the classes, except ``ignore_index`` with ``void_predictions``
    (counted in the extra last column, see the module docstring).
    """
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    preds = np.asarray(preds).reshape(-1).astype(np.int64)
    if labels.shape != preds.shape:
        raise ValueError(f"labels and predictions differ in size: {labels.size} vs {preds.size}")
    keep = labels != ignore_index
    labels, preds = labels[keep], preds[keep]
    bad = first_invalid(labels, num_classes)
    if bad is not None:
        raise ValueError(f"label value {bad} is outside 0..{num_classes - 1} "
                         f"and is not the ignore index {ignore_index}")
    bad = first_invalid(preds, num_classes, ignore_index if void_predictions else None)
    if bad is not None:
        allowed = f" or the ignore value {ignore_index}" if void_predictions else ""
        raise ValueError(f"prediction value {bad} is outside 0..{num_classes - 1}{allowed}")
    columns = num_classes + 1 if void_predictions else num_classes
    if void_predictions:
        preds = np.where(preds == ignore_index, num_classes, preds)
    return np.bincount(labels * columns + preds,
                       minlength=num_classes * columns).reshape(num_classes, columns)


def first_invalid(values: np.ndarray, num_classes: int, also_valid: int | None = None) -> int | None:
    """The first value that is neither a class index nor ``also_valid``; ``None`` if all are valid.

    For naming the offending value (and, at the call site, the file) in an error.
    """
    values = np.asarray(values)
    bad = (values < 0) | (values >= num_classes)
    if also_valid is not None:
        bad &= values != also_valid
    return int(values[bad][0]) if bad.any() else None


def iou_per_class(hist: np.ndarray) -> np.ndarray:
    """IoU = TP / (TP + FP + FN); NaN where a class is absent from both gt and predictions."""
    hist = np.asarray(hist, dtype=np.float64)
    scored = hist[:, :hist.shape[0]]   # without the void-prediction column, if any
    tp = np.diag(scored)
    union = scored.sum(0) + hist.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def summarize(hist: np.ndarray, class_names: list[str] | None = None) -> dict:
    """Every number the evaluator reports, from one confusion matrix."""
    hist = np.asarray(hist, dtype=np.float64)
    n = hist.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    iou = iou_per_class(hist)
    present = ~np.isnan(iou)
    total = hist.sum()
    gt_freq = hist.sum(1) / total if total else np.zeros(n)
    return {
        "mIoU": float(np.nanmean(iou)) if present.any() else float("nan"),
        "pixel_accuracy": float(np.trace(hist) / total) if total else float("nan"),
        "fwIoU": float(np.nansum(gt_freq * np.nan_to_num(iou))) if total else float("nan"),
        "per_class_iou": {name: (float(v) if ok else None)
                          for name, v, ok in zip(names, iou, present)},
        "absent_classes": [name for name, ok in zip(names, present) if not ok],
        "num_pixels": int(total),
    }


@dataclass
class ConfusionMatrix:
    """Accumulates ``hist[gt, pred]`` over batches of label maps and predictions."""

    num_classes: int
    ignore_index: int = IGNORE_INDEX
    void_predictions: bool = False
    hist: np.ndarray = field(init=False)

    def __post_init__(self):
        self.reset()

    def reset(self) -> None:
        columns = self.num_classes + 1 if self.void_predictions else self.num_classes
        self.hist = np.zeros((self.num_classes, columns), dtype=np.int64)

    def update(self, labels: np.ndarray, preds: np.ndarray) -> None:
        self.hist += confusion_matrix(labels, preds, self.num_classes, self.ignore_index,
                                      self.void_predictions)

    def miou(self) -> float:
        iou = iou_per_class(self.hist)
        return float(np.nanmean(iou)) if (~np.isnan(iou)).any() else float("nan")

    def summary(self, class_names: list[str] | None = None) -> dict:
        return summarize(self.hist, class_names)
