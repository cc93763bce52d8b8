"""The reference learning-rate schedule: geometric warmup, then poly decay."""
from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="stdc_tf")
class WarmupPoly(keras.optimizers.schedules.LearningRateSchedule):
    """lr = start·(base/start)^(it/warmup) for it ≤ warmup, then base·(1 − (it−warmup)/(total−warmup))^power.

    ``it`` is the number of steps already taken, as in the reference's optimizer.
    """

    def __init__(self, base_lr: float, total_iters: int, warmup_iters: int = 1000,
                 warmup_start_lr: float = 1e-5, power: float = 0.9):
        self.base_lr = base_lr
        self.total_iters = total_iters
        self.warmup_iters = warmup_iters
        self.warmup_start_lr = warmup_start_lr
        self.power = power

    def __call__(self, step):
        it = tf.cast(step, tf.float32)
        warmup = float(max(self.warmup_iters, 1))
        ratio = self.base_lr / self.warmup_start_lr
        warm = self.warmup_start_lr * tf.pow(ratio, tf.minimum(it, warmup) / warmup)
        span = float(max(self.total_iters - self.warmup_iters, 1))
        frac = tf.clip_by_value((it - self.warmup_iters) / span, 0.0, 1.0)
        poly = self.base_lr * tf.pow(1.0 - frac, self.power)
        return tf.where(it <= self.warmup_iters, warm, poly) if self.warmup_iters > 0 else poly

    def get_config(self):
        return {"base_lr": self.base_lr, "total_iters": self.total_iters,
                "warmup_iters": self.warmup_iters, "warmup_start_lr": self.warmup_start_lr,
                "power": self.power}
