"""Latency of any :class:`~stdc_tf.runtime.Predictor` on a GPU or on the CPU, region by region.

The profiler takes predictors, never file formats: whatever :func:`stdc_tf.runtime.load_predictor`
reads (Keras, SavedModel, TF-TRT SavedModel, ONNX, TensorRT engine, LiteRT) is timed the same
way. Three timed regions, chosen by the caller and named in every result:

* ``compute`` — the model alone: the prepared input already sits on the device and the output
  stays there; the device is synchronised before the clock is read (the predictor's
  :meth:`~stdc_tf.runtime.Predictor.device_run`: TensorFlow syncs its devices, onnxruntime runs an
  I/O binding, a TensorRT engine reports CUDA-event milliseconds, LiteRT invokes with its input
  tensor already written). This is what TensorRT-style FPS tables (the STDC paper's) measure.
* ``copies`` — the model plus the host→device copy of the input and the device→host copy of the
  output (numpy in, numpy out).
* ``end-to-end`` — uint8 RGB in, the predictor's own pre-processing (ImageNet normalisation or
  quantisation), copies, model, its post-processing and the argmax to a uint8 class map.

Each of the predictor's :meth:`~stdc_tf.runtime.Predictor.executions` is timed (an ONNX model once
per onnxruntime execution provider asked for: CPU, CUDA, TensorRT); one that cannot start here
becomes a ``skipped`` entry with the reason.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.errors import ConfigError, StdcError, first_line
from stdc_tf.profiling import environment, records
from stdc_tf.profiling.timing import host_peak, time_runs
from stdc_tf.runtime import ModelLoadError, Predictor, RunFn, load_predictor
from stdc_tf.runtime.devices import tf32_state
from stdc_tf.runtime.onnx import PROVIDERS

log = logging.getLogger(__name__)

REGIONS = {
    "compute": "model only: input already on the device, output left there; device synchronised "
               "before the clock is read",
    "copies": "model + host-to-device copy of the prepared input + device-to-host copy of the "
              "output",
    "end-to-end": "uint8 RGB in -> pre-processing -> copies + model -> post-processing -> "
                  "argmax uint8 class map out",
}
ONNX_PROVIDERS = tuple(PROVIDERS)
DEFAULT_INPUT_SIZE = (512, 1024)   # Cityscapes at scale 0.5: the Seg50 protocol


def _class_map(out: np.ndarray, predictor: Predictor) -> np.ndarray:
    return np.argmax(out, axis=-1).astype(np.uint8) if predictor.output_kind == "logits" \
        else out.astype(np.uint8)


def _region_run(region: str, predictor: Predictor, images: np.ndarray) -> RunFn | str:
    """The callable to time for ``region``, or the reason this predictor cannot time it."""
    x = predictor.prepare_input(images)              # the predictor's own pre-processing
    if region == "compute":
        try:
            return predictor.device_run(x)
        except NotImplementedError as e:
            return str(e)
    if region == "copies":
        return lambda: (predictor.run_prepared(x), None)[1]
    return lambda: (_class_map(predictor.finish_output(predictor.run_prepared(predictor.prepare_input(images))),
                               predictor), None)[1]


def model_info(predictor: Predictor) -> dict[str, Any]:
    """The artifact as the report lists it (path, size, runtime, input size, dtypes)."""
    info = predictor.describe()
    info["path"] = info["path"] or f"<in-memory {predictor.runtime} model>"
    info["input_dtype"] = np.dtype(predictor.io.input_dtype).name
    info["batch"] = predictor.io.batch
    return info


def resolve_input_size(predictor: Predictor, input_size: tuple[int, int] | None) -> tuple[int, int]:
    """The model's own size; for a model that takes any size, ``input_size`` or 512x1024."""
    fixed = predictor.input_size
    if fixed is not None:
        if input_size is not None and tuple(input_size) != fixed:
            raise ConfigError(f"--input-size {input_size[0]}x{input_size[1]}: the model takes "
                              f"{fixed[0]}x{fixed[1]} (HxW) only")
        return fixed
    return tuple(input_size) if input_size else DEFAULT_INPUT_SIZE


def profile_predictor(predictor: Predictor, *, batches: Sequence[int] = (1,), warmup: int = 50,
                      runs: int = 300, input_size: tuple[int, int] | None = None,
                      regions: Sequence[str] = tuple(REGIONS),
                      providers: Sequence[str] = tuple(ONNX_PROVIDERS)) -> list[dict]:
    """Result entries (:func:`stdc_tf.profiling.records.result`) for every execution × batch ×
    region; unavailable ones are ``skipped`` entries with their reason."""
    unknown = [r for r in regions if r not in REGIONS]
    if unknown:
        raise ConfigError(f"unknown region {unknown[0]!r}; valid: {', '.join(REGIONS)}")
    height, width = resolve_input_size(predictor, input_size)
    model = model_info(predictor)["path"]
    rng = np.random.default_rng(0)
    entries = []
    for execution in predictor.executions(providers):
        if isinstance(execution, tuple):
            name, reason = execution
            log.warning("skipped: %s: %s", name, reason)
            entries.append(records.skipped(name, model, {"runtime": predictor.runtime}, reason))
            continue
        for batch in batches:
            if not execution.takes_batch(batch):
                reason = f"the model's batch is fixed at {execution.io.batch}"
                entries.append(records.skipped(execution.name, model, execution.options(), reason, batch))
                continue
            images = rng.integers(0, 256, (batch, height, width, 3), dtype=np.uint8)
            for region in regions:
                entries.append(_time_region(execution, model, images, region, warmup, runs))
    return entries


def tf32(execution: Predictor) -> str:
    """Whether this GPU execution's float32 convs/matmuls may run as TF32: a TensorRT engine of
    this toolkit is built without it; TensorFlow says so itself; the rest follow
    ``NVIDIA_TF32_OVERRIDE`` (:func:`~stdc_tf.runtime.devices.tf32_state`)."""
    if execution.runtime == "tensorrt":
        return "off"
    if execution.runtime in ("keras", "saved_model", "tftrt"):
        import tensorflow as tf

        return "on" if tf.config.experimental.tensor_float_32_execution_enabled() else "off"
    return tf32_state()


def _time_region(execution: Predictor, model: str, images: np.ndarray, region: str, warmup: int,
                 runs: int) -> dict:
    batch = len(images)
    config = {**execution.options(), "device": execution.device, "region": region,
              "input_size": list(images.shape[1:3])}
    if execution.device == "gpu":   # every fp32 GPU figure says whether it is IEEE float32
        config["tf32"] = tf32(execution)
    name = f"{execution.name} [{execution.device}]"
    try:
        run = _region_run(region, execution, images)
        if isinstance(run, str):
            return records.skipped(name, model, config, run, batch)
        log.info("timing %s, batch %d, %s: %d warm-up + %d runs", name, batch, region, warmup, runs)
        execution.reset_device_memory()
        with host_peak() as host:
            timings = time_runs(run, warmup, runs, f"{execution.name} b{batch} {region}")
    except Exception as e:  # a runtime failing on this batch/region must not lose the others
        log.warning("failed: %s batch %d %s: %s", name, batch, region, first_line(e))
        return records.result(name, model, config, status="failed", reason=first_line(e),
                             batch=batch)
    memory = {"host": host.peak_mb, "host_delta": host.delta_mb,
              "device": execution.device_memory_mb(), "scope": host.scope}
    return records.result(name, model, config, batch=batch, timed_region=REGIONS[region],
                         timer=execution.timer, first_inference_ms=timings.first_ms,
                         warmup_ms=timings.warmup_stats(), latency_ms=timings.stats(),
                         peak_memory_mb=memory, warnings=list(execution.notes))


def _device(entries: list[dict]) -> dict:
    gpus = environment.nvidia_gpus()
    on_gpu = any(e["status"] == "ok" and e["config"].get("device") == "gpu" for e in entries)
    if on_gpu:
        name = ", ".join(g["name"] for g in gpus) or "GPU (nvidia-smi not found)"
        return {"kind": "gpu", "name": name, "gpus": gpus, "cpu": environment.cpu_name()}
    return {**environment.cpu_device(), "gpus": gpus}


def profile_gpu(models: Sequence[str | Path | Any], *, batches: Sequence[int] = (1,),
                warmup: int = 50, runs: int = 300, input_size: tuple[int, int] | None = None,
                regions: Sequence[str] = tuple(REGIONS),
                providers: Sequence[str] = tuple(ONNX_PROVIDERS)) -> dict:
    """Profile each model (a path or a Keras model) and return the report.

    A model whose runtime is not installed here (TensorRT, a TF-TRT build) is a ``skipped``
    entry with the reason, and the other models are still timed.
    """
    missing = [str(m) for m in models if isinstance(m, (str, Path)) and not Path(m).exists()]
    if missing:
        raise StdcError(f"model {missing[0]} does not exist")
    infos, entries = [], []
    for source in models:
        start = time.perf_counter()
        try:
            predictor = load_predictor(source)
        except (ModelLoadError, ImportError) as e:
            label = str(source)
            reason = str(e) if isinstance(e, ModelLoadError) else first_line(e)
            log.warning("skipped: %s", reason)
            infos.append({"path": label})
            entries.append(records.skipped(label, label, {}, reason))
            continue
        infos.append({**model_info(predictor), "load_ms": (time.perf_counter() - start) * 1000.0})
        entries += profile_predictor(predictor, batches=batches, warmup=warmup, runs=runs,
                                     input_size=input_size, regions=regions, providers=providers)
    protocol = {"warmup": warmup, "runs": runs, "batches": list(batches),
                "input_size": list(input_size) if input_size else None,
                "regions": {r: REGIONS[r] for r in regions},
                "input": "random uint8 RGB images (seed 0), the same for every configuration",
                "statistics": "per-run latency of the timed runs after warm-up; fps = 1000 / "
                              "mean ms, images_per_s = batch x fps"}
    out = records.new_report("profile_gpu", infos, _device(entries),
                            environment.library_versions(), protocol)
    out["results"] = entries
    return out
