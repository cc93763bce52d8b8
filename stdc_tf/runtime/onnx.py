"""ONNX (``.onnx``) on onnxruntime, on one execution provider or the best one available.

NHWC models (tf2onnx's default) run as they are; NCHW models (3 channels on axis 1) get
transposed inputs and outputs. ``provider``: ``"auto"`` (TensorRT, CUDA, CPU: whichever this
onnxruntime has, in that order) or one of :data:`PROVIDERS`, which must start (the chain below it
takes the nodes it rejects). ``logits=True`` runs a class-map file up to its ArgMax's input, so a
deployment file can be checked on its logits and scored multi-scale. ``threads`` sets the CPU
provider's intra-op threads (default: onnxruntime's, every core), so a latency figure can name it.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.runtime.base import (
    ModelIO,
    ModelLoadError,
    Predictor,
    RunFn,
    RuntimeUnavailable,
    image_dims,
    infer_output_kind,
)
from stdc_tf.runtime.devices import preload_gpu_libraries, process_gpu_memory_mb, tf32_state

PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider",
             "tensorrt": "TensorrtExecutionProvider"}
_ORDER = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")
_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
          "tensor(uint8)": np.uint8, "tensor(int8)": np.int8,
          "tensor(int32)": np.int32, "tensor(int64)": np.int64}


def _onnx_type(onnx_type: str, path: Path) -> type:
    if onnx_type not in _TYPES:
        raise ModelLoadError(f"ONNX model {path}: tensor type {onnx_type} is not supported "
                             f"(supported: {', '.join(_TYPES)})")
    return _TYPES[onnx_type]


def _logits_graph(path: Path) -> tuple[bytes, str, int]:
    """The model with the input of its one ArgMax as an output, that output's name, its class axis
    (tf2onnx may have moved a class map's logits to NCHW before the ArgMax)."""
    import onnx

    model = onnx.load(str(path))
    argmax = [n for n in model.graph.node if n.op_type == "ArgMax"]
    if len(argmax) != 1:
        raise ModelLoadError(f"ONNX model {path} has {len(argmax)} ArgMax nodes; logits=True needs "
                             f"a class-map model with exactly one")
    name = argmax[0].input[0]
    del model.graph.output[:]
    model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    axis = next((a.i for a in argmax[0].attribute if a.name == "axis"), 0)
    return model.SerializeToString(), name, axis


def _with_options(providers: list[str]) -> list[Any]:
    """The CUDA provider with TF32 as :func:`~stdc_tf.runtime.devices.tf32_state` says (the
    TensorRT provider has no option for it: ``NVIDIA_TF32_OVERRIDE`` rules its builds)."""
    cuda = {"use_tf32": int(tf32_state() == "on")}
    return [(p, cuda) if p == "CUDAExecutionProvider" else p for p in providers]


def _session(source: Any, provider: str, path: Path, threads: int | None = None) -> Any:
    """An InferenceSession on ``provider`` (and the providers below it), or why it cannot start."""
    import onnxruntime as ort

    if provider != "cpu":
        preload_gpu_libraries()
    available = ort.get_available_providers()
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    if provider == "auto":
        return ort.InferenceSession(source, options, providers=_with_options([p for p in _ORDER if p in available]))
    wanted = PROVIDERS[provider]
    if wanted not in available:
        raise RuntimeUnavailable(f"onnxruntime {ort.__version__} has no {wanted} (available: "
                                 f"{', '.join(available)}); install onnxruntime-gpu with "
                                 f"CUDA/TensorRT for it")
    chain = [p for p in _ORDER if p in available]
    try:
        session = ort.InferenceSession(source, options, providers=_with_options(chain[chain.index(wanted):]))
    except Exception as e:  # onnxruntime raises its own types when a provider cannot start
        from stdc_tf.errors import first_line

        raise RuntimeUnavailable(f"{wanted} could not start for {path}: {first_line(e)}") from e
    if wanted not in session.get_providers():
        raise RuntimeUnavailable(f"{wanted} did not start (onnxruntime fell back to "
                                 f"{', '.join(session.get_providers())}); check the CUDA/TensorRT "
                                 f"libraries")
    return session


class OnnxPredictor(Predictor):
    """An ``.onnx`` file on onnxruntime."""

    runtime = "onnxruntime"

    def __init__(self, path: Path, provider: str = "auto", logits: bool = False,
                 threads: int | None = None):
        if provider != "auto" and provider not in PROVIDERS:
            raise ModelLoadError(f"unknown onnxruntime provider {provider!r}; valid: auto, "
                                 f"{', '.join(PROVIDERS)}")
        if threads is not None and threads < 1:
            raise ModelLoadError(f"onnxruntime threads must be positive, got {threads}")
        self.path, self.provider, self._logits, self.threads = path, provider, logits, threads
        source, self._output_name, self._class_axis = (_logits_graph(path) if logits
                                                        else (str(path), None, -1))
        self._session = _session(source, provider, path, threads)
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelLoadError(f"ONNX model {path} has {len(inputs)} inputs and {len(outputs)} "
                                 f"outputs; expected one image input and one output")
        self._input_name, self._output_name = inputs[0].name, outputs[0].name
        shape = list(inputs[0].shape)
        channels_first = len(shape) == 4 and shape[1] == 3 and shape[3] != 3
        batch, height, width = image_dims(shape, self._label(), channels_first)
        kind = "logits" if logits else infer_output_kind(
            tuple(outputs[0].shape), np.dtype(_onnx_type(outputs[0].type, path)), False)
        self.io = ModelIO(height, width, batch, np.dtype(_onnx_type(inputs[0].type, path)), kind,
                          channels_first=channels_first)
        first = self._session.get_providers()[0]
        self.device = "cpu" if first == "CPUExecutionProvider" else "gpu"
        if self.device == "gpu":
            self.timer = "host clock (onnxruntime waits for the device at the end of each run)"
        if first == "TensorrtExecutionProvider":
            self.notes = (f"TensorRT builds its engine during the warm-up runs; nodes it rejects run "
                          f"on {', '.join(self._session.get_providers()[1:])}",)

    @property
    def name(self) -> str:
        threads = f" threads={self.threads}" if self.threads else ""
        return f"onnxruntime {self._session.get_providers()[0]}{threads}"

    def options(self) -> dict[str, Any]:
        gpu = {"tf32": tf32_state()} if self.device == "gpu" else {}
        return {"runtime": self.runtime, "provider": self._session.get_providers()[0],
                "threads": self.threads, **gpu}

    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        out = self._session.run([self._output_name], {self._input_name: x})[0]
        return np.moveaxis(out, self._class_axis, -1) if self._logits else out

    def executions(self, providers: Sequence[str] = ()) -> list[Predictor | tuple[str, str]]:
        """One predictor per execution provider in ``providers`` (default: this one)."""
        if not providers:
            return [self]
        out: list[Predictor | tuple[str, str]] = []
        for provider in providers:
            try:
                out.append(OnnxPredictor(self.path, provider, self._logits, self.threads))
            except RuntimeUnavailable as e:
                out.append((f"onnxruntime {PROVIDERS[provider]}", str(e)))
        return out

    def device_run(self, x: np.ndarray) -> RunFn:
        """I/O binding: the input copied to the provider's device once, the output left there."""
        import onnxruntime as ort

        device = "cpu" if self.device == "cpu" else "cuda"
        binding = self._session.io_binding()
        binding.bind_ortvalue_input(self._input_name, ort.OrtValue.ortvalue_from_numpy(x, device, 0))
        binding.bind_output(self._output_name, device)

        def run() -> None:
            self._session.run_with_iobinding(binding)
        return run

    def device_memory_mb(self) -> float | None:
        return process_gpu_memory_mb() if self.device == "gpu" else None


def write_ep_context(onnx_path: Path, target: Path, tensorrt_options: dict[str, Any]) -> None:
    """Let onnxruntime's TensorRT execution provider build its engine for ``onnx_path`` and write
    the "EP context" model (the engine embedded) to ``target``; the CUDA provider takes the nodes
    TensorRT rejects. Raises ``TensorRTUnavailable`` without the TensorRT provider or a GPU."""
    import shutil
    import tempfile

    import onnxruntime as ort

    from stdc_tf.runtime.tensorrt import TensorRTUnavailable, missing_gpu

    preload_gpu_libraries()
    problems = [] if "TensorrtExecutionProvider" in ort.get_available_providers() else [
        f"onnxruntime {ort.__version__} has no TensorrtExecutionProvider (it has "
        f"{', '.join(ort.get_available_providers())}; install onnxruntime-gpu and TensorRT)"]
    problems += [missing_gpu()] if missing_gpu() else []
    if problems:
        raise TensorRTUnavailable(f"onnxruntime's TensorRT route cannot run here: {'; '.join(problems)}")
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        options = {**tensorrt_options, "trt_engine_cache_enable": True, "trt_engine_cache_path": work,
                   "trt_timing_cache_enable": True, "trt_timing_cache_path": work}
        session_options = ort.SessionOptions()
        context = Path(work) / "model_ctx.onnx"
        for key, value in (("ep.context_enable", "1"), ("ep.context_file_path", str(context)),
                           ("ep.context_embed_mode", "1")):
            session_options.add_session_config_entry(key, value)
        ort.InferenceSession(str(onnx_path), session_options,
                             providers=[("TensorrtExecutionProvider", options),
                                        *_with_options(["CUDAExecutionProvider"])])
        if not context.is_file():
            raise ModelLoadError(f"onnxruntime {ort.__version__} wrote no EP-context model for {onnx_path}")
        shutil.copyfile(context, target)
