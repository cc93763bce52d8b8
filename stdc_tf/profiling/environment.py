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
              ("ai-edge-litert",), ("tf2onnx",), ("torch",))


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


# The instruction-set features that decide how fast int8 and fp16 arithmetic is on a CPU, as
# /proc/cpuinfo names them (x86 "flags", Arm "Features"). An int8 figure measured with VNNI says
# nothing about a machine without it: XNNPACK and onnxruntime pick their kernels from these.
ISA_FEATURES = {
    "x86": ("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni",
            "avx512_bf16", "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16"),
    "arm": ("asimd", "asimddp", "i8mm", "fphp", "asimdhp", "bf16", "sve", "sve2", "sme"),
}
# Alternative spellings of the same feature (Arm's "dotprod" is the kernel's "asimddp").
_ALIASES = {"dotprod": "asimddp", "fp16": "asimdhp"}
CPUINFO = "/proc/cpuinfo"


def read_cpuinfo(path: str = CPUINFO) -> str:
    """The text of ``/proc/cpuinfo``; empty where there is none (macOS, Windows)."""
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def parse_cpuinfo(text: str) -> dict:
    """CPU model and ISA features from ``/proc/cpuinfo`` text (the first processor's block).

    ``isa`` is ``x86``/``arm``/``""``; ``features`` lists the :data:`ISA_FEATURES` of that ISA the
    CPU has, in that order; ``int8`` names the best int8 multiply-add path they give.
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    model = fields.get("model name") or fields.get("hardware") or fields.get("cpu model") or ""
    if "flags" in fields:
        isa, raw = "x86", fields["flags"].split()
    elif "features" in fields:
        isa, raw = "arm", fields["features"].split()
    else:
        isa, raw = "", []
    have = {_ALIASES.get(f, f) for f in raw}
    features = [f for f in ISA_FEATURES.get(isa, ()) if f in have]
    if isa == "arm" and not model and "cpu part" in fields:
        model = f"Arm CPU part {fields['cpu part']} (implementer {fields.get('cpu implementer', '?')})"
    return {"model": model, "isa": isa, "features": features, "int8": int8_path(isa, features)}


def int8_path(isa: str, features: list[str]) -> str:
    """The widest int8 dot-product instructions ``features`` give (what int8 kernels use)."""
    have = set(features)
    if isa == "x86":
        for flag, name in (("amx_int8", "AMX-INT8"), ("avx512_vnni", "AVX512-VNNI"),
                           ("avx_vnni", "AVX-VNNI"), ("avx512bw", "AVX512BW"), ("avx2", "AVX2")):
            if flag in have:
                return name
        return "SSE"
    if isa == "arm":
        return "I8MM" if "i8mm" in have else "SDOT" if "asimddp" in have else "NEON"
    return ""


def cpu_info(text: str | None = None) -> dict:
    """:func:`parse_cpuinfo` of this machine (or of ``text``), with ``platform``'s fallbacks."""
    info = parse_cpuinfo(read_cpuinfo() if text is None else text)
    if not info["model"]:
        info["model"] = platform.processor() or platform.machine()
    if not info["isa"]:
        machine = platform.machine().lower()
        info["isa"] = "x86" if machine in ("x86_64", "amd64", "i686") else \
            "arm" if machine.startswith(("arm", "aarch64")) else machine
    return info


def cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo``'s model name where it exists) and its core count."""
    return f"{cpu_info()['model']} ({os.cpu_count()} cores)"


def isa_line(info: dict | None = None) -> str:
    """One line for tables: ``AMD EPYC (2 cores), x86: avx2 fma … (int8: AVX512-VNNI)``."""
    info = info or cpu_info()
    return (f"{info['model']} ({os.cpu_count()} cores), {info['isa']}: "
            f"{' '.join(info['features']) or 'no listed features'} (int8: {info['int8'] or '?'})")


def cpu_device() -> dict:
    """The host CPU as every latency record names it: model, cores, ISA features, platform."""
    info = cpu_info()
    return {"kind": "cpu", "name": f"{info['model']} ({os.cpu_count()} cores)", "isa": info["isa"],
            "isa_features": info["features"], "int8_path": info["int8"],
            "platform": platform.platform()}


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
