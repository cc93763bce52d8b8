"""The benchmark_model output parser on every saved real-format sample (tests/data/benchmark_model)."""
from __future__ import annotations

import jsonschema
import pytest

from conftest import DATA
from stdc_tf.profiling import records as report_lib
from stdc_tf.profiling.benchmark_model import clean_line, parse, to_result, warnings_for

SAMPLES = DATA / "benchmark_model"

# file: (tool, init ms, first ms, runs, mean ms, p50 ms, warm-up runs, peak/overall MB)
EXPECTED = {
    "interpreter_host_op_profiling.txt": ("interpreter", 61.884, 1712.391, 50, 1150.34, None, 1, None),
    "interpreter_android_xnnpack.txt": ("interpreter", 118.532, 231.245, 50, 175.35, 174.968, 10,
                                        262.418),
    "interpreter_gpu_full.txt": ("interpreter", 2664.363, 58.14, 50, 24.035, 23.968, 21, 391.77),
    "interpreter_gpu_partial.txt": ("interpreter", 1894.11, 87.112, 50, 51.7432, 50.891, 9, None),
    "interpreter_nnapi_not_executed.txt": ("interpreter", 102.32, 670.083, 50, 599.438, 576.856, 1,
                                           None),
    "interpreter_gpu_failed_ran_on_cpu.txt": ("interpreter", 731.95, 214.051, 50, 182.466, 181.749,
                                              3, None),
    "interpreter_old_format.txt": ("interpreter", 38.467, 431.211, 50, 417.601, None, 2, 164.863),
    "logcat_threadtime.txt": ("interpreter", 1611.02, 61.352, 50, 27.0384, 26.912, 18, None),
    "logcat_brief_apk.txt": ("interpreter", 48.21, 52.904, 50, 41.7239, 41.601, 12, None),
    "compiled_model_cpp_gpu.txt": ("compiled_model", 1402.77, 48.12, 50, 25.8113, 25.733, 19,
                                   392.05),
    "compiled_model_cpp_cpu_block_only.txt": ("compiled_model", 95.41, 201.37, 50, 163.55, None, 4,
                                              None),
    "compiled_model_python_tool.txt": ("compiled_model", None, None, 20, None, None, 3, None),
}


def test_every_sample_has_an_expectation():
    files = {p.name for p in SAMPLES.glob("*.txt")}
    assert files == set(EXPECTED) | {"interpreter_gpu_benchmark_failed.txt"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_timings_memory_and_schema(name):
    tool, init, first, runs, mean, p50, warm, peak = EXPECTED[name]
    out = parse((SAMPLES / name).read_text())
    assert out.tool == tool and not out.failed
    assert out.latency["count"] == runs and out.warmup["count"] == warm
    if init is not None:                   # the Python tool's sample was measured here: any value
        assert out.init_ms == pytest.approx(init) and out.first_ms == pytest.approx(first)
        assert out.latency["mean"] == pytest.approx(mean)
    else:
        assert out.init_ms > 0 and out.first_ms > 0 and out.latency["p50"] > 0
    if p50 is not None:
        assert out.latency["p50"] == pytest.approx(p50)
    assert out.latency["p90"] is None and out.latency["p99"] is None   # never invented
    if peak is not None:
        assert out.memory["peak"] == pytest.approx(peak)
    entry = to_result(out, name, "m.tflite", {}, "xnnpack")
    assert entry["status"] == "ok"
    jsonschema.validate(entry, report_lib.REPORT_SCHEMA["properties"]["results"]["items"])


def test_scientific_notation_and_all_same():
    host = parse((SAMPLES / "interpreter_host_op_profiling.txt").read_text())
    assert host.latency["mean"] == pytest.approx(1150.34)            # avg=1.15034e+06 us
    assert host.warmup == {**host.warmup, "count": 1, "min": 1712.391, "max": 1712.391, "std": 0.0}
    old = parse((SAMPLES / "interpreter_old_format.txt").read_text())
    assert old.warmup["mean"] == old.warmup["max"] == pytest.approx(431.211)   # (all same)
    assert old.memory == {"init": pytest.approx(6.44141), "peak": pytest.approx(164.863)}


def test_memory_line_variants():
    delta = parse((SAMPLES / "interpreter_android_xnnpack.txt").read_text()).memory
    assert delta == {"init_delta": pytest.approx(98.0977), "overall_delta": pytest.approx(241.203),
                     "peak": pytest.approx(262.418)}
    block = parse((SAMPLES / "compiled_model_cpp_gpu.txt").read_text()).memory
    assert block == {"overall": pytest.approx(377.71), "peak": pytest.approx(392.05)}


def test_op_profile_is_the_regular_runs_summary_by_node_type():
    host = parse((SAMPLES / "interpreter_host_op_profiling.txt").read_text()).op_profile
    assert [row["op"] for row in host][:3] == ["CONV_2D", "DEPTHWISE_CONV_2D", "CONCATENATION"]
    assert len(host) == 11 and "AllocateTensors" not in {row["op"] for row in host}
    assert host[0] == {"op": "CONV_2D", "count": 38, "avg_ms": 905.413, "percent": 78.712}
    assert sum(row["percent"] for row in host) == pytest.approx(100.0, abs=0.01)
    phone = parse((SAMPLES / "interpreter_android_xnnpack.txt").read_text()).op_profile
    assert phone == [{"op": "TfLiteXNNPackDelegate", "count": 4, "avg_ms": 168.981, "percent": 96.456},
                     {"op": "RESIZE_NEAREST_NEIGHBOR", "count": 3, "avg_ms": 6.208, "percent": 3.544}]


@pytest.mark.parametrize("name, delegated, total, partitions", [
    ("interpreter_gpu_full.txt", 73, 73, 1),
    ("interpreter_gpu_partial.txt", 71, 79, 3),
    ("logcat_threadtime.txt", 72, 73, 2),
    ("compiled_model_cpp_gpu.txt", 72, 73, 2)])
def test_gpu_delegation_is_read_and_partial_is_flagged(name, delegated, total, partitions):
    out = parse((SAMPLES / name).read_text())
    entry = to_result(out, name, "m.tflite", {}, "gpu")
    assert entry["delegation"]["nodes_delegated"] == delegated
    assert entry["delegation"]["nodes_total"] == total
    assert entry["delegation"]["partitions"] == partitions
    flags = [w for w in entry["warnings"] if w.startswith("FLAG")]
    if delegated == total:
        assert entry["warnings"] == []
    else:
        assert len(flags) == 1 and f"only {delegated} of {total}" in flags[0]
        assert entry["delegation"]["unsupported_ops"][0].startswith("ARG_MAX:")


def test_silent_cpu_fallbacks_are_flagged():
    nnapi = parse((SAMPLES / "interpreter_nnapi_not_executed.txt").read_text())
    assert any("took none of the graph" in w for w in warnings_for(nnapi, "nnapi"))
    failed = parse((SAMPLES / "interpreter_gpu_failed_ran_on_cpu.txt").read_text())
    assert any("CPU timings" in w for w in warnings_for(failed, "gpu"))
    plain = parse((SAMPLES / "interpreter_old_format.txt").read_text())
    assert any("no GPU delegate line" in w for w in warnings_for(plain, "gpu"))
    assert warnings_for(plain, "xnnpack") == []


def test_failed_benchmark_is_a_failed_entry_with_the_first_error():
    out = parse((SAMPLES / "interpreter_gpu_benchmark_failed.txt").read_text())
    assert out.failed and out.latency is None
    entry = to_result(out, "gpu", "m.tflite", {}, "gpu")
    assert entry["status"] == "failed" and entry["reason"].startswith("TfLiteGpuDelegate Init:")


@pytest.mark.parametrize("raw, level, message", [
    ("INFO: count=50 first=1", "INFO", "count=50 first=1"),
    ("11-25 20:01:02.341  4321  4350 E tflite  : ARG_MAX: x", "ERROR", "ARG_MAX: x"),
    ("I/tflite  ( 9876): Initialized session in 48.21ms.", "INFO", "Initialized session in 48.21ms."),
    ("I/tflite: count=3 curr=5", "INFO", "count=3 curr=5"),
    ("INFO: [benchmark_litert_model.h:62] Model initialization: 1.5 ms", "INFO",
     "Model initialization: 1.5 ms"),
    ("2026-11-25 20:04:47 INFO benchmark_litert_model: Fully accelerated: False", "INFO",
     "Fully accelerated: False"),
    ("VERBOSE: Replacing 1 out of 2 node(s)", "VERBOSE", "Replacing 1 out of 2 node(s)"),
    ("count=1 curr=3512391", "", "count=1 curr=3512391")])
def test_clean_line_strips_every_prefix(raw, level, message):
    assert clean_line(raw) == (level, message)
