"""The training loop: strategy scope, checkpoints and resume, intervals, summaries, progress,
validation and best-model export — for any task (:mod:`stdc_tf.training.task`).

Work is never lost or silently discarded:

* Resume restores the newest *readable* checkpoint: the state file is read if it parses, every
  ``ckpt-N`` is checked (its index and every tensor of its data file) before use, and a skipped
  one is named with the reason. With checkpoints present but none readable the run refuses;
  it starts over on top of existing checkpoints only with ``restart``. A checkpoint that reads
  but does not fit the configuration (another preset, optimizer or class count) is refused.
* ``config.yaml`` is written only after a successful restore.
* Ctrl-C (SIGINT), SIGTERM and a data error mid-run save a checkpoint of the current step and
  say where; in a multi-worker run the workers agree on stopping every step (one all-reduce of a
  flag), so all of them reach the collective save. The CLI exits 130 / 143 / 1.
* Stale temporaries of the run's own naming (``ckpt-N_temp*``, ``.NAME.*.tmp*``) left by a
  killed run are removed at start; every model file is written atomically.

Backbone BN statistics are per replica during training, as in the reference, and are averaged
over all replicas (and workers) before every checkpoint, validation and export, so every worker
holds identical weights. The data iterator is not checkpointed (decoding runs in Python); a
resumed run re-seeds the pipeline with ``seed + step``: deterministic, but not a replay of the
batches an uninterrupted run would have seen.
"""
from __future__ import annotations

import json
import logging
import math
import re
import shutil
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
import yaml
from PIL import Image

from stdc_tf.atomic import atomic_output
from stdc_tf.data.datasets import DataError, SegDataset, read_image, read_label
from stdc_tf.data.pipeline import BadSamples, iterate_with_clear_errors, train_dataset
from stdc_tf.errors import StdcError, Terminated, first_line
from stdc_tf.evaluation.evaluator import evaluate, scaled_size
from stdc_tf.models.preprocessing import normalize
from stdc_tf.progress import Progress
from stdc_tf.runtime.tensorflow import KerasPredictor
from stdc_tf.training.config import TrainConfig
from stdc_tf.training.strategy import is_chief, task_id
from stdc_tf.visualize import blend, opacity_alpha

log = logging.getLogger(__name__)
_CKPT = re.compile(r"^ckpt-(\d+)\.index$")


class TrainingError(StdcError, RuntimeError):
    """Training cannot go on (a non-finite loss, an unusable checkpoint)."""


class TrainingLoop:
    """Runs ``task`` under ``strategy`` to ``cfg.iterations`` (see the module docstring)."""

    def __init__(self, task: Any, cfg: TrainConfig, strategy: tf.distribute.Strategy,
                 train_data: SegDataset, val_data: SegDataset, verbose: bool = True):
        self.task, self.cfg, self.strategy = task, cfg, strategy
        self.train_data, self.val_data = train_data, val_data
        self.chief = is_chief(strategy)
        self.verbose = verbose and self.chief
        self.workers = strategy.extended._num_workers if hasattr(strategy.extended, "_num_workers") else 1
        self.out_dir = Path(cfg.output_dir)
        self.ckpt_dir = self.out_dir / "checkpoints"
        self.global_batch = cfg.global_batch(strategy.num_replicas_in_sync)
        with strategy.scope():
            self.checkpoint = tf.train.Checkpoint(**task.checkpoint_items())
        self.best_path = self.out_dir / "best.json"
        self.best: dict[str, dict] = {}
        self.bad_train = BadSamples(len(train_data), cfg.max_bad_fraction, "training split")
        self.bad_val = BadSamples(len(val_data), cfg.max_bad_fraction, "validation split")
        self._predictor: KerasPredictor | None = None
        self._stop: int | None = None
        self._bar: Progress | None = None
        self.manager: tf.train.CheckpointManager | None = None
        self.last_results: dict[str, float] | None = None

    @property
    def step(self) -> int:
        return self.task.step

    # ------------------------------------------------------------------ distributed pieces
    @tf.function
    def distributed_step(self, batch) -> dict[str, tf.Tensor]:
        """One training step on every replica; the loss terms summed over replicas."""
        per_replica = self.strategy.run(self.task.train_step, args=batch)
        return {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)
                for k, v in per_replica.items()}

    @tf.function
    def _any_worker(self, flag: tf.Tensor) -> tf.Tensor:
        local = self.strategy.run(lambda: tf.identity(flag))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, local, axis=None) > 0

    @tf.function
    def _average_statistics(self) -> None:
        stats = [v.value for v in self.task.batch_norm_statistics()]
        local = self.strategy.run(lambda: [tf.identity(v) for v in stats])
        for var, value in zip(stats, local):
            var.assign(self.strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None))

    def sync(self) -> None:
        """Average BN moving statistics over all replicas (before saving or validating)."""
        if self.strategy.num_replicas_in_sync > 1:
            self._average_statistics()

    def dataset(self, start: int):
        cfg = self.cfg

        def fn(ctx: tf.distribute.InputContext):
            return train_dataset(self.train_data, ctx.get_per_replica_batch_size(self.global_batch),
                                 tuple(cfg.crop_size), cfg.scales,
                                 tuple(cfg.base_size) if cfg.base_size else None,
                                 seed=cfg.seed + start,
                                 skip_bad_samples=self.bad_train if cfg.skip_bad_samples else False,
                                 input_context=ctx)

        return self.strategy.distribute_datasets_from_function(fn)

    # ------------------------------------------------------------------ checkpoints
    def _clean_stale_temporaries(self) -> None:
        """Remove what a killed run of this folder left half-written (never anything else)."""
        if not self.chief:
            return
        stale = list(self.ckpt_dir.glob("ckpt-*_temp*")) + [
            p for p in self.out_dir.glob(".*.tmp*") if re.match(r"^\..+\.[^.]+\.tmp", p.name)]
        for path in stale:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            log.info("removed stale temporary %s", path)

    def _candidates(self) -> list[str]:
        """Checkpoint prefixes, the state file's first, then by step, newest first."""
        found = sorted(((int(m.group(1)), self.ckpt_dir / f"ckpt-{m.group(1)}")
                        for m in (_CKPT.match(p.name) for p in self.ckpt_dir.glob("ckpt-*.index"))
                        if m), reverse=True)
        prefixes = [str(p) for _, p in found]
        state_file = self.ckpt_dir / "checkpoint"
        try:   # TensorFlow returns None (and logs) for a state file that does not parse
            state = tf.train.get_checkpoint_state(str(self.ckpt_dir))
            problem = "it does not parse" if state is None and state_file.exists() else None
        except Exception as exc:
            state, problem = None, first_line(exc)
        if problem:
            log.warning("%s is unreadable (%s); looking at the checkpoint files themselves",
                        state_file, problem)
        latest = state.model_checkpoint_path if state else None
        if latest and latest in prefixes:
            prefixes.remove(latest)
            prefixes.insert(0, latest)
        elif latest:
            log.warning("%s names %s, which does not exist", self.ckpt_dir / "checkpoint", latest)
        return prefixes

    @staticmethod
    def _corruption(prefix: str) -> str | None:
        """Why the checkpoint at ``prefix`` cannot be read, or ``None``: every tensor is read."""
        try:
            reader = tf.train.load_checkpoint(prefix)
        except Exception as exc:
            return f"{prefix}.index is corrupt ({first_line(exc, 150)})"
        data = sorted(Path(prefix).parent.glob(Path(prefix).name + ".data-*"))
        try:
            for name in reader.get_variable_to_shape_map():
                reader.get_tensor(name)
        except Exception as exc:
            where = ", ".join(str(p) for p in data) or f"{prefix}.data-*"
            return f"{where} is corrupt or truncated ({first_line(exc, 150)})"
        return None

    def restore(self) -> int:
        """Resume from the newest readable checkpoint (or start at 0 where there is none)."""
        if self.cfg.restart and self.chief and self.ckpt_dir.exists():
            shutil.rmtree(self.ckpt_dir)
            self.best_path.unlink(missing_ok=True)
            log.info("--restart: removed the checkpoints of %s", self.out_dir)
        candidates = self._candidates() if self.ckpt_dir.is_dir() else []
        skipped = []
        for prefix in candidates:
            problem = self._corruption(prefix)
            if problem:
                skipped.append(problem)
                continue
            try:
                self.checkpoint.restore(prefix).expect_partial()
            except (ValueError, tf.errors.OpError) as exc:
                raise TrainingError(
                    f"checkpoint {prefix} does not fit this configuration (was the preset, "
                    f"optimizer, class count or --freeze-backbone-bn-affine changed? use a new "
                    f"--output-dir, or --restart): {first_line(exc, 200)}") from None
            if skipped:
                log.warning("restored %s instead of newer checkpoints: %s", prefix, "; ".join(skipped))
            if self.chief:   # the manager builds on what was restored, whatever the state file said
                kept = sorted((p for p in candidates if not any(p + "." in s for s in skipped)),
                              key=lambda p: int(p.rsplit("-", 1)[1]))
                from tensorflow.python.checkpoint import checkpoint_management
                checkpoint_management.update_checkpoint_state_internal(
                    str(self.ckpt_dir), prefix, all_model_checkpoint_paths=kept)
            log.info("resumed from %s at step %d", prefix, self.step)
            break
        else:
            if candidates:
                raise TrainingError(f"no readable checkpoint in {self.ckpt_dir}: {'; '.join(skipped)}; "
                                    f"start over with --restart (deletes them) or use a new --output-dir")
        self.best = json.loads(self.best_path.read_text()) if self.best_path.is_file() else {}
        directory = self.ckpt_dir if self.chief else \
            self.out_dir / f".worker{task_id(self.strategy)}_checkpoints"
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(directory),
                                                  max_to_keep=self.cfg.keep_checkpoints)
        return self.step

    def save(self) -> str:
        """Checkpoint the current step (every worker takes part; only the chief's copy stays)."""
        self.sync()
        path = self.manager.save(checkpoint_number=self.step)
        if not self.chief:
            shutil.rmtree(self.manager.directory, ignore_errors=True)
        return path

    # ------------------------------------------------------------------ the loop
    def _on_signal(self, signum: int, frame: Any) -> None:
        self._stop = signum

    def fit(self) -> dict[str, Any]:
        """Train to ``cfg.iterations``; returns the final and best validation results."""
        cfg = self.cfg
        self._clean_stale_temporaries()
        start = self.restore()
        if self.chief:
            with atomic_output(self.out_dir / "config.yaml") as tmp:
                tmp.write_text(yaml.safe_dump(asdict(cfg), sort_keys=False))
        writer = (tf.summary.create_file_writer(str(self.out_dir / "tensorboard"))
                  if self.chief else tf.summary.create_noop_writer())
        handlers = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            with writer.as_default():
                self._train(start)
            writer.flush()
        finally:
            for s, handler in handlers.items():
                signal.signal(s, handler)
        return self._finish()

    def _should_stop(self, error: DataError | None) -> bool:
        stop = self._stop is not None or error is not None
        if self.workers > 1:
            stop = bool(self._any_worker(tf.constant(1.0 if stop else 0.0)))
        return stop

    def _stop_now(self, error: DataError | None) -> None:
        saved = self.save()
        where = f"checkpoint of step {self.step} saved to {saved}; run the same command to resume"
        if error is not None:
            raise DataError(f"{error} ({where})")
        if self._stop == signal.SIGTERM:
            raise Terminated(f"terminated at step {self.step}: {where}")
        if self._stop is None:
            raise TrainingError(f"another worker stopped the run: {where}")
        raise KeyboardInterrupt(f"interrupted at step {self.step}: {where}")

    def _train(self, start: int) -> None:
        """The loop. The host reads the loss terms only at boundaries (every ``log_every``,
        checkpoint and validation step, and before stopping): a step's result is not waited for
        before the next step is queued, so an accelerator is not left idle between steps. Every
        step's terms are still checked for non-finite values (naming the first bad step) before
        anything is saved or validated. The bar (plain lines every ``log_every`` steps in a log)
        shows the run's own step numbers; it is closed before a stop's message is raised."""
        self._bar = None
        try:
            self._steps(start)
        finally:
            if self._bar is not None:
                self._bar.close()

    def _steps(self, start: int) -> None:
        cfg = self.cfg
        iterator = iter(iterate_with_clear_errors(self.dataset(start)))
        started, images_done, step = time.perf_counter(), 0, start
        self._pending: list[tuple[int, dict]] = []
        while step < cfg.iterations:
            error = None
            try:
                batch = next(iterator)
            except DataError as exc:
                error = exc
            if self._should_stop(error):
                self._read_pending()
                self._stop_now(error)
            self._pending.append((step + 1, self.distributed_step(batch)))
            step += 1
            images_done += self.global_batch
            log_now = step % cfg.log_every == 0 or step == cfg.iterations
            save = step % cfg.checkpoint_every == 0 or step == cfg.iterations
            evaluate_now = (cfg.eval_every and step % cfg.eval_every == 0) or step == cfg.iterations
            if self._bar is None:   # the session's first step builds the graph: time the rest
                self._read_pending()
                log.info("first step done in %.0f s (it builds the training graph); step times and "
                         "the ETA count from here", time.perf_counter() - started)
                self._bar = Progress(cfg.iterations, "train", "step", start=step, every=cfg.log_every,
                                     enabled=self.verbose)
            if not (log_now or save or evaluate_now):
                continue
            terms = self._read_pending()
            if log_now:
                lr = self.task.learning_rate(step - 1)
                for k, v in terms.items():
                    tf.summary.scalar(f"loss/{k}", v, step=step)
                tf.summary.scalar("lr", lr, step=step)
                tf.summary.scalar("images_per_s", images_done / (time.perf_counter() - started),
                                  step=step)
                tf.summary.scalar("data/skipped_files", len(self.bad_train.files), step=step)
            if save:
                self.save()
            if evaluate_now:
                self.validate(step)

    def _read_pending(self) -> dict[str, float]:
        """Read the queued steps' loss terms (one host sync), check them, advance the bar.

        The bar starts after the first step (which builds the graph) and moves once per read, so
        its time per step and ETA come from steady-state steps only; it counts the run's steps
        (after a resume, from the step the run resumed at)."""
        terms: dict[str, float] = {}
        for step, values in self._pending:
            terms = {k: float(v) for k, v in values.items()}
            if not all(math.isfinite(v) for v in terms.values()):
                raise TrainingError(f"non-finite loss at step {step}: " + ", ".join(
                    f"{k}={v}" for k, v in terms.items()))
        if self._pending and self._bar is not None:
            step = self._pending[-1][0]
            self._bar.update(step - self._bar.done, loss=terms["total"],
                             lr=float(self.task.learning_rate(step - 1)))
        self._pending.clear()
        return terms

    # ------------------------------------------------------------------ validation
    def validate(self, step: int) -> dict[str, float]:
        """mIoU at every eval scale; the best model per scale is exported as ``best_mIoU{s}``."""
        self.sync()
        if self._predictor is None:   # one traced function for every validation of the run
            self._predictor = KerasPredictor(self.task.inference)
        results = {}
        for scale in self.cfg.eval_scales:
            result = evaluate(self._predictor, self.val_data, scales=[scale], progress=False,
                              skip_bad_samples=self.bad_val if self.cfg.skip_bad_samples else False)
            miou = result.summary["mIoU"]
            key = f"mIoU{round(scale * 100)}"
            results[key] = miou
            tf.summary.scalar(f"val/{key}", miou, step=step)
            if self.chief and miou > self.best.get(key, {}).get("mIoU", -1.0):
                self.best[key] = {"mIoU": miou, "step": step, "scale": scale}
                self.task.export(self.out_dir / f"best_{key}{self.task.model_suffix}",
                                 self._validated_size(scale))
                with atomic_output(self.best_path) as tmp:
                    tmp.write_text(json.dumps(self.best, indent=2))
        self._image_summary(step)
        if self.verbose:
            line = f"step {step}: " + ", ".join(f"val {k} {100 * v:.2f}" for k, v in results.items())
            if self._bar is not None:   # above the bar, never glued to it
                self._bar.write(line)
            else:
                print(line, file=sys.stderr)
        self.last_results = results
        return results

    def _validated_size(self, scale: float) -> tuple[int, int] | None:
        """The input size validation gave the model at ``scale`` (from the first readable val
        image), recorded in the exported file: converters export at it by default."""
        for sample in self.val_data.samples:
            try:
                with Image.open(sample.image) as im:
                    return scaled_size((im.height, im.width), scale)
            except OSError:
                continue
        return None

    def _image_summary(self, step: int, count: int = 3) -> None:
        """Prediction overlays of the first readable val images (image | prediction | truth), drawn
        by :func:`stdc_tf.visualize.blend`, as the evaluator's reports and the Android app do."""
        palette = self.val_data.info.palette
        half = opacity_alpha(0.5)
        panels = []
        for sample in self.val_data.samples:
            if len(panels) == count:
                break
            try:
                image = read_image(sample.image)
                label = read_label(sample.label, self.val_data.label_lut)
            except DataError:
                continue
            logits = self.task.validation_step(normalize(image[None]))
            pred = np.argmax(np.asarray(logits)[0], axis=-1)
            panels.append(np.concatenate([image, blend(image, pred, palette, half),
                                          blend(image, label, palette, 255)], axis=1))
        if panels:
            tf.summary.image("val/overlay", np.stack(panels), step=step, max_outputs=count)

    def _finish(self) -> dict[str, Any]:
        self.sync()
        final = self.out_dir / f"final{self.task.model_suffix}"
        if self.chief:
            self.task.export(final, self._validated_size(self.cfg.eval_scales[0]))
        results = self.last_results or self.validate(self.step)
        return {"step": self.step, "final": results, "best": self.best,
                "output_dir": str(self.out_dir), "final_model": str(final),
                "model_suffix": self.task.model_suffix,
                "skipped_files": sorted(set(self.bad_train.files) | set(self.bad_val.files))}
