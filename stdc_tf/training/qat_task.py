"""Quantization-aware fine-tuning as a task of the same loop (:mod:`stdc_tf.training.loop`).

The float model of ``--init`` is rebuilt in tf_keras by the bridge, its weights copied and
proven equal (:mod:`stdc_tf.quantization.bridge`), then quantized with tfmot
(:mod:`stdc_tf.quantization.qat`). Everything else — variable groups, losses, the per-replica
step, BN statistics, validation — is the float task's: the groups come from the model's own
structure, which sees through tfmot's wrappers. Only the optimizer differs (a tf_keras one, since
the variables are tf_keras'), and the export: a QAT ``.h5`` that ``convert/to_tflite.py
--precision qat`` converts without calibration.
"""
from __future__ import annotations

import logging
from typing import Any

from stdc_tf.quantization.bridge import check_same_outputs
from stdc_tf.quantization.qat import quantize, save_qat
from stdc_tf.training.task import SegmentationTask, load_init_model

log = logging.getLogger(__name__)


class QATSegmentationTask(SegmentationTask):
    """STDC-Seg with fake-quant in tf_keras: the ``litert`` scheme (tfmot default 8-bit + the
    project's configs) or the ``tensorrt`` one (symmetric int8), by ``cfg.qat_scheme``."""

    model_suffix = ".h5"

    def build_model(self, num_classes: int) -> Any:
        import tf_keras

        from stdc_tf.models.io import load_keras

        float_model = load_init_model(self.cfg, num_classes, k=tf_keras)
        worst = check_same_outputs(load_keras(self.cfg.init), float_model, tolerance=1e-4)
        log.info("QAT: %s rebuilt in tf_keras (outputs equal to %.1e), quantizing (%s scheme)",
                 self.cfg.init, worst, self.cfg.qat_scheme)
        return quantize(float_model, self.cfg.qat_scheme)

    def build_optimizer(self) -> Any:
        """A tf_keras optimizer (the variables are tf_keras') on the project's schedule."""
        import tf_keras

        class Schedule(tf_keras.optimizers.schedules.LearningRateSchedule):
            def __init__(self, schedule):
                self.schedule = schedule

            def __call__(self, step):
                return self.schedule(step)

            def get_config(self):
                return self.schedule.get_config()

        lr = Schedule(self.schedule)
        return (tf_keras.optimizers.SGD(lr, momentum=self.cfg.momentum) if self.cfg.optimizer == "sgd"
                else tf_keras.optimizers.Adam(lr))

    def export(self, path, input_size: tuple[int, int] | None = None) -> None:
        save_qat(self.model, path, input_size)

