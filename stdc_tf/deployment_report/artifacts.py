"""Each artifact of the report: how it is built (by its exporter), scored and timed, and its record.

Nothing is measured here: the exporters of :mod:`stdc_tf.export` build, the evaluator scores
(:func:`stdc_tf.evaluation.evaluator.evaluate`), the profilers time
(:func:`stdc_tf.profiling.edge.profile_edge` for ``.tflite`` files,
:func:`stdc_tf.profiling.gpu.profile_predictor` for the rest, :func:`stdc_tf.profiling.adb.profile_adb`
on a phone). A record keeps their output as it came.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.data.datasets import SegDataset
from stdc_tf.errors import StdcError, first_line
from stdc_tf.export.contract import DEFAULT_CALIBRATION_STEPS
from stdc_tf.runtime.base import size_bytes

log = logging.getLogger(__name__)

LITERT = ("fp32", "fp16", "dynamic", "int8", "qat")
ARTIFACTS = ("keras", *LITERT, "onnx", "onnx-int8", "savedmodel", "tftrt", "trt")
DESCRIPTIONS = {
    "keras": "the trained Keras model (TensorFlow, logits out)",
    "fp32": "LiteRT float32", "fp16": "LiteRT float16 weights",
    "dynamic": "LiteRT int8 weights, float activations", "int8": "LiteRT full-integer int8 (PTQ)",
    "qat": "LiteRT int8 from the quantization-aware model",
    "onnx": "ONNX (onnxruntime)",
    "onnx-int8": "ONNX int8, onnxruntime static quantization (QDQ, s8 per-channel weights, u8 activations)",
    "savedmodel": "serving SavedModel (TensorFlow)",
    "tftrt": "TF-TRT SavedModel, fp16", "trt": "TensorRT engine from the ONNX, fp16",
}
TENSORRT_PRECISION = "fp16"
WORTH_A_LOOK = 0.01                     # a per-class IoU change (1 point) that the report lists
_NOISE = (DeprecationWarning, PendingDeprecationWarning)   # the libraries' own, not the conversion's


@dataclass
class ReportSettings:
    """What to build and how to measure it (the command line's options)."""

    include: Sequence[str] = ARTIFACTS
    input_size: tuple[int, int] | None = None   # None: the model's own (export.contract.deployment_size)
    qat_model: Path | None = None
    calibration_steps: int = DEFAULT_CALIBRATION_STEPS
    threads: Sequence[int] = (1, 4)          # LiteRT thread counts
    batches: Sequence[int] = (1,)            # batch sizes of the other runtimes
    warmup: int = 10
    runs: int = 50
    examples: int = 3
    adb_binary: Path | None = None           # benchmark_model built for the phone (--adb)
    serial: str | None = None
    accelerators: Sequence[str] = ("xnnpack", "gpu")
    progress: bool = True


@dataclass
class Artifact:
    """One artifact's record; :meth:`as_dict` is its entry in ``report.json``."""

    name: str
    status: str = "pending"                  # ok | skipped | failed
    reason: str | None = None
    stage: str | None = None                 # build | evaluate | profile | phone: where it stopped
    path: Path | None = None
    size_bytes: int | None = None
    build_seconds: float | None = None
    ops: dict[str, int] | None = None
    warnings: list[str] = field(default_factory=list)
    check: dict | None = None                # the exporter's own comparison with the Keras model
    evaluation: dict | None = None           # stdc_tf.evaluation.outputs.metrics_dict
    latency: list[dict] = field(default_factory=list)   # the profiler's result entries
    timed_on: dict | None = None
    phone: dict | None = None                # profile_adb's report
    examples: list[np.ndarray] = field(default_factory=list)   # class maps; not in the JSON

    @property
    def miou(self) -> float | None:
        return self.evaluation["mIoU"] if self.evaluation else None

    def headline(self) -> dict | None:
        """The fastest configuration that ran (lowest p50): how fast this file can go here."""
        done = [e for e in self.latency if e["status"] == "ok" and e["latency_ms"]]
        return min(done, key=lambda e: e["latency_ms"]["p50"], default=None)

    def as_dict(self, root: Path, reference: Artifact | None) -> dict:
        best = self.headline()
        return {"name": self.name, "description": DESCRIPTIONS[self.name], "status": self.status,
                "reason": self.reason, "stage": self.stage, "path": _relative(self.path, root),
                "size_bytes": self.size_bytes, "build_seconds": self.build_seconds, "ops": self.ops,
                "op_count": sum(self.ops.values()) if self.ops else None,
                "warnings": self.warnings, "check": self.check,
                "mIoU": self.miou, **class_deltas(self, reference),
                "latency": None if best is None else {
                    "configuration": best["name"], "batch": best["batch"],
                    "p50_ms": best["latency_ms"]["p50"], "p90_ms": best["latency_ms"]["p90"]},
                "timed_on": self.timed_on, "evaluation": self.evaluation,
                "profile": self.latency, "phone": self.phone}


def _relative(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def class_deltas(artifact: Artifact, reference: Artifact | None) -> dict:
    """mIoU and per-class IoU changes against ``reference``; those worth a look, largest first."""
    if reference is None or artifact.miou is None or reference.miou is None:
        return {"delta_mIoU": None, "per_class_iou_delta": None, "classes_worth_a_look": []}
    mine, theirs = artifact.evaluation["per_class_iou"], reference.evaluation["per_class_iou"]
    deltas = {name: None if mine[name] is None or theirs[name] is None else mine[name] - theirs[name]
              for name in mine}
    notable = sorted(((n, d) for n, d in deltas.items() if d is not None and abs(d) >= WORTH_A_LOOK),
                     key=lambda item: -abs(item[1]))
    return {"delta_mIoU": artifact.miou - reference.miou, "per_class_iou_delta": deltas,
            "classes_worth_a_look": [{"class": n, "delta": d} for n, d in notable]}


# ---- building ----------------------------------------------------------------------------------

@dataclass
class Context:
    """What every builder needs: the model, the data, where to write, what was built already."""

    model: Any
    model_path: Path
    root: Path
    val: SegDataset
    calibration: SegDataset | None
    settings: ReportSettings
    built: dict[str, Any] = field(default_factory=dict)   # exports shared by artifacts

    @property
    def folder(self) -> Path:
        return self.root / "artifacts"

    def file(self, suffix: str) -> Path:
        return self.folder / f"{self.model_path.stem}{suffix}"


class Skipped(StdcError):
    """The artifact cannot be built with the inputs given (TensorRT's own is TensorRTUnavailable)."""


def _build_keras(ctx: Context, record: Artifact) -> Any:
    from stdc_tf.models import fixed_input_model

    record.path = ctx.model_path
    return fixed_input_model(ctx.model, ctx.settings.input_size)   # fed exactly as the files are


def _spec(ctx: Context, precision: str = "fp32") -> Any:
    """Every file of the report: the deployment contract (uint8 in, class map out) at one size,
    checked on validation images."""
    from stdc_tf.export.contract import ExportSpec

    return ExportSpec(ctx.settings.input_size, precision=precision,
                      calibration=ctx.calibration if precision == "int8" else None,
                      calibration_steps=ctx.settings.calibration_steps, check=ctx.val,
                      progress=ctx.settings.progress)


def _recorded(record: Artifact, result: Any) -> Path:
    """The exporter's result kept in the record: ops, warnings, its check against the source."""
    record.ops = result.ops or None
    record.warnings += result.warnings
    if result.check is not None:
        record.check = {**dataclasses.asdict(result.check), "against": "the model it was built from"}
    return result.path


def _exported(ctx: Context, name: str, export: Callable[[], Any]) -> Any:
    """An export that several artifacts share (the ONNX feeds TensorRT), made once."""
    if name not in ctx.built:
        ctx.built[name] = export()
    return ctx.built[name]


def _build_litert(ctx: Context, record: Artifact) -> Path:
    from stdc_tf.export.tflite import export_tflite

    model = ctx.model
    if record.name == "qat":
        if ctx.settings.qat_model is None:
            raise Skipped("no --qat-model given (the QAT trainer's .h5 model)")
        from stdc_tf.quantization.trained import SAME_RUN_SIMILARITY, kernel_similarity, load_trained_model

        model = load_trained_model(ctx.settings.qat_model, quantized=True)
        similarity = kernel_similarity(model, ctx.model)
        if similarity is None or similarity < SAME_RUN_SIMILARITY:
            log.warning("--qat-model %s does not look fine-tuned from --model %s (conv kernel similarity "
                        "%s): its row compares another training run", ctx.settings.qat_model,
                        ctx.model_path, "none shared" if similarity is None else f"{similarity:.2f}")
    return _recorded(record, export_tflite(model, ctx.file(f"_{record.name}.tflite"), _spec(ctx, record.name)))


def _onnx(ctx: Context) -> Any:
    from stdc_tf.export.onnx import export_onnx

    return _exported(ctx, "onnx", lambda: export_onnx(ctx.model, ctx.file(".onnx"), _spec(ctx)))


def _build_onnx(ctx: Context, record: Artifact) -> Path:
    return _recorded(record, _onnx(ctx))


def _build_onnx_int8(ctx: Context, record: Artifact) -> Path:
    """onnxruntime's own int8 of the same graph, calibrated on the split LiteRT int8 uses: the
    int8 file an x86 host would otherwise pick, measured beside LiteRT int8."""
    from stdc_tf.export.onnx import export_onnx

    if ctx.calibration is None:
        raise Skipped("no calibration split given (onnx-int8 calibrates like int8)")
    return _recorded(record, export_onnx(ctx.model, ctx.file("_int8.onnx"), _spec(ctx, "int8")))


def _build_savedmodel(ctx: Context, record: Artifact) -> Path:
    from stdc_tf.export.saved_model import export_saved_model

    return _recorded(record, export_saved_model(ctx.model, ctx.folder / "saved_model", _spec(ctx), version=1))


def _build_tftrt(ctx: Context, record: Artifact) -> Path:
    from stdc_tf.export.tftrt import export_tftrt, require_tftrt

    require_tftrt()
    return _recorded(record, export_tftrt(ctx.model, ctx.folder / "tftrt", _spec(ctx, TENSORRT_PRECISION),
                                          batch_sizes=ctx.settings.batches))


def _build_trt(ctx: Context, record: Artifact) -> Path:
    from stdc_tf.export.tensorrt import export_tensorrt
    from stdc_tf.runtime.tensorrt import require_engine_runtime

    require_engine_runtime("building a TensorRT engine")   # before exporting an ONNX for nothing
    return _recorded(record, export_tensorrt(_onnx(ctx).path, ctx.file(f"_{TENSORRT_PRECISION}.plan"),
                                             _spec(ctx, TENSORRT_PRECISION), batch_sizes=ctx.settings.batches,
                                             timing_cache=ctx.folder / "timing.cache"))


BUILDERS: dict[str, Callable[[Context, Artifact], Any]] = {
    "keras": _build_keras, **dict.fromkeys(LITERT, _build_litert), "onnx": _build_onnx,
    "onnx-int8": _build_onnx_int8,
    "savedmodel": _build_savedmodel, "tftrt": _build_tftrt, "trt": _build_trt,
}


@contextlib.contextmanager
def _collected_warnings(into: list[str]) -> Iterator[None]:
    """The toolkit's warning lines (which still reach the terminal) and Python's warnings of a
    block, kept for the report."""
    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            into.append(record.getMessage())

    handler = Keep(logging.WARNING)
    toolkit = logging.getLogger("stdc_tf")
    toolkit.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        toolkit.removeHandler(handler)
        into.extend(dict.fromkeys(f"{w.category.__name__}: {first_line(str(w.message))}"
                                  for w in caught if not issubclass(w.category, _NOISE)))


# ---- measuring ---------------------------------------------------------------------------------

def _examples(predictor: Any, images: list[tuple[np.ndarray, np.ndarray]], info: Any) -> list[np.ndarray]:
    """Class maps of the example images at label size, by the evaluator's own protocol."""
    from stdc_tf.evaluation.evaluator import predict_classes, resolve_scales

    scales = resolve_scales(None, False, predictor)
    return [predict_classes(predictor, image, label.shape[1:3], scales, False, info, set())[0][0]
            for image, label in images]


def _host_profile(record: Artifact, predictor: Any, settings: ReportSettings) -> None:
    """The profiler's entries for this artifact on this host, and what it was timed on."""
    from stdc_tf.profiling import environment

    if record.name in LITERT:
        from stdc_tf.profiling.edge import profile_edge

        profile = profile_edge(record.path, threads=settings.threads, warmup=settings.warmup,
                               runs=settings.runs, apis=("interpreter",), gpu=False)
        record.latency, record.timed_on = profile["results"], profile["device"]
        return
    from stdc_tf.profiling.gpu import profile_predictor

    record.latency = profile_predictor(predictor, batches=settings.batches, warmup=settings.warmup,
                                       runs=settings.runs, regions=("compute",), providers=("cpu", "cuda"))
    on_gpu = any(e["status"] == "ok" and e["config"].get("device") == "gpu" for e in record.latency)
    record.timed_on = {**environment.cpu_device(), "gpus": environment.nvidia_gpus(),
                       "kind": "gpu" if on_gpu else "cpu"}


def measure(ctx: Context, record: Artifact, images: list) -> None:
    """Build, score, time (host, then phone) one artifact; ``record.stage`` says how far it got."""
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.evaluation.outputs import metrics_dict
    from stdc_tf.runtime import load_predictor

    settings = ctx.settings
    record.stage = "build"
    started = time.perf_counter()
    with _collected_warnings(record.warnings):
        source = BUILDERS[record.name](ctx, record)
    record.build_seconds = time.perf_counter() - started
    record.path = source if isinstance(source, Path) else record.path
    record.size_bytes = size_bytes(record.path)

    record.stage = "evaluate"
    predictor = load_predictor(source)
    record.evaluation = metrics_dict(evaluate(predictor, ctx.val, progress=settings.progress))
    record.examples = _examples(predictor, images, ctx.val.info)

    record.stage = "profile"
    _host_profile(record, predictor, settings)
    del predictor, source
    gc.collect()

    if settings.adb_binary is not None and record.name in LITERT:
        from stdc_tf.profiling.adb import profile_adb

        record.stage = "phone"
        record.phone = profile_adb(record.path, settings.adb_binary, serial=settings.serial,
                                   threads=settings.threads, accelerators=settings.accelerators,
                                   warmup=settings.warmup, runs=settings.runs)
    record.status, record.stage = "ok", None


def run_one(ctx: Context, record: Artifact, images: list) -> None:
    """:func:`measure`, with a missing platform as ``skipped`` and any failure as ``failed``."""
    from stdc_tf.runtime.tensorrt import TensorRTUnavailable

    try:
        measure(ctx, record, images)
    except (Skipped, TensorRTUnavailable) as e:
        record.status, record.reason, record.stage = "skipped", str(e), None
        log.info("%s: skipped: %s", record.name, e)
    except Exception as e:  # any exporter or runtime failure: the other artifacts go on
        record.status = "failed"
        record.reason = str(e) if isinstance(e, StdcError) else first_line(e)
        log.warning("%s failed at stage %s: %s", record.name, record.stage, record.reason)
        log.debug("%s", record.name, exc_info=True)
