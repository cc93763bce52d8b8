"""Resolve each GPU requirements file as a fresh machine would, and check one CUDA major.

For ``requirements-gpu.txt`` and ``requirements-tensorrt.txt``, ``pip install --dry-run
--ignore-installed --report`` (this machine's pip configuration ignored) resolves every pin
without installing anything; a conflict fails the file. The resolved set is then read for the
CUDA major each GPU package is built for — ``nvidia-*-cuNN`` wheels by name, CUDA-13-style
``nvidia-*`` wheels by version, ``onnxruntime-gpu`` by its ``[cuda]`` extra, ``tensorrt-cuNN``
and ``cuda-python`` by name and version — and more than one major fails the file.

The TensorRT wheels (``tensorrt-cu12-libs``, ``tensorrt_libs``) come from NVIDIA's index only:
where it is not reachable, their stub requirements are set aside, named in the output, and the
rest is resolved from PyPI.

    python benchmarks/gpu_requirements_check.py            # both files; exit 1 on a failure
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ("requirements-gpu.txt", "requirements-tensorrt.txt")
NVIDIA_INDEX = "https://pypi.nvidia.com"
NVIDIA_ONLY = ("tensorrt-cu12", "tensorrt")   # PyPI stubs that fetch their wheels from NVIDIA's index
CU_NAME = re.compile(r"-cu(\d+)(?:-|$)")


def reachable(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=10).close()
        return True
    except OSError:
        return False


def prepared(name: str, nvidia: bool) -> tuple[Path, list[str]]:
    """The file as pip will read it (``-r`` made absolute; without NVIDIA's index, its
    stubs and the index line left out) and the lines left out."""
    kept, left = [], []
    for line in (ROOT / name).read_text().splitlines():
        text = line.strip()
        requirement = re.split(r"[=<>\[ ;]", text, maxsplit=1)[0].lower()
        if text.startswith("-r "):
            kept.append(f"-r {ROOT / text[3:].strip()}")
        elif not nvidia and (text.startswith("--extra-index-url") or requirement in NVIDIA_ONLY):
            left.append(text)
        else:
            kept.append(line)
    handle = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    handle.write("\n".join(kept) + "\n")
    handle.close()
    return Path(handle.name), left


def cuda_majors(report: dict) -> dict[str, int]:
    """``{package: CUDA major}`` for every resolved package built for a CUDA version."""
    found = {}
    for item in report["install"]:
        meta = item["metadata"]
        name, version = meta["name"].lower(), meta["version"]
        by_name = CU_NAME.search(name)
        if by_name and (name.startswith("nvidia-") or name.startswith("tensorrt")):
            found[name] = int(by_name[1])
        elif name.startswith("nvidia-") and name not in ("nvidia-ml-py",):
            found[name] = int(version.split(".")[0])   # nvidia-cuda-runtime 13.x: CUDA 13
        elif name == "cuda-python":
            found[name] = int(version.split(".")[0])
        elif name == "onnxruntime-gpu":
            extra = [r for r in meta.get("requires_dist", []) if 'extra == "cuda"' in r]
            majors = {int(m[1]) for r in extra for m in [CU_NAME.search(r.split(";")[0].split("~")[0])] if m}
            found[name] = majors.pop() if len(majors) == 1 else -1
    return found


def check(name: str, nvidia: bool) -> bool:
    path, left = prepared(name, nvidia)
    with tempfile.TemporaryDirectory() as work:
        report_path = Path(work) / "report.json"
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                               "--quiet", "--report", str(report_path), "-r", str(path)],
                              capture_output=True, text=True, env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
        path.unlink()
        if done.returncode != 0:
            print(f"{name}: pip could not resolve it: {done.stderr.strip().splitlines()[-1:]}")
            return False
        report = json.loads(report_path.read_text())
    majors = cuda_majors(report)
    packages = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in report["install"]}
    print(f"{name}: resolved {len(packages)} packages without conflict (pip {report['pip_version']}, "
          f"python {report['environment']['python_full_version']}, {report['environment']['platform_machine']})")
    for key in ("tensorflow", "onnxruntime-gpu", "cuda-python", "keras", "numpy", "protobuf"):
        if key in packages:
            print(f"  {key}=={packages[key]}")
    for package, major in sorted(majors.items()):
        print(f"  CUDA {major}: {package}=={packages[package]}")
    for line in left:
        print(f"  not resolved here ({NVIDIA_INDEX} unreachable): {line}")
    distinct = set(majors.values())
    print(f"{name}: CUDA major(s) {sorted(distinct)} -> {'ok' if len(distinct) == 1 else 'MIXED'}")
    return len(distinct) == 1


def main() -> int:
    nvidia = reachable(f"{NVIDIA_INDEX}/simple/")
    print(f"{NVIDIA_INDEX}: {'reachable' if nvidia else 'not reachable from here'}")
    results = [check(name, nvidia) for name in FILES]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
