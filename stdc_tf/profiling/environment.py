"""Which machine and which library versions a profile was measured with.

A latency figure without its device, driver and runtime versions cannot be compared with
anything; every report carries these. Only libraries that are installed are listed, and
nothing here imports a heavy runtime.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata

# distribution names, in report order; the first installed name of each group is reported
_LIBRARIES = (("numpy",), ("tensorflow", "tensorflow-cpu"), ("keras",), ("tf-keras",),
              ("onnxruntime-gpu", "onnxruntime"), ("tensorrt", "tensorrt-cu12", "tensorrt-cu13"),
              ("ai-edge-litert",), ("tf2onnx",))


def library_versions() -> dict[str, str]:
    """``{distribution: version}`` of the runtimes a profile may use, plus Python's."""
    versions = {"python": platform.python_version()}
    for names in _LIBRARIES:
        for name in names:
            try:
                versions[name] = metadata.version(name)
                break
            except metadata.PackageNotFoundError:
                continue
    return versions


def cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo``'s model name where it exists) and its core count."""
    name = ""
    try:
        with open("/proc/cpuinfo") as f:
            name = next((line.split(":", 1)[1].strip() for line in f
                         if line.lower().startswith("model name")), "")
    except OSError:
        pass
    return f"{name or platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def cpu_device() -> dict:
    return {"kind": "cpu", "name": cpu_name(), "platform": platform.platform()}


def nvidia_gpus() -> list[dict]:
    """Name, driver and memory of each NVIDIA GPU ``nvidia-smi`` lists; ``[]`` without one."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return []
    try:
        out = subprocess.run([smi, "--query-gpu=name,driver_version,memory.total",
                              "--format=csv,noheader,nounits"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3:
            gpus.append({"name": parts[0], "driver": parts[1], "memory_mb": float(parts[2])})
    return gpus
