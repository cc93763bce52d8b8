"""``train(cfg)``: check the configuration, make the strategy, read the data, build the task
inside the strategy's scope, and run the loop (:mod:`stdc_tf.training.task`,
:mod:`stdc_tf.training.loop`).

Everything that can be checked before a side effect is: the configuration's own values when it
is made (:mod:`stdc_tf.training.config`), then the output folder, then the dataset's classes —
before the synthetic dataset is generated, a checkpoint is read or a file is written.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from stdc_tf.atomic import check_writable_dir
from stdc_tf.data.datasets import SegDataset, load_dataset
from stdc_tf.data.labels import CITYSCAPES, DatasetInfo
from stdc_tf.errors import ConfigError
from stdc_tf.training.config import REFERENCE_PER_REPLICA_BATCH, TrainConfig
from stdc_tf.training.loop import TrainingError, TrainingLoop
from stdc_tf.training.strategy import make_strategy
from stdc_tf.training.task import SegmentationTask

__all__ = ["TrainingError", "TrainingLoop", "prepare", "train"]
log = logging.getLogger(__name__)


def _check_classes(cfg: TrainConfig, info: DatasetInfo) -> int:
    if cfg.num_classes is not None and cfg.num_classes < info.num_classes:
        raise ConfigError(f"--num-classes {cfg.num_classes} is below the {info.num_classes} classes "
                          f"of dataset {info.name!r}")
    return cfg.num_classes or info.num_classes


def _datasets(cfg: TrainConfig) -> tuple[SegDataset, SegDataset]:
    kwargs = {}
    if cfg.dataset == "synthetic":
        _check_classes(cfg, CITYSCAPES)   # before anything is generated
        kwargs = {"height": cfg.synthetic_size[0], "width": cfg.synthetic_size[1],
                  "num_train": cfg.synthetic_counts[0], "num_val": cfg.synthetic_counts[1]}
    log.info("reading the %s dataset at %s", cfg.dataset, cfg.data_root)
    train_data = load_dataset(cfg.dataset, cfg.data_root, cfg.train_split, **kwargs)
    val_data = load_dataset(cfg.dataset, cfg.data_root, cfg.val_split, **kwargs)
    if cfg.eval_limit:
        val_data = SegDataset(val_data.samples[:cfg.eval_limit], val_data.info, val_data.label_lut)
    return train_data, val_data


def prepare(cfg: TrainConfig, strategy: tf.distribute.Strategy | None = None,
            verbose: bool = True) -> TrainingLoop:
    """Everything of a run, built and checked, ready for :meth:`TrainingLoop.fit`."""
    check_writable_dir(cfg.output_dir, "--output-dir")
    for option, path in (("--init", cfg.init), ("--pretrained-backbone", cfg.pretrained_backbone)):
        if path and not Path(path).is_file():
            raise FileNotFoundError(f"{option} {path}: file not found")
    strategy = strategy or make_strategy(cfg.strategy, cfg.cpu_replicas)
    replicas = strategy.num_replicas_in_sync
    cfg.global_batch(replicas)   # a global batch the replicas cannot share is refused now
    train_data, val_data = _datasets(cfg)
    num_classes = _check_classes(cfg, train_data.info)
    per_replica = cfg.global_batch(replicas) // replicas
    if cfg.optimizer == "sgd" and per_replica != REFERENCE_PER_REPLICA_BATCH:
        log.warning(
            "%d images per replica; the reference trains %d per GPU, and its OHEM and backbone BN "
            "statistics are per replica (see --per-replica-batch)", per_replica,
            REFERENCE_PER_REPLICA_BATCH)
    keras.utils.set_random_seed(cfg.seed)
    log.info("building %s (%d classes%s) on %d replica(s)", cfg.preset, num_classes,
             ", quantization-aware" if cfg.qat else "", replicas)
    policy = keras.mixed_precision.global_policy()
    try:   # the policy is global in Keras: set it for the build only
        if cfg.mixed_precision:
            keras.mixed_precision.set_global_policy(cfg.mixed_precision)
        with strategy.scope():
            if cfg.qat:
                from stdc_tf.training.qat_task import QATSegmentationTask
                task = QATSegmentationTask(cfg, num_classes, replicas)
            else:
                task = SegmentationTask(cfg, num_classes, replicas)
    finally:
        keras.mixed_precision.set_global_policy(policy)
    return TrainingLoop(task, cfg, strategy, train_data, val_data, verbose)


def train(cfg: TrainConfig, strategy: tf.distribute.Strategy | None = None,
          verbose: bool = True) -> dict[str, Any]:
    """Train with ``cfg``; the summary names the exported models and the logs."""
    return prepare(cfg, strategy, verbose).fit()
