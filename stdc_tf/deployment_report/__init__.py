"""The deployment report: every artifact of one trained model, scored, timed and sized side by side.

"Which file do I ship?" needs each candidate measured the same way, so the report measures
nothing itself: each artifact is built by its exporter, scored by the one evaluator and timed
by the profilers (:mod:`stdc_tf.deployment_report.artifacts`); the report collects their numbers
(:mod:`~stdc_tf.deployment_report.document`) and draws them (:mod:`~stdc_tf.deployment_report.figures`).

Every deployable artifact follows its exporter's deployment contract: uint8 RGB in (the
normalization inside the graph), a uint8 class map out, at one fixed input size. mIoU changes
are taken against the fp32 ``.tflite`` file, which has the same contract; the Keras model's own
row then also shows what the contract changes (a class map is resized back to the label size
with nearest neighbour, logits bilinearly). Without an fp32 result the Keras model is the
reference.

An artifact that cannot be built here (no TensorRT, no GPU, no QAT model given) is ``skipped``
with the reason; one that fails is ``failed`` with its one-line error and the stage it reached,
keeping what it measured before; neither stops the others. ``report.json`` and ``report.md`` are
rewritten after every artifact and the figures at the end, also when interrupted, so the report
always holds what finished.
"""
from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from stdc_tf.atomic import atomic_output
from stdc_tf.data.datasets import SegDataset
from stdc_tf.deployment_report.artifacts import ARTIFACTS, Artifact, Context, ReportSettings, run_one
from stdc_tf.deployment_report.document import FILES, markdown, report_json, summary_table
from stdc_tf.errors import StdcError
from stdc_tf.progress import Progress

__all__ = ["ARTIFACTS", "FILES", "ReportSettings", "deployment_report", "summary_table"]

log = logging.getLogger(__name__)


def deployment_report(model_path: str | Path, val: SegDataset, output: str | Path, settings: ReportSettings,
                      calibration: SegDataset | None = None, dataset: dict | None = None) -> dict:
    """Build, score and time every artifact of ``settings.include``; write :data:`FILES` into
    ``output`` (the artifacts under ``output/artifacts``) and return the report's JSON.

    ``val`` is the split every artifact is scored on (the examples come from it too),
    ``calibration`` the split int8 calibrates on (needed when ``int8`` is included), ``dataset``
    where ``val`` came from (name, root, split), for the report.
    """
    from stdc_tf.export.calibration import spread
    from stdc_tf.export.contract import deployment_size
    from stdc_tf.models import num_classes
    from stdc_tf.models.io import load_keras

    unknown = [a for a in settings.include if a not in ARTIFACTS]
    if unknown:
        raise StdcError(f"unknown artifact {unknown[0]!r}; valid: {', '.join(ARTIFACTS)}")
    if {"int8", "onnx-int8"} & set(settings.include) and calibration is None:
        raise StdcError("the int8 and onnx-int8 artifacts calibrate on images: give a calibration split")
    model_path, root = Path(model_path), Path(output)
    model = load_keras(model_path)   # once: the size, the Keras row and every export use it
    settings = replace(settings, input_size=deployment_size(model, settings.input_size, str(model_path)))
    if num_classes(model) != val.info.num_classes:
        raise StdcError(f"{model_path} predicts {num_classes(model)} classes but dataset "
                        f"{val.info.name!r} has {val.info.num_classes}")
    ctx = Context(model, model_path, root, val, calibration, settings)
    images = _example_images(spread(val, settings.examples))
    records = [Artifact(name) for name in ARTIFACTS if name in settings.include]
    about = {**(dataset or {}), "classes": val.info.name, "num_images": len(val),
             "class_names": list(val.info.class_names)}
    log.info("report on %s: %s at %dx%d, scored on %d images, written to %s", model_path,
             ", ".join(r.name for r in records), *settings.input_size, len(val), root)

    def write(figures: bool = False) -> dict:
        report = report_json(records, settings, model_path, root, about)
        with atomic_output(root / FILES["json"]) as tmp:
            tmp.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
        with atomic_output(root / FILES["markdown"]) as tmp:
            tmp.write_text(markdown(report))
        if figures:
            from stdc_tf.deployment_report.figures import plot_examples, plot_pareto

            with atomic_output(root / FILES["pareto"]) as tmp:
                plot_pareto(report, tmp)
            with atomic_output(root / FILES["examples"]) as tmp:
                plot_examples(records, images, val.info, tmp)
        return report

    bar = Progress(len(records), "report", "artifact", every=1, enabled=settings.progress)
    try:
        with _bars_and_log_lines(settings.progress):
            for record in records:
                run_one(ctx, record, images)
                write()
                bar.update(1, done=f"{record.name} ({record.status})")
    except BaseException:   # Ctrl-C, SIGTERM: say what did not finish, keep the rest
        for record in records:
            if record.status == "pending":
                record.status, record.reason = "failed", "interrupted"
        raise
    finally:
        bar.close()
        report = write(figures=True)
    return report


@contextlib.contextmanager
def _bars_and_log_lines(progress: bool):
    """Log lines printed above the progress bars instead of through them."""
    if not progress:
        yield
        return
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm(loggers=[logging.getLogger("stdc_tf")]):
        yield


def _example_images(subset: SegDataset) -> list[tuple[np.ndarray, np.ndarray]]:
    """(uint8 image [1, H, W, 3], label [1, H, W]) pairs, read as the evaluator reads them."""
    from stdc_tf.data.pipeline import eval_dataset, iterate_with_clear_errors

    return [(image.numpy(), label.numpy()) for image, label in iterate_with_clear_errors(eval_dataset(subset))]
