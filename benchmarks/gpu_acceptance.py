"""GPU acceptance: every TensorRT route of the toolkit, built, checked and timed in one run.

On an NVIDIA machine with package access, from a fresh clone, in about 10 minutes:

  1. (``--install``) ``pip install -r requirements-gpu.txt`` (TensorRT 10, cuda-python 12,
     onnxruntime-gpu, NVML);
  2. STDC1-Seg50: a short float training on the synthetic data (trained weights make the checks
     meaningful), then a short QAT fine-tune with the ``tensorrt`` scheme;
  3. ONNX: plain, deploy (uint8 in, class map out) and the QAT Q/DQ file, the last one checked
     against TensorRT 10's import rules on the CPU;
  4. engines (``convert/to_tensorrt.py --engine onnx``): fp16 and int8 (calibrated) from the
     deploy ONNX, int8 (strongly typed) from the QAT Q/DQ ONNX — each once tuned for batch 1
     (``--opt-batch 1``) and once for batch 8, each checked against onnxruntime CPU on the same
     images by the builder's own check;
  5. timing: ``convert/profile_gpu.py --regions compute`` at batch 1 (the batch-1 engine) and 8.

Every step is a subprocess of the repository's command lines: it is logged, its exit status,
duration and last output line recorded, and the run goes on whatever it returned. One JSON
(``--output``) holds every step, every figure (engine sidecars, profiler reports), the GPU, the
driver and the package versions. Without a GPU (``--dry-run``, or simply no NVIDIA driver) the
GPU steps fail in one line each and the JSON is still written; the tests run it so, the QAT
fine-tune, its ONNX and the TensorRT rules check included.

    python benchmarks/gpu_acceptance.py --install --output gpu_acceptance.json
    python benchmarks/gpu_acceptance.py --dry-run --input-size 64x128 --output /tmp/acc.json
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from stdc_tf import cli  # noqa: E402  (stdlib-only modules; no TensorFlow import)
from stdc_tf.atomic import atomic_output  # noqa: E402

PACKAGES = ("tensorflow", "keras", "tf-keras", "tensorflow-model-optimization", "tf2onnx", "onnx",
            "onnxruntime", "onnxruntime-gpu", "tensorrt", "tensorrt-cu12", "tensorrt-cu12-libs",
            "cuda-python", "nvidia-ml-py", "numpy")
GPU_STEPS = ("engine", "profile")   # step-name prefixes that need an NVIDIA GPU and TensorRT


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:400] if lines else ""


class Run:
    """The steps done so far and the JSON they end up in."""

    def __init__(self, args: argparse.Namespace):
        self.args, self.steps, self.skip = args, [], set(args.skip)
        self.work = Path(args.work_dir)
        self.work.mkdir(parents=True, exist_ok=True)

    def step(self, name: str, command: list[str], timeout: float | None = None) -> bool:
        """Run one command line; record it; never raise. ``True`` when it exited 0."""
        record: dict[str, Any] = {"name": name, "command": " ".join(command)}
        if name in self.skip:
            record.update(status="skipped", returncode=None, seconds=0.0, message="skipped (--skip)")
            self.steps.append(record)
            log(f"{name}: skipped")
            return False
        log(f"{name}: {record['command']}")
        started = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                  timeout=timeout or self.args.step_timeout)
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            code, output = 124, f"timed out after {exc.timeout:.0f} s"
        except OSError as exc:
            code, output = 127, f"cannot start: {exc}"
        record.update(status="ok" if code == 0 else "failed", returncode=code,
                      seconds=round(time.perf_counter() - started, 2), message=last_line(output))
        (self.work / f"{name}.log").write_text(output, encoding="utf-8")
        self.steps.append(record)
        log(f"{name}: {record['status']} (exit {code}, {record['seconds']} s): {record['message']}")
        return code == 0


def environment() -> dict[str, Any]:
    """GPU, driver and package versions (NVML if installed, else nvidia-smi, else none)."""
    found: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                             "packages": {}}
    for name in PACKAGES:
        try:
            found["packages"][name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    try:
        import pynvml

        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        name = pynvml.nvmlDeviceGetName(handle)
        found["gpu"] = name.decode() if isinstance(name, bytes) else name
        driver = pynvml.nvmlSystemGetDriverVersion()
        found["driver"] = driver.decode() if isinstance(driver, bytes) else driver
        found["gpu_memory_mib"] = pynvml.nvmlDeviceGetMemoryInfo(handle).total // 2**20
        return found
    except Exception as exc:  # not installed, no driver, no GPU: try nvidia-smi
        found["nvml"] = f"unavailable: {type(exc).__name__}: {str(exc)[:200]}"
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "--query-gpu=name,driver_version,memory.total",
                                  "--format=csv,noheader"], capture_output=True, text=True, timeout=30)
            if out.returncode == 0 and out.stdout.strip():
                gpu, driver, memory = (part.strip() for part in out.stdout.splitlines()[0].split(","))
                found.update(gpu=gpu, driver=driver, gpu_memory=memory)
                return found
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
    found.update(gpu=None, driver=None)
    return found


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="gpu_acceptance.json", help="the JSON report")
    parser.add_argument("--work-dir", default="runs/gpu_acceptance", help="models, engines and step logs")
    parser.add_argument("--install", action="store_true", help="pip install -r requirements-gpu.txt first")
    parser.add_argument("--dry-run", action="store_true",
                        help="CPU only: tiny training, no install; the GPU steps fail in one line each")
    parser.add_argument("--input-size", default="512x1024", type=cli.input_size,
                        help="HxW of every model and engine, multiples of 32 (default: 512x1024)")
    parser.add_argument("--float-steps", type=int, default=200, help="float training iterations")
    parser.add_argument("--qat-steps", type=int, default=100, help="tensorrt-scheme QAT iterations")
    parser.add_argument("--calib-images", type=int, default=64, help="int8 calibration images")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per profile")
    parser.add_argument("--step-timeout", type=float, default=300, help="seconds one step may take")
    parser.add_argument("--skip", default="", type=lambda s: [x for x in s.split(",") if x],
                        help="comma-separated step names to leave out (recorded as skipped)")
    args = parser.parse_args(argv)
    h, w = args.input_size
    if h % 32 or w % 32:
        parser.error(f"--input-size {h}x{w}: expected multiples of 32 (e.g. 512x1024)")
    args.size = (h, w)
    if args.dry_run:
        args.float_steps, args.qat_steps = min(args.float_steps, 2), min(args.qat_steps, 2)
        args.calib_images, args.runs, args.install = min(args.calib_images, 4), min(args.runs, 5), False
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run, py, work = Run(args), sys.executable, Path(args.work_dir)
    h, w = args.size
    size = f"{h}x{w}"
    started = time.time()
    if args.install:
        run.step("install", [py, "-m", "pip", "install", "-r", "requirements-gpu.txt"], timeout=900)
        run.step("install_package", [py, "-m", "pip", "install", "--no-deps", "-e", "."], timeout=300)
    data = work / "synthetic"
    common = ["--dataset", "synthetic", "--data-root", str(data), "--synthetic-size", str(h), str(w),
              "--synthetic-counts", "32", "8", "--crop-size", str(h), str(w), "--scales", "1.0",
              "--batch-size", "2", "--eval-every", "0", "--eval-scales", "1.0", "--eval-limit", "4",
              "--log-every", "1", "--restart", "-q"]
    float_model, qat_model = work / "float" / "final.keras", work / "qat" / "final.h5"
    run.step("train_float", [py, "training/train.py", "--config", "configs/quickstart.yaml", *common,
                             "--iterations", str(args.float_steps), "--checkpoint-every", str(args.float_steps),
                             "--warmup-iters", "0", "--output-dir", str(work / "float")])
    run.step("train_qat", [py, "training/train.py", "--config", "configs/qat_quickstart.yaml", *common,
                           "--init", str(float_model), "--qat-scheme", "tensorrt",
                           "--iterations", str(args.qat_steps), "--checkpoint-every", str(args.qat_steps),
                           "--output-dir", str(work / "qat")])
    onnx = {"plain": work / "stdc1_seg50.onnx", "deploy": work / "stdc1_seg50_deploy.onnx",
            "qat": work / "stdc1_seg50_qat_qdq.onnx"}
    # the checks take the synthetic images the training made (random images if it was skipped)
    check = ["--check-images", "4", *(["--dataset", "synthetic", "--data-root", str(data)] if data.is_dir() else [])]
    run.step("onnx_plain", [py, "convert/to_onnx.py", "--model", str(float_model), "--output", str(onnx["plain"]),
                            "--input-size", size, *check])
    run.step("onnx_deploy", [py, "convert/to_onnx.py", "--model", str(float_model), "--output",
                             str(onnx["deploy"]), "--input-size", size, "--deploy", *check])
    # a dry run's models have seen a few steps: near-tied logits, so rounding flips more pixels
    # than the 98 % a trained QAT model is held to (to_onnx's default, kept for the real run)
    loose = ["--min-agreement", "0.5"] if args.dry_run else []
    run.step("onnx_qat", [py, "convert/to_onnx.py", "--model", str(qat_model), "--output", str(onnx["qat"]),
                          "--input-size", size, *check, *loose])
    run.step("tensorrt_rules_qat", [py, "convert/to_tensorrt.py", "--check-rules", "--model", str(onnx["qat"])])
    engines = {"fp16": (onnx["deploy"], ["--precision", "fp16"]),
               "int8": (onnx["deploy"], ["--precision", "int8", "--dataset", "synthetic", "--data-root", str(data),
                                         "--calib-images", str(args.calib_images)]),
               "qat_int8": (onnx["qat"], ["--precision", "int8"])}
    profiles: dict[str, Any] = {}
    sidecars: dict[str, Any] = {}
    for name, (source, options) in engines.items():
        for batch in (1, 8):
            plan = work / f"stdc1_seg50_{name}_b{batch}.plan"
            run.step(f"engine_{name}_b{batch}", [py, "convert/to_tensorrt.py", "--engine", "onnx", "--model",
                                                 str(source), "--output", str(plan), *options, "--batch", "1,8",
                                                 "--opt-batch", str(batch), "--timing-cache",
                                                 str(work / "timing.cache"), "--check-images", "4"])
            sidecars[f"{name}_b{batch}"] = read_json(plan.with_name(plan.name + ".json"))
            report = work / f"profile_{name}_b{batch}.json"
            run.step(f"profile_{name}_b{batch}", [py, "convert/profile_gpu.py", "--model", str(plan), "--batch",
                                                  str(batch), "--regions", "compute", "--runs", str(args.runs),
                                                  "--warmup", str(min(50, args.runs)), "--output", str(report)])
            profiles[f"{name}_b{batch}"] = read_json(report)
    result = {"script": "benchmarks/gpu_acceptance.py", "started": time.strftime("%Y-%m-%dT%H:%M:%S",
                                                                                 time.localtime(started)),
              "seconds": round(time.time() - started, 1), "dry_run": args.dry_run, "input_size": size,
              "environment": environment(), "steps": run.steps,
              "figures": {"engines": sidecars, "profiles": profiles},
              "failed": [s["name"] for s in run.steps if s["status"] == "failed"]}
    with atomic_output(Path(args.output)) as tmp:
        tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    log(f"wrote {args.output}: {len(run.steps)} steps, {len(result['failed'])} failed "
        f"({', '.join(result['failed']) or 'none'})")
    return 0 if args.dry_run or not result["failed"] else 1


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
