"""Reading an NVIDIA GPU's memory for this process, without a runtime of its own.

``nvidia-smi --query-compute-apps`` lists processes by their host PID, so inside a container
(its own PID namespace) it never finds this process. NVML (``nvidia-ml-py``, imported as
``pynvml``) is asked instead: the memory of the compute processes whose PID is this one's, and
where none matches (a container), the memory used on the devices by every process, which on a
machine given to one benchmark is the same figure plus the driver's own.
"""
from __future__ import annotations

import os


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
