"""Host LiteRT profiler on a real .tflite (ai_edge_litert): report, XNNPACK partitions, CLI."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import jsonschema
import pytest

from conftest import ROOT, color_model, run_cli
from stdc_tf.profiling import records as report_lib
from stdc_tf.profiling.edge import compatibility, host_threads, profile_edge

SIZE = (16, 24)


@pytest.fixture(scope="module")
def tflite(tmp_path_factory):
    """CONV_2D (XNNPACK takes it) followed by ARG_MAX (XNNPACK does not)."""
    from stdc_tf.export.contract import AS_IS
    from stdc_tf.export.tflite import export_tflite

    path = tmp_path_factory.mktemp("edge") / "argmax.tflite"
    return export_tflite(color_model((*SIZE, 3), argmax=True), path, AS_IS).path


@pytest.fixture(scope="module")
def edge_report(tflite):
    return profile_edge(tflite, threads=[1, 2], warmup=2, runs=5)


def test_report_covers_both_apis_xnnpack_on_and_off(edge_report, tflite):
    jsonschema.validate(edge_report, report_lib.REPORT_SCHEMA)
    ok = {e["name"]: e for e in edge_report["results"] if e["status"] == "ok"}
    expected = {f"{api} threads={t}" for t in (1, 2)
                for api in ("interpreter xnnpack", "interpreter none", "compiled_model cpu")}
    assert expected <= set(ok)
    for e in ok.values():
        assert e["init_ms"] > 0 and e["first_inference_ms"] > 0
        assert e["latency_ms"]["count"] == 5 and e["latency_ms"]["p99"] >= e["latency_ms"]["p50"]
        assert e["peak_memory_mb"]["host"] > 0 and e["timed_region"].startswith("invoke only")
    assert edge_report["models"][0]["input_size"] == list(SIZE)
    assert edge_report["protocol"]["threads"] == [1, 2]
    # the GPU accelerator is there or it says why not
    gpu = [e for e in edge_report["results"] if e["config"]["accelerator"] == "gpu"]
    assert len(gpu) == 1 and (gpu[0]["status"] == "ok" or "GPU" in gpu[0]["reason"])


def test_xnnpack_partition_names_the_op_it_left(edge_report):
    on = next(e for e in edge_report["results"] if e["name"] == "interpreter xnnpack threads=1")
    assert on["delegation"] == {"delegate": "xnnpack", "nodes_delegated": 1, "nodes_total": 2,
                                "partitions": 1, "applied": True, "unsupported_ops": ["ARG_MAX x1"]}
    assert any("ARG_MAX" in w for w in on["warnings"])
    off = next(e for e in edge_report["results"] if e["name"] == "interpreter none threads=1")
    assert off["delegation"] is None


def test_compatibility_lists_ops_with_xnnpack_and_gpu_columns(tflite):
    compat = compatibility(tflite)
    ops = {o["op"]: o for o in compat["ops"]}
    assert set(ops) == {"CONV_2D", "ARG_MAX"}
    assert ops["CONV_2D"]["xnnpack"] and not ops["ARG_MAX"]["xnnpack"]
    assert "GPU delegate" in compat["gpu_verdict"]


def test_cli_prints_tables_and_writes_json(tmp_path, tflite):
    out = tmp_path / "edge.json"
    done = run_cli("convert/profile_edge.py", "--model", str(tflite), "--threads", "1",
                   "--warmup", "1", "--runs", "3", "--no-gpu", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "XNNPACK" in done.stdout and "interpreter none threads=1" in done.stdout
    assert "DestroyAccelerator" not in done.stderr     # LiteRT's native log stays out
    jsonschema.validate(json.loads(out.read_text()), report_lib.REPORT_SCHEMA)
    # run_cli refused LiteRT's "INFO: [environment.cc…" lines above; -v shows them
    verbose = subprocess.run([sys.executable, "convert/profile_edge.py", "-v", "--model", str(tflite),
                              "--threads", "1", "--warmup", "0", "--runs", "1", "--no-gpu"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert verbose.returncode == 0, verbose.stderr[-2000:]
    assert "INFO: [environment.cc:36] Creating LiteRT environment with options" in verbose.stderr


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux CPU affinity")
def test_default_threads_are_clipped_to_the_cores_and_more_is_a_warning(caplog):
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})   # this process may use one core
    try:
        with caplog.at_level(logging.INFO, logger="stdc_tf.profiling.edge"):
            assert host_threads(None) == [1]
            assert host_threads([1, 2]) == [1, 2]
    finally:
        os.sched_setaffinity(0, cores)
    assert [r.getMessage() for r in caplog.records if r.name == "stdc_tf.profiling.edge"] == [
        "threads 1 (the default 1,2,4, clipped to the 1 core(s) here)",
        "--threads 2: more threads than the 1 core(s) here; those timings measure threads competing "
        "for cores"]


def test_cli_one_line_errors(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x00" * 64)
    for args, code, words in (
            (["--model", str(tmp_path / "none.tflite")], 1, "none.tflite"),
            (["--model", str(bad)], 1, "bad.tflite"),
            (["--model", str(bad), "--threads", "x"], 2, "--threads"),
            (["--model", str(bad), "--adb"], 2, "--benchmark-binary")):
        done = run_cli("convert/profile_edge.py", *args)
        assert done.returncode == code, (args, done.stderr)
        assert words in done.stderr and "Traceback" not in done.stderr


def test_litert_reason_is_its_first_error_line_not_a_warning_quoting_one():
    from stdc_tf.runtime.litert import native_reason

    lines = [   # LiteRT 2.x, CompiledModel with the GPU accelerator on a machine without a GPU
        "INFO: [environment.cc:36] Creating LiteRT environment with options",
        "WARNING: [compiler_plugin.cc:312] Failed to load plugin at: libLiteRtCompilerPlugin_IntelOpenvino.so "
        "with error: ERROR: [litert/compiler/plugin/compiler_plugin.cc:259]",
        "ERROR: [delegate_webgpu.cc:359] Failed to initialize WebGPU environment: INTERNAL: No adapters found",
        "E0000 00:00:1796655208.253860   28323 delegate_webgpu.cc:736] Failed to get or create delegate"]
    assert native_reason(lines) == "Failed to initialize WebGPU environment: INTERNAL: No adapters found"
    assert native_reason(lines[:2]) is None
