"""Score a folder of predicted label PNGs, e.g. results produced on a phone or by another tool.

The numbers equal cityscapesscripts' ``evalPixelLevelSemanticLabeling`` on the same files
(tested): a prediction of a Cityscapes labelId that is not evaluated (e.g. 0, "unlabeled") counts
as a miss of the pixel's class and as nobody's false positive. In a trainId PNG the ignore value
255 means the same ("no class").

Matching: a prediction belongs to a sample when its file stem is the sample's key, optionally
followed by ``_`` and anything (``_leftImg8bit``, ``_pred``, ...); the key is the part that the
sample's image and label names share, in ``_``-separated pieces (Cityscapes:
``frankfurt_000000_000294``; datasets whose images and labels share a stem: that stem).
Predictions are searched in all subfolders.
"""
from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np
from cityscapesscripts.helpers.labels import labels as cityscapes_labels

from stdc_tf.data.datasets import Sample, SegDataset
from stdc_tf.data.labels import CITYSCAPES
from stdc_tf.errors import shown
from stdc_tf.evaluation.evaluator import EvalResult, EvaluationError, Throughput
from stdc_tf.evaluation.label_files import PREDICTION_IDS, SUFFIXES
from stdc_tf.evaluation.metrics import ConfusionMatrix, first_invalid
from stdc_tf.progress import Progress

T = TypeVar("T")
R = TypeVar("R")


def sample_key(image: Path, label: Path) -> str:
    """The ``_``-separated pieces that an image's and its label's stems share."""
    shared = itertools.takewhile(lambda pair: pair[0] == pair[1],
                                 zip(image.stem.split("_"), label.stem.split("_")))
    return "_".join(piece for piece, _ in shared) or image.stem


def match_predictions(pred_dir: Path, samples: list[Sample], ids: str = "trainIds") -> list[tuple[Path, Sample]]:
    """Pair every sample with its prediction; unmatched files on either side are an error.

    A folder that holds label files named for ``ids`` (``X_labelTrainIds.png``, as the evaluator
    and ``stdc-predict`` write them) is read for those alone, so the colour masks beside them
    are no second prediction."""
    keyed = {}
    for sample in samples:
        key = sample_key(sample.image, sample.label)
        if key in keyed:
            raise EvaluationError(f"samples {keyed[key].image} and {sample.image} share the name "
                                  f"{key!r}, so predictions cannot be matched to them")
        keyed[key] = sample
    matched: dict[str, Path] = {}
    orphans: list[Path] = []
    files = sorted(pred_dir.rglob("*.png"))
    labelled = [p for p in files if p.name.endswith(SUFFIXES[ids])]
    for path in labelled or files:
        key = _key_of(path.stem, keyed)
        if key is None:
            orphans.append(path)
        elif key in matched:
            raise EvaluationError(f"predictions {matched[key]} and {path} are both for sample {key!r}")
        else:
            matched[key] = path
    if not matched and not orphans:
        raise EvaluationError(f"no .png predictions under {pred_dir}")
    missing = [keyed[k].label for k in keyed if k not in matched]
    problems = [f"{len(files)} {what}: {shown(files)}" for what, files in (
        ("predictions without ground truth", orphans),
        (f"ground-truth labels without a prediction in {pred_dir}", missing)) if files]
    if problems:
        raise EvaluationError("unmatched files: " + "; ".join(problems))
    return [(matched[k], keyed[k]) for k in keyed]


def score_predictions(pred_dir: str | Path, dataset: SegDataset, ids: str = "trainIds",
                      progress: bool = True) -> EvalResult:
    """Score the label PNGs under ``pred_dir`` against ``dataset``'s ground truth.

    ``ids``: ``trainIds`` (class indices, 255 = no class) or ``labelIds`` (Cityscapes labelIds,
    the format of the official benchmark; Cityscapes-layout datasets only).
    """
    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise EvaluationError(f"prediction folder {pred_dir} does not exist")
    allowed, lut = _prediction_values(dataset, ids)
    info = dataset.info
    pairs = match_predictions(pred_dir, dataset.samples, ids)
    matrix = ConfusionMatrix(info.num_classes, info.ignore_index, void_predictions=True)
    clock = Throughput()
    read = lambda pair: _read_pair(*pair, dataset, allowed, lut, ids)
    with Progress(len(pairs), "score predictions", "img", enabled=progress) as bar:
        for label, pred in _prefetched(read, pairs):
            matrix.update(label, pred)
            clock.batch_done(1)
            bar.update()
    return EvalResult(matrix.hist, list(info.class_names), clock.images, clock.seconds(),
                      clock.images_per_s(),
                      {"path": str(pred_dir), "runtime": "predictions", "ids": ids},
                      {"scored": f"{ids} PNGs as they are (no resizing)"})


def _prediction_values(dataset: SegDataset, ids: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Which raw prediction values are valid (bool[256]) and the LUT to class indices."""
    n, allowed = dataset.info.num_classes, np.zeros(256, bool)
    if ids == "trainIds":
        allowed[:n] = True
        allowed[dataset.info.ignore_index] = True
        return allowed, None
    if ids == "labelIds":
        if dataset.info.class_names != CITYSCAPES.class_names:   # Cityscapes or the synthetic scenes
            raise EvaluationError(f"labelIds predictions need a Cityscapes-layout dataset; "
                                  f"dataset {dataset.info.name!r} takes trainIds (class indices)")
        allowed[[lab.id for lab in cityscapes_labels if lab.id >= 0]] = True
        return allowed, dataset.label_lut
    raise EvaluationError(f"unknown prediction ids {ids!r}; valid: {', '.join(PREDICTION_IDS)}")


def _read_pair(pred_path: Path, sample: Sample, dataset: SegDataset, allowed: np.ndarray, lut: np.ndarray | None,
               ids: str) -> tuple[np.ndarray, np.ndarray]:
    """(label class indices, prediction class indices) for one pair, checked."""
    from stdc_tf.data.datasets import read_label

    label = read_label(sample.label, dataset.label_lut)
    bad = first_invalid(label[label != dataset.info.ignore_index], dataset.info.num_classes)
    if bad is not None:
        raise EvaluationError(f"label {sample.label} holds value {bad}, which is neither a class "
                              f"index (0..{dataset.info.num_classes - 1}) nor the ignore value")
    raw = read_label(pred_path, None)
    if raw.shape != label.shape:
        raise EvaluationError(f"prediction {pred_path} is {raw.shape[0]}x{raw.shape[1]} (HxW) but "
                              f"its label {sample.label} is {label.shape[0]}x{label.shape[1]}")
    if not allowed[raw].all():
        raise EvaluationError(f"prediction {pred_path} holds value {int(raw[~allowed[raw]][0])}, "
                              f"which is not a valid {ids} value")
    return label, lut[raw] if lut is not None else raw


def _key_of(stem: str, keys: dict) -> str | None:
    """The longest key that ``stem`` is, or starts with followed by ``_``."""
    pieces = stem.split("_")
    return next((k for n in range(len(pieces), 0, -1) if (k := "_".join(pieces[:n])) in keys), None)


def _prefetched(fn: Callable[[T], R], items: Iterable[T], workers: int = 4) -> Iterator[R]:
    """``fn(item)`` for each item in order, computed a few items ahead by threads.

    PNG decoding releases the GIL, so reading ahead hides most of it behind the scoring.
    """
    workers = min(workers, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
