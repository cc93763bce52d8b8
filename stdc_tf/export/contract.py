"""The export contract every format shares: ``export_<format>(model, path, spec) -> ExportResult``.

:class:`ExportSpec` says what to write (input size, input type, output kind, precision,
calibration images) and what to check it on; :class:`ExportResult` says what was written (size,
op/node summary, warnings, metadata) and how the written file compared with the Keras model
(:class:`Check`). :func:`checked_write` is the one way a format writes: the file goes to a
temporary name, is opened there through :func:`stdc_tf.runtime.load_predictor` and compared
with the Keras predictor on the same images, and is renamed only when the check holds, so a
failed conversion, a failed check or an interruption leaves the user's earlier file untouched
and no temporary behind. Commands and the deployment report call the format functions and
only print.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.atomic import atomic_output
from stdc_tf.errors import ConfigError
from stdc_tf.export import ExportError

log = logging.getLogger(__name__)

INPUT_TYPES = ("uint8", "float")
OUTPUT_KINDS = ("classes", "logits")
DEFAULT_CALIBRATION_STEPS = 100
CHECK_SIZE = (128, 256)   # check images for a model exported with dynamic height and width
MAX_UINT8_CLASSES = 256


@dataclass(frozen=True)
class ExportSpec:
    """What to write, the same for every format.

    ``input_size`` ``(H, W)`` fixes the input (``None``: the model's own; dynamic dims stay
    dynamic where the format allows). ``input_type`` ``uint8`` takes RGB pixels and normalizes
    inside the graph; ``float`` takes ImageNet-normalized RGB. ``output`` ``classes`` is the uint8
    class map (in-graph ArgMax), ``logits`` the scores. ``precision`` is the format's own
    (:data:`stdc_tf.export.tflite.PRECISIONS`, ``fp32``/``qat`` for ONNX, …).
    ``calibration`` (int8): a :class:`~stdc_tf.data.SegDataset` split or uint8 images at the input
    size; ``calibration_steps`` of them are used. ``check`` (a split; ``None``: random pixels)
    gives the ``check_images`` the written file is compared with the Keras model on (0: none).
    ``max_relative_logit_diff`` / ``min_class_agreement`` refuse a file that reproduces the model
    less well (``None``: the format's default, which may be "report only"). ``info`` names the
    classes in the metadata (default: the calibration or check split's dataset).
    """

    input_size: tuple[int, int] | None = None
    input_type: str = "uint8"
    output: str = "classes"
    precision: str = "fp32"
    calibration: Any = None
    calibration_steps: int = DEFAULT_CALIBRATION_STEPS
    check: Any = None
    check_images: int = 4
    max_relative_logit_diff: float | None = None
    min_class_agreement: float | None = None
    info: Any = None
    progress: bool = False

    def __post_init__(self) -> None:
        for name, value, valid in (("input type", self.input_type, INPUT_TYPES),
                                   ("output", self.output, OUTPUT_KINDS)):
            if value not in valid:
                raise ConfigError(f"unknown {name} {value!r}; valid: {', '.join(valid)}")
        size = self.input_size
        if size is not None and (len(size) != 2 or min(size) < 1):
            raise ConfigError(f"input size must be two positive numbers (H, W), got {list(size)}")
        if self.calibration_steps < 1 or self.check_images < 0:
            raise ConfigError(f"calibration steps must be positive and check images >= 0, got "
                              f"{self.calibration_steps} and {self.check_images}")

    def with_(self, **changes: Any) -> ExportSpec:
        return replace(self, **changes)

    @property
    def dataset_info(self) -> Any:
        """The classes to record: ``info``, else the calibration or check split's dataset's."""
        from stdc_tf.data.datasets import SegDataset

        splits = [d for d in (self.calibration, self.check) if isinstance(d, SegDataset)]
        return self.info or next((d.info for d in splits), None)


    def require_dataset_classes(self, model: Any, name: str) -> None:
        """The dataset whose class names go into the file has the model's class count: checked
        before a conversion (and its calibration) starts, not when the metadata is written."""
        from stdc_tf.models import num_classes

        info, classes = self.dataset_info, num_classes(model)
        if info is not None and classes is not None and info.num_classes != classes:
            raise ConfigError(f"{name} predicts {classes} classes but dataset {info.name!r} has "
                              f"{info.num_classes}: give the dataset the model was trained on")


# The model as it is: normalized float in, logits out, its own input shape. What tests and
# benchmarks compare runtimes on.
AS_IS = ExportSpec(input_type="float", output="logits", check_images=0)


@dataclass(frozen=True)
class Check:
    """How the written file, run by ``runtime``, reproduced its source (the Keras model, or the ONNX
    an engine was built from) on ``images`` images.

    ``class_agreement``: the fraction of pixels with the same class. ``max_logit_diff`` (absolute)
    and ``max_relative_logit_diff`` (over the largest Keras logit, so that logits near zero do not
    inflate it): files with logits only (a class-map ONNX is compared on its ArgMax's input).
    """

    runtime: str
    images: int
    size: tuple[int, int]
    class_agreement: float
    max_logit_diff: float | None = None
    max_relative_logit_diff: float | None = None

    def line(self) -> str:
        diff = "" if self.max_logit_diff is None else (
            f", max logit difference {self.max_logit_diff:.4g} ({self.max_relative_logit_diff:.3g} "
            f"relative)")
        return (f"{self.runtime} vs Keras on {self.images} images at {self.size[0]}x{self.size[1]}: "
                f"class agreement {100 * self.class_agreement:.3f} %{diff}")


@dataclass
class ExportResult:
    """What an export wrote and measured."""

    path: Path
    format: str
    spec: ExportSpec
    size_bytes: int
    seconds: float
    ops: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    check: Check | None = None
    metadata: dict | None = None

    def lines(self) -> list[str]:
        """The result, in lines for a terminal."""
        spec = self.spec
        size = "x".join(map(str, spec.input_size)) if spec.input_size else "model's own size"
        out = [f"wrote {self.path} ({self.size_bytes / 2**20:.2f} MiB, {self.format} {spec.precision}, "
               f"{size}, {spec.input_type} in, {spec.output} out) in {self.seconds:.1f} s"]
        if self.ops:
            out.append("ops: " + ", ".join(f"{name} x{n}" for name, n in self.ops.items()))
        out += [f"warning: {w}" for w in self.warnings]
        if self.check is not None:
            out.append(self.check.line())
        return out


def deployment_size(model: Any, given: tuple[int, int] | None, name: str) -> tuple[int, int]:
    """The fixed input size to export at: ``given``, else the model's own fixed size, else the
    size training validated it at (recorded in the file ``name``: a model trained at 128x256
    converts at 128x256), else its preset's (the last two said in a log line, with the way to
    change it)."""
    from stdc_tf.models import describe_model, get_preset
    from stdc_tf.models.io import trained_input_size

    if given is not None:
        return tuple(given)
    static = _static_size(model)
    if static is not None:
        return static
    recorded = trained_input_size(name)
    if recorded is not None:
        log.info("input size %dx%d: the size %s was trained and validated at (--input-size HxW "
                 "exports another)", *recorded, name)
        return recorded
    try:
        preset = describe_model(model).preset
    except ValueError:   # not an STDC model of this toolkit
        preset = None
    if preset is None:
        raise ConfigError(f"{name} takes any input size and is not a preset model: give --input-size HxW")
    size = get_preset(preset).input_size
    log.info("input size %dx%d: the %s preset's (the model takes any size; --input-size HxW "
             "exports another, e.g. the size it was trained at)", *size, preset)
    return tuple(size)


def require_class_map_fits(model: Any) -> None:
    """A uint8 class map holds at most 256 classes."""
    from stdc_tf.models import num_classes

    if (num_classes(model) or 0) > MAX_UINT8_CLASSES:
        raise ExportError(f"the model has {num_classes(model)} classes; a uint8 class map holds "
                          f"at most {MAX_UINT8_CLASSES}")


def require_matching_model(model: Any, precision: str) -> None:
    """``qat`` takes a tfmot model (fake-quant inside); every other precision a float model."""
    from stdc_tf.models import inference_model

    layers = [type(layer).__name__ for layer in inference_model(model).layers]
    quantize_aware = any(name in ("QuantizeLayer", "QuantizeWrapper", "QuantizeWrapperV2")
                         for name in layers)
    if precision == "qat" and not quantize_aware:
        raise ConfigError("precision 'qat' needs a quantization-aware tf_keras model (tfmot "
                          "quantize_model / the QAT trainer's output); this model has no "
                          "quantize layers: use precision 'int8' for post-training quantization")
    if precision != "qat" and quantize_aware:
        raise ConfigError(f"the model is quantization-aware (tfmot): convert it with precision "
                          f"'qat', not {precision!r}")


def check_images(spec: ExportSpec, size: tuple[int, int]) -> np.ndarray:
    """The uint8 RGB images a file is checked on: from ``spec.check``, else random (seed 0)."""
    from stdc_tf.export.calibration import calibration_batches, random_batch

    if spec.check is not None:
        return np.concatenate(list(calibration_batches(spec.check, spec.check_images, size)))
    log.info("comparing with the Keras model on %d random images (no dataset given)", spec.check_images)
    return random_batch(spec.check_images, size)


def compare(path: Path, reference: Any, spec: ExportSpec, **options: Any) -> Check:
    """Open ``path`` through :func:`~stdc_tf.runtime.load_predictor` (with ``options``) and compare
    it on the spec's check images with ``reference``: the Keras model it was exported from, or
    the file it was built from (a TensorRT engine's ONNX, run on onnxruntime's CPU provider)."""
    from stdc_tf.native import native_stderr
    from stdc_tf.runtime import load_predictor

    with native_stderr():   # LiteRT's "Created TensorFlow Lite XNNPACK delegate" line
        predictor = load_predictor(path, **options)
    is_file = isinstance(reference, (str, os.PathLike))
    size = predictor.input_size or spec.input_size or (None if is_file else _static_size(reference)) \
        or CHECK_SIZE
    if is_file:
        on_cpu = {"provider": "cpu"} if Path(reference).suffix == ".onnx" else {}
        expected_by = load_predictor(reference, **on_cpu)
    else:
        from stdc_tf.models import fixed_input_model

        expected_by = load_predictor(fixed_input_model(reference, size))
    images = check_images(spec, size)
    expected, got = expected_by.predict(images), predictor.predict(images)
    classes = expected if expected_by.output_kind == "classes" else np.argmax(expected, axis=-1)
    if predictor.output_kind == "classes" or expected_by.output_kind == "classes":
        mine = got if predictor.output_kind == "classes" else np.argmax(got, axis=-1)
        return Check(predictor.name, len(images), size, float(np.mean(mine == classes)))
    diff = float(np.max(np.abs(got - expected)))
    return Check(predictor.name, len(images), size, float(np.mean(np.argmax(got, -1) == classes)),
                 diff, diff / (float(np.max(np.abs(expected))) or 1.0))


def _static_size(model: Any) -> tuple[int, int] | None:
    from stdc_tf.models import inference_model

    height, width = inference_model(model).inputs[0].shape[1:3]
    return (height, width) if height and width else None


def enforce(check: Check, spec: ExportSpec, path: Path, default_diff: float | None = None,
            default_agreement: float | None = None) -> None:
    """Refuse a file whose check misses the spec's limits (or the format's defaults)."""
    limit = spec.max_relative_logit_diff if spec.max_relative_logit_diff is not None else default_diff
    if limit is not None and check.max_relative_logit_diff is not None \
            and check.max_relative_logit_diff > limit:
        raise ExportError(f"{path} differs from the Keras model by {check.max_relative_logit_diff:.3g} "
                          f"(relative logits), more than the {limit:g} accepted; nothing written")
    agreement = spec.min_class_agreement if spec.min_class_agreement is not None else default_agreement
    if agreement is not None and check.class_agreement < agreement:
        raise ExportError(f"{path}: class agreement with the Keras model {100 * check.class_agreement:.2f}% "
                          f"is below the {100 * agreement:g}% accepted; nothing written")


def checked_write(path: Path, fmt: str, spec: ExportSpec, model: Any,
                  write: Callable[[Path], None], *, directory: bool = False,
                  predictor_options: dict | None = None, limits: tuple[float | None, float | None] = (None, None),
                  started: float | None = None) -> ExportResult:
    """Write with ``write(tmp)`` under a temporary name, check it there, rename it into place."""
    started = time.perf_counter() if started is None else started
    check = None
    with atomic_output(path, directory=directory) as tmp:
        write(tmp)
        if spec.check_images:
            check = compare(tmp, model, spec, **(predictor_options or {}))
            enforce(check, spec, path, *limits)
    from stdc_tf.runtime.base import size_bytes

    return ExportResult(path, fmt, spec, size_bytes(path), time.perf_counter() - started, check=check)
