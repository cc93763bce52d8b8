"""Baselines that say how hard a dataset is, measured with the toolkit's own metrics."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from stdc_tf.data.datasets import load_dataset, read_image, read_label
from stdc_tf.evaluation.metrics import ConfusionMatrix


def color_baseline_miou(root: str | Path) -> float:
    """val mIoU of a per-pixel nearest-class-mean-colour classifier fitted on train.

    It measures how much colour alone gives away; the synthetic data is meant to keep this low.
    Works on any dataset in the Cityscapes layout.
    """
    train = load_dataset("cityscapes", root, "train")
    n = train.info.num_classes
    sums, counts = np.zeros((n, 3)), np.zeros(n)
    for s in train.samples:
        label = read_label(s.label, train.label_lut).reshape(-1)
        keep = label < n
        pixels, label = read_image(s.image).reshape(-1, 3)[keep].astype(np.float64), label[keep]
        counts += np.bincount(label, minlength=n)
        sums += np.stack([np.bincount(label, pixels[:, c], minlength=n) for c in range(3)], 1)
    seen = np.flatnonzero(counts)
    means = sums[seen] / counts[seen, None]

    val = load_dataset("cityscapes", root, "val")
    cm = ConfusionMatrix(n, ignore_index=val.info.ignore_index)
    for s in val.samples:
        pixels = read_image(s.image).reshape(-1, 1, 3).astype(np.float32)
        nearest = np.argmin(((pixels - means[None].astype(np.float32)) ** 2).sum(-1), axis=1)
        cm.update(read_label(s.label, val.label_lut).reshape(-1), seen[nearest])
    return cm.miou()
