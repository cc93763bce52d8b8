"""On-device benchmarking over adb, against tests/fake_adb/adb (records calls, replays samples)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import DATA, ROOT, run_cli
from stdc_tf.errors import ConfigError
from stdc_tf.profiling import records as report_lib
from stdc_tf.profiling.adb import (
    AdbError,
    DeviceRun,
    big_core_mask,
    detect_tool,
    profile_adb,
    runs_for,
    tool_flags,
)

SAMPLES = DATA / "benchmark_model"
OUTPUTS = [["--use_gpu=true", "interpreter_gpu_partial.txt"],
           ["--use_cpu=true", "compiled_model_cpp_cpu_block_only.txt"],
           ["", "interpreter_android_xnnpack.txt"]]


@pytest.fixture
def phone(tmp_path, monkeypatch):
    """The fake adb first on PATH (with a python3 for its shebang), a fake phone folder, a log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", os.pathsep.join([str(ROOT / "tests" / "fake_adb"), str(bin_dir)]))
    env = {"FAKE_ADB_LOG": tmp_path / "adb.log", "FAKE_ADB_ROOT": tmp_path / "phone",
           "FAKE_ADB_DATA": SAMPLES, "FAKE_ADB_OUTPUTS": json.dumps(OUTPUTS)}
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    (tmp_path / "m.tflite").write_bytes(b"model")
    (tmp_path / "benchmark_model").write_bytes(b"binary")

    class Phone:
        model, binary, root = tmp_path / "m.tflite", tmp_path / "benchmark_model", tmp_path / "phone"

        @staticmethod
        def calls() -> list[list[str]]:
            return [json.loads(line) for line in env["FAKE_ADB_LOG"].read_text().splitlines()]
    return Phone


def test_push_run_pull_parse_sequence(phone):
    out = profile_adb(phone.model, phone.binary, threads=[1, 4], accelerators=["xnnpack", "gpu"],
                      warmup=5, runs=20)
    calls = phone.calls()
    verbs = [c[2] if c[0] == "-s" else c[0] for c in calls]
    assert verbs[:5] == ["devices", "shell", "shell", "push", "push"]
    assert calls[3][3:] == [str(phone.model), "/data/local/tmp/m.tflite"]
    assert calls[4][3:] == [str(phone.binary), "/data/local/tmp/benchmark_model"]
    device_calls = [c for c in calls if c[0] == "-s"]
    runs = [c[3] for c in device_calls if c[2] == "shell" and "--graph=" in c[3]]
    pulls = [c for c in device_calls if c[2] == "pull"]
    assert len(runs) == len(pulls) == 3                   # xnnpack x2 threads, gpu once
    assert all(r.startswith("taskset 1f0 /data/local/tmp/benchmark_model") for r in runs)
    assert "--num_threads=1 --warmup_runs=5 --num_runs=20 --use_xnnpack=true" in runs[0]
    assert "--num_threads=4" in runs[2] and "--use_gpu=true" in runs[2]
    assert all("--enable_op_profiling=true" in r for r in runs)
    assert calls[-1][3].startswith("rm -f /data/local/tmp/m.tflite")
    assert not any(phone.root.rglob("*.*"))               # nothing left on the phone

    jsonschema.validate(out, report_lib.REPORT_SCHEMA)
    assert out["device"] == {**out["device"], "kind": "android", "name": "Google Pixel 8",
                             "model": "Pixel 8", "platform": "zuma", "android": "15",
                             "abi": "arm64-v8a", "serial": "FAKE123"}
    xnnpack, _, gpu = out["results"]
    assert xnnpack["latency_ms"]["mean"] == pytest.approx(175.35)
    assert xnnpack["op_profile"][0]["op"] == "TfLiteXNNPackDelegate"
    assert xnnpack["config"] == {"tool": "interpreter", "accelerator": "xnnpack", "threads": 1,
                                 "cpu_mask": "1f0"}
    assert gpu["delegation"]["nodes_delegated"] == 71
    assert any(w.startswith("FLAG") and "71 of 79" in w for w in gpu["warnings"])


def test_compiled_model_tool_is_detected_and_gets_its_flags(phone, monkeypatch):
    monkeypatch.setenv("FAKE_ADB_TOOL", "compiled_model")
    out = profile_adb(phone.model, phone.binary, threads=[2], accelerators=["xnnpack", "nnapi"],
                      cpu_mask="")
    runs = [c[3] for c in phone.calls() if c[0] == "-s" and c[2] == "shell" and "--graph=" in c[3]]
    assert runs == ["/data/local/tmp/benchmark_model --graph=/data/local/tmp/m.tflite "
                    "--num_threads=2 --warmup_runs=10 --num_runs=50 --use_cpu=true "
                    "--use_profiler=true > /data/local/tmp/stdc_tf_bench_0.txt 2>&1; "
                    "echo stdc_tf_exit=$?"]
    cpu, nnapi = out["results"]
    assert cpu["latency_ms"]["mean"] == pytest.approx(163.55) and cpu["config"]["cpu_mask"] is None
    assert nnapi["status"] == "skipped" and "Interpreter tool" in nnapi["reason"]


@pytest.mark.parametrize("devices, serial, error, words", [
    ("", None, AdbError, "no Android device attached"),
    ("R58\tunauthorized", None, AdbError, r"R58 \(unauthorized\)"),
    ("A1\tdevice\nB2\tdevice", None, ConfigError, "--serial"),
    ("A1\tdevice", "B2", AdbError, "B2 is not attached")])
def test_device_problems_are_one_line_errors(phone, monkeypatch, devices, serial, error, words):
    monkeypatch.setenv("FAKE_ADB_DEVICES", devices)
    with pytest.raises(error, match=words):
        profile_adb(phone.model, phone.binary, serial=serial)
    assert not any(c[0] == "-s" and c[2] == "push" for c in phone.calls())


def test_missing_adb_and_no_device_through_the_cli(phone, tmp_path, monkeypatch):
    args = ["convert/profile_edge.py", "--model", str(phone.model), "--adb",
            "--benchmark-binary", str(phone.binary)]
    monkeypatch.setenv("FAKE_ADB_DEVICES", "")
    done = run_cli(*args)
    assert done.returncode == 1 and done.stderr.strip() == \
        "error: no Android device attached: adb devices lists none ready"
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))          # python3 only, no adb
    done = run_cli(*args)
    assert done.returncode == 1 and done.stderr.strip().startswith("error: adb not found on PATH")
    assert len(done.stderr.strip().splitlines()) == 1


def test_cli_runs_the_phone_sequence(phone, tmp_path):
    out = tmp_path / "phone.json"
    done = run_cli("convert/profile_edge.py", "--model", str(phone.model), "--adb",
                   "--benchmark-binary", str(phone.binary), "--threads", "4",
                   "--accelerators", "gpu", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "Google Pixel 8 (android)" in done.stdout and "FLAG" in done.stdout
    assert "FLAG: the GPU delegate took only 71 of 79" in done.stderr
    jsonschema.validate(json.loads(out.read_text()), report_lib.REPORT_SCHEMA)


def test_flags_masks_and_tool_detection():
    assert big_core_mask({0: 1704000, 1: 1704000, 4: 2367000, 8: 2910000}) == "110"
    assert big_core_mask({0: 1800000, 1: 1800000}) == "3"
    assert detect_tool((SAMPLES / "device" / "help_compiled_model.txt").read_text()) == \
        "compiled_model"
    assert detect_tool((SAMPLES / "device" / "help_interpreter.txt").read_text()) == "interpreter"
    assert runs_for(["xnnpack", "gpu"], [1, 4]) == [DeviceRun("xnnpack", 1), DeviceRun("xnnpack", 4),
                                                   DeviceRun("gpu", 4)]
    assert "--use_xnnpack=false" in tool_flags("interpreter", DeviceRun("cpu", 1), 1, 5, False)
    assert "NPU" in tool_flags("interpreter", DeviceRun("npu", 1), 1, 5, False)
    with pytest.raises(ConfigError, match="tpu"):
        runs_for(["tpu"], [1])


def test_fake_adb_is_executable():
    assert os.access(Path(ROOT / "tests" / "fake_adb" / "adb"), os.X_OK)


def test_host_benchmark_binary_adds_litert_op_profile(tmp_path):
    """A benchmark_model for this machine: its op profile comes back summed by op type."""
    from stdc_tf.profiling.adb import profile_with_binary

    binary = tmp_path / "benchmark_model"
    binary.write_text("#!/bin/sh\n"
                      f'echo "$@" >> {tmp_path / "args.txt"}\n'
                      f'if [ "$1" = --help ]; then cat {SAMPLES / "device" / "help_interpreter.txt"}; '
                      f'else cat {SAMPLES / "interpreter_host_op_profiling.txt"}; fi\n')
    binary.chmod(0o755)
    model = tmp_path / "m.tflite"
    model.write_bytes(b"model")
    (entry,) = profile_with_binary(binary, model, [2], warmup=3, runs=7)
    args = (tmp_path / "args.txt").read_text().splitlines()
    assert args == ["--help", f"--graph={model} --num_threads=2 --warmup_runs=3 --num_runs=7 "
                    "--use_xnnpack=true --report_peak_memory_footprint=true "
                    "--enable_op_profiling=true"]
    assert entry["name"] == "benchmark_model interpreter xnnpack threads=2"
    assert entry["op_profile"][0] == {"op": "CONV_2D", "count": 38, "avg_ms": 905.413,
                                      "percent": 78.712}
