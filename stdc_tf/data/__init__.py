"""Datasets (Cityscapes, CamVid, a folder of PNGs, built-in synthetic scenes) and tf.data pipelines.

This package import stays TensorFlow-free; the pipelines live in :mod:`stdc_tf.data.pipeline`.
"""
from stdc_tf.data.datasets import DATASETS, DataError, Sample, SegDataset, load_dataset
from stdc_tf.data.labels import (
                                 CAMVID,
                                 CITYSCAPES,
                                 SYNTHETIC,
                                 DatasetInfo,
                                 cityscapes_label_lut,
                                 cityscapes_train_to_label_id,
)

__all__ = ["CAMVID", "CITYSCAPES", "DATASETS", "SYNTHETIC", "DataError", "DatasetInfo", "Sample", "SegDataset",
           "cityscapes_label_lut", "cityscapes_train_to_label_id", "load_dataset"]
