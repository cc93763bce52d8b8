"""The STDC trainer: a ``tf.distribute`` custom loop with the reference recipe.

Recipe (stdc-reference §4): SGD momentum 0.9, coupled L2 weight decay 5e-4 on conv/dense kernels
only, geometric warmup then poly 0.9, 10× learning rate on the FFM and every output head, head
BatchNorms synchronized across replicas, optionally frozen backbone BN γ/β, OHEM ×3 + detail loss.

Decisions:
* The 10× head learning rate is applied by scaling those variables' gradients by 10: for SGD with
  momentum (and the coupled L2 term, which is part of the gradient) that is exactly a 10× lr,
  and it keeps one optimizer, one schedule and one checkpointed state. ``optimizer: adam`` (for
  short runs from scratch, e.g. the quickstart) has one learning rate for every variable.
* Coupled weight decay is an L2 term ``wd/2·Σ‖w‖²`` added to the loss (PyTorch SGD adds ``wd·w``
  to the gradient before momentum; Keras' ``weight_decay`` would be decoupled).
* Frozen backbone γ/β are left out of the optimized variables, not made non-trainable, so the
  backbone BNs still normalize with batch statistics (Keras' ``trainable=False`` would switch
  them to inference mode).
* Each replica's loss is the mean over its local batch (OHEM selects per replica, as in the
  reference); ``tf.nn.compute_average_loss`` divides it by the number of replicas, so the summed
  gradients are the replicas' average.
* The data iterator is not checkpointed (the pipeline decodes in Python, which tf.data cannot
  save); on resume the pipeline is re-seeded with ``seed + step``, so a resumed run is
  deterministic but does not replay the exact batches of an uninterrupted one.
"""
from __future__ import annotations

import json
import logging
import math
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from stdc_tf.atomic import atomic_output
from stdc_tf.data.datasets import SegDataset, load_dataset
from stdc_tf.data.pipeline import iterate_with_clear_errors, read_image, read_label, train_dataset
from stdc_tf.evaluation.evaluator import evaluate
from stdc_tf.losses import stdc_loss
from stdc_tf.models import build_model, get_preset, inference_model
from stdc_tf.models.io import save_keras
from stdc_tf.models.preprocessing import normalize
from stdc_tf.runtime.predictors import KerasPredictor
from stdc_tf.training.config import TrainConfig
from stdc_tf.training.schedule import WarmupPoly
from stdc_tf.training.strategy import is_chief, make_strategy, task_id
from stdc_tf.weights import load_reference_weights

log = logging.getLogger(__name__)
HEAD_PREFIXES = ("ffm.", "conv_out")      # the reference's lr_mul groups: FFM + BiSeNetOutputs


class TrainingError(RuntimeError):
    """Training cannot go on (a non-finite loss, a bad option)."""


def _dataset_kwargs(cfg: TrainConfig) -> dict:
    if cfg.dataset != "synthetic":
        return {}
    return {"height": cfg.synthetic_size[0], "width": cfg.synthetic_size[1],
            "num_train": cfg.synthetic_counts[0], "num_val": cfg.synthetic_counts[1]}


def variable_groups(model: Any, freeze_backbone_bn_affine: bool) -> dict[str, list]:
    """The optimized variables, the ones with 10× lr, the ones under weight decay."""
    train, heads, decay = [], [], []
    for layer in model.layers:
        kind = type(layer).__name__
        is_bn = kind.startswith("BatchNormalization")
        if is_bn and freeze_backbone_bn_affine and layer.name.startswith("features."):
            continue
        for var in layer.trainable_weights:
            train.append(var)
            if layer.name.startswith(HEAD_PREFIXES):
                heads.append(var)
            if kind in ("Conv2D", "DepthwiseConv2D", "Dense") and var is layer.weights[0]:
                decay.append(var)
    return {"train": train, "heads": heads, "decay": decay}


class Trainer:
    """Builds everything inside the strategy's scope and runs the loop (see the module docstring)."""

    def __init__(self, cfg: TrainConfig, strategy: tf.distribute.Strategy | None = None,
                 verbose: bool = True):
        self.cfg = cfg
        if cfg.mixed_precision:
            keras.mixed_precision.set_global_policy(cfg.mixed_precision)
        self.strategy = strategy or make_strategy(cfg.strategy, cfg.cpu_replicas)
        self.chief = is_chief(self.strategy)
        self.verbose = verbose and self.chief
        self.out_dir = Path(cfg.output_dir)
        kwargs = _dataset_kwargs(cfg)
        self.train_data = load_dataset(cfg.dataset, cfg.data_root, cfg.train_split, **kwargs)
        self.val_data = load_dataset(cfg.dataset, cfg.data_root, cfg.val_split, **kwargs)
        if cfg.eval_limit:
            self.val_data = SegDataset(self.val_data.samples[:cfg.eval_limit],
                                       self.val_data.info, self.val_data.label_lut)
        self.num_classes = cfg.num_classes or self.train_data.info.num_classes
        if get_preset(cfg.preset).task != "seg":
            raise TrainingError(f"--preset {cfg.preset} is a classifier; train a *_seg50/75 preset")
        replicas = self.strategy.num_replicas_in_sync
        if cfg.batch_size % replicas:
            raise TrainingError(f"--batch-size {cfg.batch_size} is not divisible by the "
                                f"{replicas} replicas")
        sync_bn = replicas > 1 if cfg.sync_bn is None else cfg.sync_bn

        keras.utils.set_random_seed(cfg.seed)
        with self.strategy.scope():
            self.model = build_model(cfg.preset, self.num_classes, (None, None, 3),
                                     detail_strides=cfg.detail_strides, sync_bn=sync_bn)
            if cfg.pretrained_backbone:
                report = load_reference_weights(self.model, cfg.pretrained_backbone, part="backbone")
                log.info("pretrained backbone: %s", report)
            self.schedule = WarmupPoly(cfg.lr, cfg.iterations, cfg.warmup_iters,
                                       cfg.warmup_start_lr, cfg.poly_power)
            optimizer = (keras.optimizers.SGD(self.schedule, momentum=cfg.momentum)
                         if cfg.optimizer == "sgd" else keras.optimizers.Adam(self.schedule))
            if cfg.mixed_precision == "mixed_float16":
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            self.optimizer = optimizer
            self.groups = variable_groups(self.model, cfg.freeze_backbone_bn_affine)
            # Keras <= 3.15: a stateful optimizer must be built eagerly in the scope (keras #23085).
            self.optimizer.build(self.groups["train"])
            self.checkpoint = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer)
        self.head_ids = {id(v) for v in self.groups["heads"]}
        ckpt_dir = self.out_dir / "checkpoints"
        if not self.chief:   # every worker must save; only the chief's copy is kept
            ckpt_dir = self.out_dir / f".worker{task_id(self.strategy)}_checkpoints"
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(ckpt_dir),
                                                  max_to_keep=cfg.keep_checkpoints)
        self.infer = inference_model(self.model)
        self._predictor = None
        self.best_path = self.out_dir / "best.json"
        self.best: dict[str, dict] = (json.loads(self.best_path.read_text())
                                      if self.best_path.is_file() else {})
        self.writer = (tf.summary.create_file_writer(str(self.out_dir / "tensorboard"))
                       if self.chief else tf.summary.create_noop_writer())

    # ------------------------------------------------------------------ the step
    def _replica_step(self, images, labels):
        cfg = self.cfg
        with tf.GradientTape() as tape:
            outputs = self.model(images, training=True)
            outputs = {k: tf.cast(v, tf.float32) for k, v in outputs.items()}
            terms = stdc_loss(labels, outputs)
            loss = tf.nn.compute_average_loss(tf.reshape(terms["total"], [1]))
            if cfg.weight_decay:
                l2 = tf.add_n([tf.reduce_sum(tf.square(tf.cast(v, tf.float32)))
                               for v in self.groups["decay"]])
                loss += tf.nn.scale_regularization_loss(0.5 * cfg.weight_decay * l2)
            scaled = (self.optimizer.scale_loss(loss)
                      if isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer) else loss)
        variables = self.groups["train"]
        grads = tape.gradient(scaled, variables)
        grads = [g * cfg.head_lr_mult if id(v) in self.head_ids else g
                 for g, v in zip(grads, variables)]
        self.optimizer.apply_gradients(zip(grads, variables))
        return {k: v / self.strategy.num_replicas_in_sync for k, v in terms.items()}

    @tf.function
    def _distributed_step(self, batch):
        per_replica = self.strategy.run(self._replica_step, args=batch)
        return {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)
                for k, v in per_replica.items()}

    @tf.function
    def _average_bn_statistics(self):
        """Average BN moving statistics over all replicas (and workers).

        Backbone BNs normalize with per-replica statistics, as in the reference, so their moving
        averages drift apart between replicas; averaging them before every checkpoint, validation
        and export gives every worker identical weights (the reference's DDP copies rank 0's
        buffers to all ranks instead).
        """
        stats = [v.value for layer in self.model.layers
                 if type(layer).__name__.startswith("BatchNormalization")
                 for v in (layer.moving_mean, layer.moving_variance)]

        local = self.strategy.run(lambda: [tf.identity(v) for v in stats])
        for var, value in zip(stats, local):
            var.assign(self.strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None))

    def _sync(self) -> None:
        if self.strategy.num_replicas_in_sync > 1:
            self._average_bn_statistics()

    # ------------------------------------------------------------------ the loop
    @property
    def step(self) -> int:
        return int(self.optimizer.iterations.numpy())

    def _dataset(self, start: int):
        cfg = self.cfg

        def fn(ctx: tf.distribute.InputContext):
            return train_dataset(self.train_data, ctx.get_per_replica_batch_size(cfg.batch_size),
                                 tuple(cfg.crop_size), cfg.scales,
                                 tuple(cfg.base_size) if cfg.base_size else None,
                                 seed=cfg.seed + start, skip_bad_samples=cfg.skip_bad_samples,
                                 input_context=ctx)

        return self.strategy.distribute_datasets_from_function(fn)

    def restore(self) -> int:
        """Resume from the latest checkpoint, if any; returns the step."""
        latest = tf.train.latest_checkpoint(str(self.out_dir / "checkpoints"))
        if latest:
            try:
                self.checkpoint.restore(latest).expect_partial()
            except (ValueError, tf.errors.OpError) as exc:
                raise TrainingError(
                    f"checkpoint {latest} does not fit this configuration (was the preset, "
                    f"optimizer or --freeze-backbone-bn-affine changed? use a new --output-dir): "
                    f"{str(exc).splitlines()[0]}") from None
            if self.verbose:
                print(f"resumed from {latest} at step {self.step}")
        return self.step

    def fit(self) -> dict[str, Any]:
        """Train to ``cfg.iterations``; returns the final and best validation results."""
        cfg = self.cfg
        if self.chief:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            with atomic_output(self.out_dir / "config.yaml") as tmp:
                import yaml
                tmp.write_text(yaml.safe_dump(asdict(self.cfg), sort_keys=False))
        start = self.restore()
        bar = keras.utils.Progbar(cfg.iterations, verbose=1 if self.verbose else 0,
                                  stateful_metrics=["lr"])
        iterator = iter(iterate_with_clear_errors(self._dataset(start)))
        started, images_done = time.perf_counter(), 0
        with self.writer.as_default():
            while self.step < cfg.iterations:
                terms = {k: float(v) for k, v in self._distributed_step(next(iterator)).items()}
                step = self.step
                images_done += cfg.batch_size
                bad = {k: v for k, v in terms.items() if not math.isfinite(v)}
                if bad:
                    raise TrainingError(f"non-finite loss at step {step}: " + ", ".join(
                        f"{k}={v}" for k, v in terms.items()))
                lr = float(self.schedule(step - 1))
                bar.update(step, [("loss", terms["total"]), ("lr", lr)])
                if step % cfg.log_every == 0 or step == cfg.iterations:
                    for k, v in terms.items():
                        tf.summary.scalar(f"loss/{k}", v, step=step)
                    tf.summary.scalar("lr", lr, step=step)
                    tf.summary.scalar("images_per_s",
                                      images_done / (time.perf_counter() - started), step=step)
                if step % cfg.checkpoint_every == 0 or step == cfg.iterations:
                    self._save()
                if (cfg.eval_every and step % cfg.eval_every == 0) or step == cfg.iterations:
                    self.validate(step)
            self.writer.flush()
        return self._finish()

    def _save(self) -> None:
        self._sync()
        self.manager.save(checkpoint_number=self.step)
        if not self.chief:   # the worker's copy only exists to keep the collective save in step
            shutil.rmtree(self.manager.directory, ignore_errors=True)

    # ------------------------------------------------------------------ validation
    def validate(self, step: int) -> dict[str, float]:
        """mIoU at every eval scale; the best model per scale is exported as ``best_mIoU{s}``."""
        self._sync()
        if self._predictor is None:   # one traced function for every validation of the run
            self._predictor = KerasPredictor(self.infer)
        predictor = self._predictor
        results = {}
        for scale in self.cfg.eval_scales:
            result = evaluate(predictor, self.val_data, scales=[scale], progress=False)
            miou = result.summary["mIoU"]
            key = f"mIoU{round(scale * 100)}"
            results[key] = miou
            tf.summary.scalar(f"val/{key}", miou, step=step)
            if self.chief and miou > self.best.get(key, {}).get("mIoU", -1.0):
                self.best[key] = {"mIoU": miou, "step": step, "scale": scale}
                save_keras(self.model, self.out_dir / f"best_{key}.keras")
                with atomic_output(self.best_path) as tmp:
                    tmp.write_text(json.dumps(self.best, indent=2))
        self._image_summary(step)
        if self.verbose:
            print(f"\nstep {step}: " + ", ".join(f"val {k} {100 * v:.2f}" for k, v in results.items()))
        self.last_results = results
        return results

    def _image_summary(self, step: int, count: int = 3) -> None:
        """Prediction overlays of the first val images (image | prediction | ground truth)."""
        palette = np.array(list(self.val_data.info.palette) + [(0, 0, 0)] * 256, np.uint8)[:256]
        panels = []
        for sample in self.val_data.samples[:count]:
            image = read_image(sample.image)
            label = read_label(sample.label, self.val_data.label_lut)
            pred = np.argmax(self.infer(normalize(image[None]), training=False)[0], axis=-1)
            overlay = (0.5 * image + 0.5 * palette[pred]).astype(np.uint8)
            panels.append(np.concatenate([image, overlay, palette[label]], axis=1))
        tf.summary.image("val/overlay", np.stack(panels), step=step, max_outputs=count)

    def _finish(self) -> dict[str, Any]:
        self._sync()
        if self.chief:
            save_keras(self.model, self.out_dir / "final.keras")
        results = getattr(self, "last_results", None) or self.validate(self.step)
        return {"step": self.step, "final": results, "best": self.best,
                "output_dir": str(self.out_dir)}


def train(cfg: TrainConfig, strategy: tf.distribute.Strategy | None = None,
          verbose: bool = True) -> dict[str, Any]:
    """Train with ``cfg``; the summary names the exported models and the logs."""
    return Trainer(cfg, strategy, verbose).fit()
