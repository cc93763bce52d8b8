"""Calibration images for int8 engines, taken from a dataset through the evaluation pipeline.

The images are decoded by :func:`stdc_tf.data.pipeline.eval_dataset` and resized exactly as the
evaluator resizes them before inference (bilinear, align corners), so the activation ranges
TensorRT measures are those of the images it will see. They are spread evenly over the split
(a split's first files are often one city or one sequence).
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from stdc_tf.data.datasets import SegDataset, load_dataset
from stdc_tf.export import ExportError

log = logging.getLogger(__name__)


def spread(dataset: SegDataset, count: int) -> SegDataset:
    """``count`` samples spread evenly over ``dataset`` (all of them if it has fewer)."""
    if count < 1:
        raise ExportError(f"the number of calibration images must be positive, got {count}")
    picks = np.linspace(0, len(dataset) - 1, min(count, len(dataset))).round().astype(int)
    return dataclasses.replace(dataset, samples=[dataset.samples[i] for i in picks])


def calibration_batches(dataset: SegDataset, count: int, size: tuple[int, int],
                        batch_size: int = 1) -> Iterator[np.ndarray]:
    """uint8 RGB batches ``[B, H, W, 3]`` at ``size`` (H, W): ``count`` images in all.

    The last batch is padded with its final image so that every batch has ``batch_size``
    images (calibrators take fixed-size batches).
    """
    import tensorflow as tf

    from stdc_tf.data.pipeline import eval_dataset, iterate_with_clear_errors
    from stdc_tf.models.layers import resize_like

    subset = spread(dataset, count)
    log.info("reading %d images of %s at %dx%d (spread over the split)", len(subset), dataset.info.name, *size)
    batch: list[np.ndarray] = []
    for image, _ in iterate_with_clear_errors(eval_dataset(subset)):
        resized = resize_like(tf.cast(image, tf.float32), size, "bilinear")
        batch.append(np.clip(np.round(resized.numpy()[0]), 0, 255).astype(np.uint8))
        if len(batch) == batch_size:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch + [batch[-1]] * (batch_size - len(batch)))


def dataset_batches(name: str, root: str | Path, split: str, count: int, size: tuple[int, int],
                    batch_size: int = 1) -> Iterator[np.ndarray]:
    """:func:`calibration_batches` of the ``split`` of dataset ``name`` stored at ``root``."""
    return calibration_batches(load_dataset(name, root, split), count, size, batch_size)


def random_batch(count: int, size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """``count`` uint8 RGB noise images: enough to compare two runtimes when no dataset is at hand."""
    return np.random.default_rng(seed).integers(0, 256, (count, *size, 3), dtype=np.uint8)
