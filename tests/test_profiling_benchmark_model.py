"""The benchmark_model output parser on every saved real-format sample (tests/data/benchmark_model)."""
from __future__ import annotations

import jsonschema
import pytest

from conftest import DATA
from stdc_tf.profiling import records as report_lib
from stdc_tf.profiling.benchmark_model import clean_line, parse, to_result, warnings_for
from stdc_tf.profiling.stats import LATENCY_FIELDS

SAMPLES = DATA / "benchmark_model"

N = None
# file: tool, init ms, first ms, warm-up and regular-run latency records (LATENCY_FIELDS order:
# count, mean, std, min, max, p5, p50, p90, p95, p99; µs in the count= lines, ms here), memory MB.
# Read off each sample by hand: the count= lines where there are some, else the ms block.
EXPECTED = {
    "interpreter_host_op_profiling.txt": (
        "interpreter", 61.884, 1712.391,
        (1, 1712.391, 0.0, 1712.391, 1712.391, N, N, N, N, N),
        (50, 1150.34, 29.798, 1107.568, 1289.954, N, N, N, N, N),
        {"init_delta": 41.2109, "overall_delta": 402.086}),
    "interpreter_android_xnnpack.txt": (
        "interpreter", 118.532, 231.245,
        (10, 181.438, 17.425, 170.355, 231.245, 170.355, 176.856, N, 231.245, N),
        (50, 175.35, 4.411, 169.938, 193.03, 170.372, 174.968, N, 185.711, N),
        {"init_delta": 98.0977, "overall_delta": 241.203, "peak": 262.418}),
    "interpreter_gpu_full.txt": (
        "interpreter", 2664.363, 58.14,
        (21, 25.5733, 7.496, 23.615, 58.14, 23.615, 23.981, N, 25.337, N),
        (50, 24.035, 0.441, 23.538, 26.03, 23.572, 23.968, N, 24.711, N),
        {"init_delta": 375.48, "overall_delta": 375.48, "peak": 391.77}),
    "interpreter_gpu_partial.txt": (
        "interpreter", 1894.11, 87.112,
        (9, 58.1474, 11.478, 51.629, 87.112, 51.629, 51.962, N, 87.112, N),
        (50, 51.7432, 3.716, 49.088, 68.61, 49.62, 50.891, N, 58.628, N),
        {"init_delta": 155.496, "overall_delta": 160.145}),
    "interpreter_nnapi_not_executed.txt": (
        "interpreter", 102.32, 670.083,
        (1, 670.083, 0.0, 670.083, 670.083, 670.083, 670.083, N, 670.083, N),
        (50, 599.438, 55.425, 502.355, 770.688, 502.674, 576.856, N, 713.207, N),
        {"init_delta": 98.0977, "overall_delta": 99.2031}),
    "interpreter_gpu_failed_ran_on_cpu.txt": (
        "interpreter", 731.95, 214.051,
        (3, 195.103, 13.467, 183.34, 214.051, 183.34, 187.918, N, 214.051, N),
        (50, 182.466, 3.642, 178.113, 199.87, 178.524, 181.749, N, 190.055, N),
        {"init_delta": 61.2031, "overall_delta": 188.469}),
    "interpreter_old_format.txt": (
        "interpreter", 38.467, 431.211,
        (2, 431.211, 0.0, 431.211, 431.211, N, N, N, N, N),   # count=2 curr=431211(all same)
        (50, 417.601, 9.123, 401.235, 448.109, N, N, N, N, N),
        {"init": 6.44141, "peak": 164.863}),
    "logcat_threadtime.txt": (
        "interpreter", 1611.02, 61.352,
        (18, 28.8156, 8.048, 26.637, 61.352, 26.637, 26.942, N, 61.352, N),
        (50, 27.0384, 0.512, 26.512, 29.344, 26.574, 26.912, N, 28.11, N),
        {"init_delta": 212.75, "overall_delta": 219.332}),
    "logcat_brief_apk.txt": (
        "interpreter", 48.21, 52.904,
        (12, 42.9342, 3.151, 41.233, 52.904, 41.233, 41.89, N, 52.904, N),
        (50, 41.7239, 0.703, 40.988, 45.017, 41.032, 41.601, N, 43.39, N),
        {"init_delta": 12.7344, "overall_delta": 58.9023}),
    "compiled_model_cpp_gpu.txt": (   # count= lines (µs) win over the rounded ms block
        "compiled_model", 1402.77, 48.12,
        (19, 26.9507, 5.022, 25.404, 48.117, 25.404, 25.702, N, 48.117, N),
        (50, 25.8113, 0.364, 25.377, 27.502, 25.421, 25.733, N, 26.58, N),
        {"overall": 377.71, "peak": 392.05}),
    "compiled_model_cpp_cpu_block_only.txt": (   # the ms block alone: no median, p5, p95
        "compiled_model", 95.41, 201.37,
        (4, 171.02, N, N, N, N, N, N, N, N),
        (50, 163.55, 2.41, 160.12, 170.93, N, N, N, N, N),
        {}),
    "compiled_model_python_tool.txt": (
        "compiled_model", 75.23, 18.82,
        (3, 20.5, N, N, N, N, N, N, N, N),
        (20, 19.87, 3.25, 14.11, 25.93, 14.8, 19.84, N, 24.51, N),
        {}),
}


def _record(values: tuple) -> dict:
    """A whole latency record: each number to 1e-9 (µs → ms divisions), ``None`` exactly."""
    return {k: None if v is None else pytest.approx(v, rel=1e-9) for k, v in zip(LATENCY_FIELDS, values, strict=True)}


def test_every_sample_has_an_expectation():
    files = {p.name for p in SAMPLES.glob("*.txt")}
    assert files == set(EXPECTED) | {"interpreter_gpu_benchmark_failed.txt"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_timing_record_is_read_whole_and_is_schema_valid(name):
    """Every field of the timing record (tool, init, first, the warm-up and the regular runs'
    whole latency records, memory) equals the sample's own numbers: p90/p99 are never invented,
    a dropped or moved field shows."""
    tool, init, first, warmup, latency, memory = EXPECTED[name]
    out = parse((SAMPLES / name).read_text())
    assert (out.tool, out.failed) == (tool, False)
    assert (out.init_ms, out.first_ms) == pytest.approx((init, first), rel=1e-9)
    assert out.warmup == _record(warmup) and out.latency == _record(latency)
    assert out.memory == pytest.approx(memory, rel=1e-9)
    entry = to_result(out, name, "m.tflite", {}, "xnnpack")
    assert entry["status"] == "ok"
    assert entry["latency_ms"] == out.latency and entry["warmup_ms"] == out.warmup
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
