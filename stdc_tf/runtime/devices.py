"""What every GPU runtime shares: its libraries loaded, TF32 stated, and the memory it holds.

:func:`preload_gpu_libraries` puts pip-installed CUDA/cuDNN/TensorRT libraries in the process
the documented way, for onnxruntime, TensorRT engines and TF-TRT alike;
:func:`configure_tensorflow_gpu` keeps TensorFlow from taking the GPU a TensorRT build needs.

Reading an NVIDIA GPU's memory for this process, without a runtime of its own:

``nvidia-smi --query-compute-apps`` lists processes by their host PID, so inside a container
(its own PID namespace) it never finds this process. NVML (``nvidia-ml-py``, imported as
``pynvml``) is asked instead: the memory of the compute processes whose PID is this one's, and
where none matches (a container), the memory used on the devices by every process, which on a
machine given to one benchmark is the same figure plus the driver's own.
"""
from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
from pathlib import Path
from typing import Any


def process_gpu_memory_mb() -> float | None:
    """Device memory (MiB) this process holds on the NVIDIA GPUs; ``None`` without NVML or a GPU."""
    try:
        import pynvml
        pynvml.nvmlInit()
    except Exception:  # not installed, or no driver: NVMLError_LibraryNotFound / DriverNotLoaded
        return None
    try:
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        mine = [p.usedGpuMemory for h in handles for p in pynvml.nvmlDeviceGetComputeRunningProcesses(h)
                if p.pid == os.getpid() and p.usedGpuMemory is not None]
        if mine:
            return sum(mine) / 2**20
        return sum(pynvml.nvmlDeviceGetMemoryInfo(h).used for h in handles) / 2**20 if handles else None
    finally:
        pynvml.nvmlShutdown()


# ---- what every GPU runtime needs before its first CUDA call ----

TF32_OVERRIDE = "NVIDIA_TF32_OVERRIDE"   # "0": cuBLAS, cuDNN and TensorRT builds use no TF32


def load_libraries(folder: Path | None, pattern: str = "libnv*.so*") -> list[str]:
    """``dlopen`` every library in ``folder`` matching ``pattern`` (RTLD_GLOBAL: later lookups by
    soname find them); a library whose dependency is not loaded yet is retried after the others."""
    waiting = sorted(folder.glob(pattern)) if folder is not None and folder.is_dir() else []
    loaded: list[str] = []
    while waiting:
        failed = []
        for lib in waiting:
            try:
                ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)
                loaded.append(lib.name)
            except OSError:
                failed.append(lib)
        if len(failed) == len(waiting):
            break   # reported by the runtime that needs them, in its own words
        waiting = failed
    return loaded


def _package_folder(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(list(spec.submodule_search_locations)[0]) if spec and spec.submodule_search_locations else None


@functools.cache
def preload_gpu_libraries() -> tuple[str, ...]:
    """Load pip-installed GPU libraries into the process, once, before any GPU runtime starts.

    pip puts CUDA, cuDNN and TensorRT under site-packages, where neither TensorFlow (TF-TRT's
    ``libnvinfer``) nor onnxruntime's CUDA/TensorRT providers look: TensorRT's (``tensorrt_libs``,
    from ``tensorrt-cu12-libs`` or TensorRT 8.6's ``tensorrt_libs``) are loaded here, CUDA and
    cuDNN by onnxruntime's own ``preload_dlls`` (its docstring: needed unless torch is imported
    first) on a GPU build. Also sets ``NVIDIA_TF32_OVERRIDE=0`` unless the user set it (fp32 means
    IEEE float32: :func:`tf32_state`). Returns what was loaded, for logs and tests.
    """
    os.environ.setdefault(TF32_OVERRIDE, "0")
    loaded = load_libraries(_package_folder("tensorrt_libs"))
    try:
        import onnxruntime
    except ImportError:
        return tuple(loaded)
    if hasattr(onnxruntime, "preload_dlls") and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        onnxruntime.preload_dlls(cuda=True, cudnn=True, msvc=False)
        loaded.append("onnxruntime.preload_dlls(cuda, cudnn)")
    return tuple(loaded)


def tf32_state() -> str:
    """Whether fp32 GPU figures may use TF32 (10-bit mantissa convs/matmuls), as records state it."""
    return "on" if os.environ.get(TF32_OVERRIDE, "1") != "0" else "off"


def configure_tensorflow_gpu(tf: Any) -> None:
    """Before TensorFlow touches a GPU: memory growth (by default it maps nearly all of it, and a
    TensorRT build in the same process then has none) and TF32 off (on by default)."""
    preload_gpu_libraries()
    for gpu in tf.config.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
    tf.config.experimental.enable_tensor_float_32_execution(tf32_state() == "on")
