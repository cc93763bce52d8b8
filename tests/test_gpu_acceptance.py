"""The GPU acceptance script's CPU dry run: every step logs and records its exit status, the CPU
steps (QAT fine-tune, QAT Q/DQ ONNX with to_onnx's defaults, TensorRT rules) pass, each GPU step
fails in one line, and the JSON is still written (benchmarks/gpu_acceptance.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_acceptance.py"


def test_dry_run_writes_the_report_with_every_gpu_step_failed_in_one_line(tmp_path):
    from stdc_tf.models import build_model
    from stdc_tf.models.io import save_keras

    work = tmp_path / "work"
    # a real (untrained) STDC1-Seg50 stands in for the float training, which the test leaves out
    save_keras(build_model("stdc1_seg50", num_classes=19, input_shape=(64, 128, 3)), work / "float" / "final.keras")
    report = tmp_path / "acceptance.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "--input-size", "64x128", "--work-dir", str(work),
         "--output", str(report), "--skip", "train_float,onnx_plain"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(report.read_text())
    steps = {s["name"]: s for s in result["steps"]}
    for name in ("onnx_deploy", "train_qat", "onnx_qat", "tensorrt_rules_qat"):   # the CPU steps really ran
        assert steps[name]["status"] == "ok", steps[name]
    assert steps["tensorrt_rules_qat"]["message"].endswith("stdc1_seg50_qat_qdq.onnx: TensorRT 10 import rules: ok")
    assert (work / "stdc1_seg50_deploy.onnx").is_file()
    assert steps["train_float"]["status"] == "skipped" and steps["train_float"]["returncode"] is None
    gpu = [s for name, s in steps.items() if name.startswith(("engine_", "profile_"))]
    assert len(gpu) == 12   # fp16, int8, qat_int8 x tuned for batch 1 / 8, each built and timed
    for step in gpu:
        assert step["status"] == "failed" and step["returncode"] not in (0, None), step
        assert step["message"] and "\n" not in step["message"], step
        assert (work / f"{step['name']}.log").is_file()
    assert "--opt-batch 1" in steps["engine_fp16_b1"]["command"]
    assert "--precision int8" in steps["engine_qat_int8_b1"]["command"]
    assert "--regions compute" in steps["profile_int8_b8"]["command"]
    assert set(result["failed"]) == {s["name"] for s in gpu}
    env = result["environment"]
    assert env["packages"]["onnxruntime"] and "python" in env and "driver" in env
    assert result["dry_run"] is True and result["input_size"] == "64x128"


def test_the_requirements_check_reads_one_cuda_major_per_package_and_sees_a_mix():
    """benchmarks/gpu_requirements_check.py on pip reports shaped as pip writes them: onnxruntime-gpu
    1.31's [cuda] extra is CUDA 13 (the mix of issue 23), 1.26.0's is CUDA 12."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from gpu_requirements_check import cuda_majors

    def item(name: str, version: str, requires: tuple[str, ...] = ()) -> dict:
        return {"metadata": {"name": name, "version": version, "requires_dist": list(requires)}}

    def ort(version: str, cu: int) -> dict:
        return item("onnxruntime-gpu", version, ("numpy>=1.21.6",
                                                 f'nvidia-cuda-runtime-cu{cu}~={cu}.0; extra == "cuda"',
                                                 f'nvidia-cudnn-cu{cu}~=9.0; extra == "cudnn"'))
    base = [item("nvidia-cublas-cu12", "12.9.3.13"), item("tensorrt-cu12", "10.16.1.11"),
            item("cuda-python", "12.9.10"), item("nvidia-ml-py", "12.575.51"), item("numpy", "2.4.6")]
    assert cuda_majors({"install": [*base, ort("1.26.0", 12)]}) == {
        "nvidia-cublas-cu12": 12, "tensorrt-cu12": 12, "cuda-python": 12, "onnxruntime-gpu": 12}
    mixed = cuda_majors({"install": [*base, ort("1.31.1", 13), item("nvidia-cuda-runtime", "13.0.96")]})
    assert mixed["onnxruntime-gpu"] == 13 and mixed["nvidia-cuda-runtime"] == 13
    assert set(mixed.values()) == {12, 13}
