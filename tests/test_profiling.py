"""The GPU/host profiler on the CPU: Keras, SavedModel and ONNX reports, schema, statistics, CLI."""
from __future__ import annotations

import json
import time

import jsonschema
import pytest

from conftest import color_model, run_cli
from stdc_tf.profiling import records as report_lib
from stdc_tf.profiling.gpu import REGIONS, profile_gpu
from stdc_tf.profiling.stats import LATENCY_FIELDS, latency_stats, partial_stats, throughput
from stdc_tf.profiling.timing import time_runs

SIZE = (16, 24)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    """A .keras file, a SavedModel and an .onnx file of the same tiny model."""
    from stdc_tf.export.contract import AS_IS
    from stdc_tf.export.onnx import export_onnx
    from stdc_tf.export.saved_model import export_saved_model

    root = tmp_path_factory.mktemp("profiling")
    model = color_model()
    model.save(root / "m.keras")
    export_saved_model(model, root / "m_savedmodel", AS_IS)
    export_onnx(model, root / "m.onnx", AS_IS.with_(input_size=SIZE))
    return {"keras": root / "m.keras", "saved_model": root / "m_savedmodel",
            "onnxruntime": root / "m.onnx"}


@pytest.fixture(scope="module")
def cpu_report(artifacts):
    return profile_gpu(list(artifacts.values()), batches=[1, 2], warmup=2, runs=5,
                       input_size=SIZE, providers=["cpu", "cuda"])


def test_latency_stats_are_the_whole_record_of_a_known_sample():
    """Population std (2, not the sample std 2.138) and numpy's linear-interpolation percentiles
    (position (n-1)·q/100 of the sorted sample, as benchmark_model's), worked out by hand."""
    record = latency_stats([5.0, 9.0, 2.0, 4.0, 7.0, 4.0, 5.0, 4.0])   # sorted: 2 4 4 4 5 5 7 9
    assert record == pytest.approx({"count": 8, "mean": 5.0, "std": 2.0, "min": 2.0, "max": 9.0,
                                    "p5": 2.7, "p50": 4.5, "p90": 7.6, "p95": 8.3, "p99": 8.86}, rel=1e-12)
    assert type(record["count"]) is int and list(record) == list(LATENCY_FIELDS)
    assert latency_stats([3.0]) == {"count": 1, "mean": 3.0, "std": 0.0, "min": 3.0, "max": 3.0,
                                    "p5": 3.0, "p50": 3.0, "p90": 3.0, "p95": 3.0, "p99": 3.0}
    assert partial_stats(count=4, mean=2.5) == {"count": 4, "mean": 2.5, "std": None, "min": None, "max": None,
                                                "p5": None, "p50": None, "p90": None, "p95": None, "p99": None}
    assert throughput(4.0, batch=8) == {"fps": 250.0, "images_per_s": 2000.0}
    assert throughput(None, batch=1) == throughput(0.0, batch=1) == {"fps": None, "images_per_s": None}
    for bad in ([], [[1.0, 2.0]]):
        with pytest.raises(ValueError, match="at least one sample"):
            latency_stats(bad)
    with pytest.raises(ValueError, match="unknown latency fields: p42"):
        partial_stats(p42=1.0)


def test_time_runs_keeps_warmup_apart_and_times_with_the_device_clock_when_given():
    """The protocol every profiler shares: the warm-up calls are kept apart (the first one is the
    first inference), a device time a run returns is used as is, the host clock times a run that
    returns None, and Python's garbage collector is off during the timed runs only."""
    import gc

    device_ms, gc_on = iter([40.0, 7.0, 5.0, 3.0, 4.0]), []

    def run():
        gc_on.append(gc.isenabled())
        return next(device_ms)

    timings = time_runs(run, warmup=2, runs=3)
    assert (timings.first_ms, timings.warmup, timings.runs) == (40.0, [40.0, 7.0], [5.0, 3.0, 4.0])
    assert gc_on == [True, True, False, False, False] and gc.isenabled()
    assert timings.stats() == latency_stats([5.0, 3.0, 4.0])
    assert timings.warmup_stats() == latency_stats([40.0, 7.0])
    cold = time_runs(lambda: 2.0, warmup=0, runs=2)   # no warm-up: the first timed run is the first
    assert (cold.first_ms, cold.warmup, cold.runs, cold.warmup_stats()) == (2.0, [], [2.0, 2.0], None)
    host = time_runs(lambda: time.sleep(0.01), warmup=0, runs=2)
    assert all(10.0 <= ms < 1000.0 for ms in host.runs)
    for warmup, runs in ((0, 0), (-1, 1)):
        with pytest.raises(ValueError, match="need runs >= 1 and warmup >= 0"):
            time_runs(lambda: 1.0, warmup=warmup, runs=runs)


def test_report_is_valid_against_its_schema(cpu_report):
    jsonschema.validate(cpu_report, report_lib.REPORT_SCHEMA)
    json.loads(json.dumps(cpu_report))                # plain JSON types only
    broken = json.loads(json.dumps(cpu_report))
    del broken["results"][0]["latency_ms"]["p99"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, report_lib.REPORT_SCHEMA)
    broken = json.loads(json.dumps(cpu_report))
    broken["results"][0]["status"] = "ok"
    broken["results"][0]["latency_ms"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, report_lib.REPORT_SCHEMA)


def test_cpu_report_times_every_runtime_batch_and_region(cpu_report, artifacts):
    ok = [e for e in cpu_report["results"] if e["status"] == "ok"]
    timed = {(e["config"]["runtime"], e["batch"], e["config"]["region"]) for e in ok}
    assert timed == {(runtime, batch, region) for runtime in artifacts for batch in (1, 2)
                     for region in REGIONS}
    assert cpu_report["device"]["kind"] == "cpu"
    assert {m["runtime"] for m in cpu_report["models"]} == set(artifacts)
    for e in ok:
        stats = e["latency_ms"]
        assert stats["count"] == 5
        assert 0 < stats["min"] <= stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]
        assert e["images_per_s"] == pytest.approx(e["batch"] * 1000.0 / stats["mean"])
        assert e["timed_region"] == REGIONS[e["config"]["region"]]
        assert e["config"]["device"] == "cpu" and e["config"]["input_size"] == list(SIZE)
        assert e["peak_memory_mb"]["host"] > 0 and e["first_inference_ms"] > 0
    assert {"numpy", "onnxruntime", "keras"} <= set(cpu_report["libraries"])


def test_missing_execution_provider_is_skipped_with_its_reason(cpu_report):
    cuda = [e for e in cpu_report["results"] if "CUDAExecutionProvider" in e["name"]]
    assert len(cuda) == 1 and cuda[0]["status"] == "skipped"
    assert "CUDAExecutionProvider" in cuda[0]["reason"] and "onnxruntime" in cuda[0]["reason"]


def test_fixed_batch_model_skips_other_batches(tmp_path):
    path = tmp_path / "b1.keras"
    color_model((*SIZE, 3), batch_size=1).save(path)
    out = profile_gpu([path], batches=[1, 2], warmup=1, runs=2, regions=["copies"])
    by_batch = {e["batch"]: e for e in out["results"]}
    assert by_batch[1]["status"] == "ok"
    assert by_batch[2]["status"] == "skipped" and "fixed at 1" in by_batch[2]["reason"]


def test_unloadable_model_is_a_skipped_entry_and_others_still_run(tmp_path, artifacts):
    engine = tmp_path / "m.plan"
    engine.write_bytes(b"not an engine")
    out = profile_gpu([engine, artifacts["onnxruntime"]], warmup=1, runs=2, input_size=SIZE,
                      regions=["copies"], providers=["cpu"])
    first, second = out["results"]
    assert first["status"] == "skipped" and str(engine) in first["model"] and first["reason"]
    assert second["status"] == "ok"


def test_table_lists_every_entry(cpu_report):
    table = report_lib.format_table(cpu_report)
    lines = table.splitlines()
    assert lines[0].startswith("device: ") and "p99 ms" in lines[1] and "img/s" in lines[1]
    assert len(lines) == 2 + len(cpu_report["results"])
    assert "skipped: onnxruntime" in table


def test_cli_writes_report_and_rejects_bad_options(tmp_path, artifacts):
    out = tmp_path / "p.json"
    done = run_cli("convert/profile_gpu.py", "--model", str(artifacts["onnxruntime"]),
                   "--batch", "1", "--warmup", "1", "--runs", "3", "--input-size", "16x24",
                   "--providers", "cpu", "--regions", "compute", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "onnxruntime CPUExecutionProvider" in done.stdout
    jsonschema.validate(json.loads(out.read_text()), report_lib.REPORT_SCHEMA)
    bad = run_cli("convert/profile_gpu.py", "--model", "x.onnx", "--batch", "0")
    assert bad.returncode == 2 and "--batch" in bad.stderr and "Traceback" not in bad.stderr
    bad = run_cli("convert/profile_gpu.py", "--model", "x.onnx", "--regions", "gpu-only")
    assert bad.returncode == 2 and "gpu-only" in bad.stderr
    missing = run_cli("convert/profile_gpu.py", "--model", str(tmp_path / "none.onnx"))
    assert missing.returncode == 1 and "none.onnx" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) <= 2 and "Traceback" not in missing.stderr
