"""Segmentation metrics on hand-made confusion cases, worked out on paper."""
from __future__ import annotations

import math

import numpy as np
import pytest

from stdc_tf.evaluation.metrics import (
    ConfusionMatrix,
    confusion_matrix,
    first_invalid,
    iou_per_class,
    summarize,
)

# 3 classes, one ignored pixel (255). gt/pred pairs: (0,0) x2, (0,1), (1,1) x2, (2,0), (2,2), (255,2).
LABELS = np.array([[0, 0, 0, 1], [1, 2, 2, 255]])
PREDS = np.array([[0, 0, 1, 1], [1, 0, 2, 2]])
HIST = np.array([[2, 1, 0],
                 [0, 2, 0],
                 [1, 0, 1]])


def test_confusion_matrix_counts_rows_gt_columns_pred_and_skips_ignore():
    np.testing.assert_array_equal(confusion_matrix(LABELS, PREDS, 3), HIST)


def test_iou_miou_pixel_accuracy_fwiou_by_hand():
    # IoU_c = TP / (row + column - TP): class 0: 2/(3+3-2), class 1: 2/(2+3-2), class 2: 1/(2+1-1)
    iou = [2 / 4, 2 / 3, 1 / 2]
    np.testing.assert_allclose(iou_per_class(HIST), iou)
    s = summarize(HIST, ["a", "b", "c"])
    assert s["mIoU"] == pytest.approx(np.mean(iou))
    assert s["pixel_accuracy"] == pytest.approx(5 / 7)
    assert s["fwIoU"] == pytest.approx(3 / 7 * iou[0] + 2 / 7 * iou[1] + 2 / 7 * iou[2])
    assert s["per_class_iou"] == pytest.approx({"a": iou[0], "b": iou[1], "c": iou[2]})
    assert s["absent_classes"] == [] and s["num_pixels"] == 7


def test_absent_class_is_reported_and_left_out_of_the_mean():
    hist = np.array([[3, 1, 0], [1, 5, 0], [0, 0, 0]])   # class 2: no gt, never predicted
    s = summarize(hist, ["a", "b", "c"])
    assert s["absent_classes"] == ["c"] and s["per_class_iou"]["c"] is None
    assert s["mIoU"] == pytest.approx((3 / 5 + 5 / 7) / 2)


def test_class_predicted_but_never_in_gt_scores_zero_not_absent():
    hist = np.array([[3, 1], [0, 0]])   # class 1 only predicted (a false positive)
    s = summarize(hist)
    assert s["per_class_iou"] == {"0": 0.75, "1": 0.0} and s["absent_classes"] == []
    assert s["mIoU"] == pytest.approx(0.375)


def test_empty_matrix_gives_nan_not_an_exception():
    s = summarize(np.zeros((2, 2)))
    assert math.isnan(s["mIoU"]) and math.isnan(s["pixel_accuracy"]) and s["num_pixels"] == 0


def test_void_predictions_are_misses_but_nobodys_false_positives():
    # gt 0 predicted void (255) twice: two more false negatives of class 0, no column gets them.
    labels = np.array([0, 0, 0, 1, 1])
    preds = np.array([0, 255, 255, 1, 0])
    hist = confusion_matrix(labels, preds, 2, void_predictions=True)
    np.testing.assert_array_equal(hist, [[1, 0, 2], [1, 1, 0]])
    np.testing.assert_allclose(iou_per_class(hist), [1 / (3 + 2 - 1), 1 / (2 + 1 - 1)])
    s = summarize(hist)
    assert s["pixel_accuracy"] == pytest.approx(2 / 5) and s["num_pixels"] == 5
    with pytest.raises(ValueError, match="prediction value 255"):
        confusion_matrix(labels, preds, 2)


def test_out_of_range_values_are_errors_naming_the_value():
    with pytest.raises(ValueError, match="label value 7 is outside 0..2"):
        confusion_matrix(np.array([0, 7]), np.array([0, 0]), 3)
    with pytest.raises(ValueError, match="prediction value 3 is outside 0..2"):
        confusion_matrix(np.array([0, 1]), np.array([0, 3]), 3)
    assert first_invalid(np.array([0, 255, 9]), 3, also_valid=255) == 9
    assert first_invalid(np.array([0, 255, 2]), 3, also_valid=255) is None


def test_streaming_matrix_equals_one_shot():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, (6, 8, 8))
    labels[labels == 3] = 255
    preds = rng.integers(0, 3, (6, 8, 8))
    streamed = ConfusionMatrix(3)
    for lab, pred in zip(labels, preds):
        streamed.update(lab, pred)
    np.testing.assert_array_equal(streamed.hist, confusion_matrix(labels, preds, 3))
    assert streamed.miou() == pytest.approx(summarize(streamed.hist)["mIoU"])
