"""The GPU acceptance script's CPU dry run: every step logs and records its exit status, each GPU
step fails in one line, and the JSON is still written (benchmarks/gpu_acceptance.py)."""
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
    # a real (untrained) STDC1-Seg50 stands in for the training steps, which the test leaves out
    save_keras(build_model("stdc1_seg50", num_classes=19, input_shape=(64, 128, 3)), work / "float" / "final.keras")
    report = tmp_path / "acceptance.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "--input-size", "64x128", "--work-dir", str(work),
         "--output", str(report), "--skip", "train_float,train_qat,onnx_plain,onnx_qat,tensorrt_rules_qat"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(report.read_text())
    steps = {s["name"]: s for s in result["steps"]}
    assert steps["onnx_deploy"]["status"] == "ok", steps["onnx_deploy"]   # the CPU export really ran
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
