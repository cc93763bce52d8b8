"""The STDC segmentation task: model, optimizer, variable groups, losses and the per-replica steps.

Split from the loop (:mod:`stdc_tf.training.loop`) the way TF Model Garden splits
``official/vision/tasks/semantic_segmentation.py`` from its runner: the task knows *what* is
trained and how one step is computed; the loop knows strategies, checkpoints, intervals,
summaries and exports. A QAT task (a ``tf_keras`` model) plugs into the same loop by providing
the same members.

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
* ``detail_fuse: decayed`` reproduces the reference's detail fuse kernel, which gets no gradient
  but sits in an SGD group with weight decay at 1× lr: ``v = μ·v + wd·w; w -= lr·v`` every step,
  checkpointed with the model (see :mod:`stdc_tf.losses`). The default keeps it constant.
"""
from __future__ import annotations

import logging
from typing import Any

import keras
import tensorflow as tf

from stdc_tf.losses import DETAIL_FUSE_WEIGHTS, stdc_loss
from stdc_tf.models import build_model, inference_model
from stdc_tf.models.io import save_keras
from stdc_tf.models.structure import (
    LR_MULT_PARTS,
    inner_layer,
    is_batch_norm,
    is_weighted_conv,
    kernel_of,
    layer_part,
)
from stdc_tf.training.config import TrainConfig
from stdc_tf.training.schedule import WarmupPoly
from stdc_tf.weights import load_reference_weights

log = logging.getLogger(__name__)


def variable_groups(model: Any, freeze_backbone_bn_affine: bool) -> dict[str, list]:
    """The optimized variables, the ones with 10× lr, the ones under weight decay.

    Groups come from :mod:`stdc_tf.models.structure`, so wrapped (QAT) or prefixed layers land
    in the same groups as the plain model's.
    """
    train, heads, decay = [], [], []
    for layer in model.layers:
        part = layer_part(layer)
        if freeze_backbone_bn_affine and part == "backbone" and is_batch_norm(layer):
            continue
        kernel = kernel_of(layer) if is_weighted_conv(layer) else None
        for var in layer.trainable_weights:
            train.append(var)
            if part in LR_MULT_PARTS:
                heads.append(var)
            if var is kernel:
                decay.append(var)
    return {"train": train, "heads": heads, "decay": decay}


class SegmentationTask:
    """Builds the float STDC-Seg model and its optimizer (call inside the strategy's scope).

    Subclasses change what is trained by overriding :meth:`build_model`,
    :meth:`build_optimizer` and :meth:`export` (the QAT task: a tfmot model in tf_keras).
    """

    model_suffix = ".keras"   # what :meth:`export` writes

    def __init__(self, cfg: TrainConfig, num_classes: int, replicas: int):
        self.cfg = cfg
        self.replicas = replicas
        self.sync_bn = replicas > 1 if cfg.sync_bn is None else cfg.sync_bn
        self.model = self.build_model(num_classes)
        self.schedule = WarmupPoly(cfg.lr, cfg.iterations, cfg.warmup_iters, cfg.warmup_start_lr,
                                   cfg.poly_power)
        self.optimizer = self.build_optimizer()
        self.groups = variable_groups(self.model, cfg.freeze_backbone_bn_affine)
        # Keras <= 3.15: a stateful optimizer must be built eagerly in the scope (keras #23085).
        self.optimizer.build(self.groups["train"])
        self._head_ids = {id(v) for v in self.groups["heads"]}
        self.fuse_weights = tf.Variable(DETAIL_FUSE_WEIGHTS, trainable=False, name="detail_fuse")
        self.fuse_momentum = tf.Variable(tf.zeros(3), trainable=False, name="detail_fuse_momentum")
        self.inference = inference_model(self.model)

    def build_model(self, num_classes: int) -> Any:
        """The training graph: built from the preset, or read from ``cfg.init``."""
        cfg = self.cfg
        if cfg.init:
            model = load_init_model(cfg, num_classes)
        else:
            model = build_model(cfg.preset, num_classes, (None, None, 3),
                                detail_strides=cfg.detail_strides, sync_bn=self.sync_bn)
        if cfg.pretrained_backbone:
            report = load_reference_weights(model, cfg.pretrained_backbone, part="backbone")
            log.info("pretrained backbone %s: %s", cfg.pretrained_backbone, report)
        return model

    def build_optimizer(self) -> Any:
        cfg = self.cfg
        optimizer = (keras.optimizers.SGD(self.schedule, momentum=cfg.momentum)
                     if cfg.optimizer == "sgd" else keras.optimizers.Adam(self.schedule))
        if cfg.mixed_precision == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    @property
    def step(self) -> int:
        return int(self.optimizer.iterations.numpy())

    def checkpoint_items(self) -> dict[str, Any]:
        """What a checkpoint holds: everything a resumed run needs to continue exactly."""
        return {"model": self.model, "optimizer": self.optimizer,
                "detail_fuse": self.fuse_weights, "detail_fuse_momentum": self.fuse_momentum}

    def learning_rate(self, step: int) -> float:
        return float(self.schedule(step))

    # ------------------------------------------------------------------ per-replica steps
    def loss(self, labels: tf.Tensor, outputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """The loss terms of one local batch (OHEM ×3, detail BCE + Dice, total)."""
        outputs = {k: tf.cast(v, tf.float32) for k, v in outputs.items()}
        return stdc_loss(labels, outputs, fuse_weights=self.fuse_weights)

    def train_step(self, images: tf.Tensor, labels: tf.Tensor) -> dict[str, tf.Tensor]:
        """One optimizer step on this replica's batch; returns the loss terms / replicas."""
        cfg = self.cfg
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            terms = self.loss(labels, self.model(images, training=True))
            loss = tf.nn.compute_average_loss(tf.reshape(terms["total"], [1]))
            if cfg.weight_decay:
                l2 = tf.add_n([tf.reduce_sum(tf.square(tf.cast(v, tf.float32)))
                               for v in self.groups["decay"]])
                loss += tf.nn.scale_regularization_loss(0.5 * cfg.weight_decay * l2)
            scaled = (self.optimizer.scale_loss(loss)
                      if isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer) else loss)
        variables = self.groups["train"]
        grads = tape.gradient(scaled, variables)
        grads = [g * cfg.head_lr_mult if id(v) in self._head_ids else g
                 for g, v in zip(grads, variables)]
        lr = self.schedule(self.optimizer.iterations)
        self.optimizer.apply_gradients(zip(grads, variables))
        if cfg.detail_fuse == "decayed":
            self._decay_fuse_weights(lr)
        return {k: v / replicas for k, v in terms.items()}

    def _decay_fuse_weights(self, lr: tf.Tensor) -> None:
        """The reference's SGD on a zero-gradient parameter: momentum of the weight decay alone."""
        def update(strategy, lr):   # once per step, not once per replica
            lr = strategy.experimental_local_results(lr)[0]
            momentum = self.cfg.momentum * self.fuse_momentum + self.cfg.weight_decay * self.fuse_weights
            self.fuse_momentum.assign(momentum)
            self.fuse_weights.assign_sub(lr * momentum)

        tf.distribute.get_replica_context().merge_call(update, args=(lr,))

    def validation_step(self, images: tf.Tensor) -> tf.Tensor:
        """Main logits of the inference graph for normalized images (what the evaluator scores)."""
        return self.inference(images, training=False)

    # ------------------------------------------------------------------ statistics and export
    def batch_norm_statistics(self) -> list:
        """Every BN moving mean/variance (averaged over replicas by the loop before use)."""
        norms = [inner_layer(layer) for layer in self.model.layers if is_batch_norm(layer)]
        return [v for bn in norms for v in (bn.moving_mean, bn.moving_variance)]

    def export(self, path, input_size: tuple[int, int] | None = None) -> None:
        """Save the trained model (training graph, every head) as ``.keras``, recording the
        ``input_size`` it was validated at (converters export at it by default)."""
        save_keras(self.model, path, input_size)


def load_init_model(cfg: TrainConfig, num_classes: int, k: Any = None) -> Any:
    """The float model of ``cfg.init`` as the training graph this configuration asks for.

    The file's preset and classes must be the configuration's: fine-tuning another network is a
    one-line error, not a silent reshape. Its weights go into a freshly built training graph
    (every head, the configured detail heads and BN synchronization) of the Keras module ``k``.
    """
    from stdc_tf.errors import ConfigError
    from stdc_tf.models import describe_model
    from stdc_tf.models.io import load_keras
    from stdc_tf.quantization.bridge import copy_weights

    source = load_keras(cfg.init)
    found = describe_model(source)
    wanted = build_model(cfg.preset, num_classes, (None, None, 3), detail_strides=cfg.detail_strides,
                         sync_bn=cfg.sync_bn or False, k=k)
    structure = describe_model(wanted)
    if (found.backbone, found.num_classes) != (structure.backbone, structure.num_classes):
        raise ConfigError(f"--init {cfg.init} is {found.backbone.upper()} with {found.num_classes} "
                          f"classes; this run trains {structure.backbone.upper()} with "
                          f"{structure.num_classes} (--preset {cfg.preset}, --num-classes)")
    missing = set(structure.detail_strides) - set(found.detail_strides)
    if missing:
        raise ConfigError(f"--init {cfg.init} has no detail head at stride(s) {sorted(missing)}; "
                          f"use --detail-strides {' '.join(map(str, found.detail_strides)) or '8'}")
    copy_weights(source, wanted, subset=True)
    return wanted
