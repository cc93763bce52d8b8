"""The deployment report (:mod:`stdc_tf.deployment_report`, `convert/deployment_report.py`) on a tiny STDC1-Seg.

One run of the command with real exporters, the real evaluator and the real profilers (a phone
through tests/fake_adb); the JSON is then checked against the components themselves: each
requested artifact is there or skipped/failed with a reason, and its numbers are what the
evaluator and the profiler give for its file.
"""
from __future__ import annotations

import json
import os
import sys

import jsonschema
import pytest

from conftest import DATA, ROOT
from stdc_tf.commands.deployment_report import main

SIZE = (64, 128)
INCLUDE = ["keras", "fp32", "int8", "qat", "onnx", "savedmodel", "tftrt", "trt"]
SCORED = ["keras", "fp32", "int8", "onnx", "savedmodel"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The command's exit status, its report and the paths it used."""
    import keras

    from stdc_tf.data import load_dataset
    from stdc_tf.models import build_model
    from stdc_tf.models.io import save_keras

    tmp = tmp_path_factory.mktemp("report")
    keras.utils.set_random_seed(0)
    save_keras(build_model("stdc1_seg50", num_classes=19, input_shape=(*SIZE, 3)), tmp / "tiny.keras")
    for split in ("train", "val"):
        load_dataset("synthetic", tmp / "data", split, num_train=2, num_val=2, height=SIZE[0], width=SIZE[1])
    (tmp / "broken_qat.h5").write_text("not an HDF5 file")   # the forced failure of one artifact
    (tmp / "benchmark_model").write_bytes(b"binary")
    (tmp / "bin").mkdir()
    (tmp / "bin" / "python3").symlink_to(sys.executable)   # the fake adb's shebang
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PATH", os.pathsep.join([str(ROOT / "tests" / "fake_adb"), str(tmp / "bin"),
                                            os.environ["PATH"]]))
        for key, value in {"FAKE_ADB_LOG": tmp / "adb.log", "FAKE_ADB_ROOT": tmp / "phone",
                           "FAKE_ADB_DATA": DATA / "benchmark_model",
                           "FAKE_ADB_OUTPUTS": json.dumps([["", "interpreter_android_xnnpack.txt"]])}.items():
            env.setenv(key, str(value))
        status = main(["--model", str(tmp / "tiny.keras"), "--qat-model", str(tmp / "broken_qat.h5"),
                       "--data-root", str(tmp / "data"), "--input-size", "64x128",
                       "--include", ",".join(INCLUDE), "--calibration-steps", "2", "--threads", "1",
                       "--warmup", "1", "--runs", "3", "--adb", str(tmp / "benchmark_model"),
                       "--accelerators", "xnnpack", "--output", str(tmp / "out"), "--quiet"])
    out = tmp / "out"
    report = json.loads((out / "report.json").read_text())
    return {"status": status, "report": report, "out": out, "data": tmp / "data",
            "by_name": {a["name"]: a for a in report["artifacts"]}}


def test_every_requested_artifact_is_there_built_skipped_or_failed_with_its_reason(run):
    from stdc_tf.runtime.tensorrt import missing_engine_runtime, missing_tftrt

    by_name = run["by_name"]
    assert list(by_name) == INCLUDE
    for name in SCORED:
        assert by_name[name]["status"] == "ok", by_name[name]["reason"]
    qat = by_name["qat"]   # its failure cost the others nothing, and the exit status says so
    assert qat["status"] == "failed" and qat["stage"] == "build" and "broken_qat.h5" in qat["reason"]
    assert run["status"] == 1
    for name, missing in (("tftrt", missing_tftrt()), ("trt", missing_engine_runtime())):
        if missing:
            assert by_name[name]["status"] == "skipped" and "TensorRT" in by_name[name]["reason"]
    assert run["report"]["reference"] == "fp32"


def test_scores_are_the_evaluators_own_for_the_written_files(run):
    from stdc_tf.data import load_dataset
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.runtime import load_predictor

    val = load_dataset("synthetic", run["data"], "val")
    by_name = run["by_name"]
    for name in ("int8", "onnx"):
        entry = by_name[name]
        summary = evaluate(load_predictor(run["out"] / entry["path"]), val, progress=False).summary
        assert entry["mIoU"] == summary["mIoU"]
        assert entry["evaluation"]["per_class_iou"] == summary["per_class_iou"]
        assert entry["delta_mIoU"] == entry["mIoU"] - by_name["fp32"]["mIoU"]
        deltas = entry["per_class_iou_delta"]
        assert [c["class"] for c in entry["classes_worth_a_look"]] == sorted(
            (n for n, d in deltas.items() if d is not None and abs(d) >= 0.01), key=lambda n: -abs(deltas[n]))


def test_latency_size_and_ops_are_the_profilers_and_the_files_own(run):
    from stdc_tf.profiling.records import REPORT_SCHEMA
    from stdc_tf.runtime.flatbuffer import read_graph

    entry_schema = REPORT_SCHEMA["properties"]["results"]["items"]
    for name in SCORED:
        entry = run["by_name"][name]
        for result in entry["profile"]:
            jsonschema.validate(result, entry_schema)
        ok = [r for r in entry["profile"] if r["status"] == "ok"]
        fastest = min(ok, key=lambda r: r["latency_ms"]["p50"])
        assert entry["latency"]["configuration"] == fastest["name"]
        assert (entry["latency"]["p50_ms"], entry["latency"]["p90_ms"]) == \
            (fastest["latency_ms"]["p50"], fastest["latency_ms"]["p90"])
    int8 = run["by_name"]["int8"]
    path = run["out"] / int8["path"]
    assert int8["size_bytes"] == path.stat().st_size
    assert int8["ops"] == read_graph(path).op_counts()
    assert {r["config"]["threads"] for r in int8["profile"]} == {1}
    phone = int8["phone"]   # timed on the (fake) phone too: the adb profiler's own report
    assert phone["tool"] == "profile_edge --adb" and phone["results"][0]["status"] == "ok"
    assert run["by_name"]["onnx"]["phone"] is None


def test_pareto_front_holds_exactly_the_undominated_artifacts_fastest_first(run):
    scored = [a for a in run["report"]["artifacts"] if a["mIoU"] is not None and a["latency"]]

    def point(a):
        return a["latency"]["p50_ms"], -a["mIoU"]   # smaller is better in both

    def beaten(a):
        return any(point(b) != point(a) and all(x <= y for x, y in zip(point(b), point(a))) for b in scored)

    front = run["report"]["pareto_front"]
    assert front and set(front) == {a["name"] for a in scored if not beaten(a)}
    assert front == sorted(front, key=lambda n: run["by_name"][n]["latency"]["p50_ms"])


def test_markdown_and_figures_show_every_artifact(run):
    from PIL import Image

    out, markdown = run["out"], (run["out"] / "report.md").read_text()
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    for name in INCLUDE:
        assert any(row.startswith((f"| {name} |", f"| **{name}** |")) for row in rows), name
    assert "skipped: TF-TRT is not available" in markdown and "failed at build:" in markdown
    assert run["by_name"]["int8"]["phone"]["device"]["name"] in markdown   # the phone's rows
    with Image.open(out / "pareto.png") as pareto:
        assert pareto.format == "PNG"
    with Image.open(out / "examples.png") as examples:   # a column per image (2), a row per scored file
        assert examples.width == round(100 * (1.3 + 2.6 * 2))
        assert examples.height > round(100 * 2.6 * 0.5 * (2 + len(SCORED)))   # and the class legend
    assert not [p.name for p in out.rglob("*.tmp*")]   # every file was renamed into place


def test_close_markers_get_their_labels_fanned_out_and_lone_ones_the_default():
    from stdc_tf.deployment_report.figures import label_offsets

    # onnx, fp32 and fp16 within 1 % of each other; int8 far away
    points = [(10.0, 70.0), (10.1, 70.05), (50.0, 60.0), (10.05, 69.95)]
    assert label_offsets(points) == [(28.0, 0.0), (28.0, 14.0), (6.0, 8.0), (28.0, -14.0)]
    assert label_offsets([(1.0, 2.0)]) == [(6.0, 8.0)] and label_offsets([]) == []


def test_examples_have_a_row_per_artifact_and_a_legend_of_the_classes_present(tmp_path):
    import numpy as np
    from PIL import Image

    from stdc_tf.data.labels import CITYSCAPES
    from stdc_tf.deployment_report.artifacts import Artifact
    from stdc_tf.deployment_report.figures import plot_examples

    image = np.zeros((1, 8, 16, 3), np.uint8)
    label = np.full((1, 8, 16), 255, np.uint8)
    label[0, :4] = 0                                   # road
    records = [Artifact("fp32", evaluation={"mIoU": 0.5}), Artifact("int8", evaluation={"mIoU": 0.4})]
    records[0].examples = [np.full((8, 16), 13, np.uint8)] * 3          # car
    records[1].examples = [np.full((8, 16), 10, np.uint8)] * 3          # sky
    names = plot_examples(records, [(image, label)] * 3, CITYSCAPES, tmp_path / "examples.png")
    assert names == ["road", "sky", "car"]
    with Image.open(tmp_path / "examples.png") as png:
        assert png.width == round(100 * (1.3 + 2.6 * 3))   # three images fit a page's width


def test_bad_options_are_one_line_usage_errors(tmp_path, capsys):
    common = ["--model", str(tmp_path / "m.keras"), "--output", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as exited:   # argparse's own usage error
        main([*common, "--include", "fp32,tflite"])
    assert exited.value.code == 2 and "'tflite' is not one of" in capsys.readouterr().err
    assert main([*common, "--include", "fp32", "--qat-model", "q.h5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--qat-model is given but --include has no qat" in err
    (tmp_path / "m.keras").write_bytes(b"PK")
    (tmp_path / "float.keras").write_bytes(b"PK")
    assert main([*common, "--qat-model", str(tmp_path / "float.keras")]) == 2   # before any stage
    assert capsys.readouterr().err.split(": error: ", 1)[1] == (
        f"--qat-model {tmp_path / 'float.keras'} is a float .keras model: "
        f"precision qat takes the QAT trainer's .h5 (a float model converts to int8 with calibration)\n")
    assert main(["--model", str(tmp_path / "float.keras"), "--output", str(tmp_path / "out"),
                 "--qat-model", str(tmp_path / "m.keras"), "--include", "qat"]) == 2
    assert "--qat-model" in capsys.readouterr().err
    (tmp_path / "q.h5").write_bytes(b"\x89HDF")
    assert main(["--model", str(tmp_path / "q.h5"), "--output", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.split(": error: ", 1)[1] == (
        f"--model {tmp_path / 'q.h5'} is a quantization-aware (QAT) .h5 model: convert it with "
        f"precision qat\n")
    (tmp_path / "m.keras").unlink()
    assert main(common) == 1   # a missing model: one line naming it, nothing written
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "m.keras" in err and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_sigint_in_the_first_stage_stops_with_130_and_keeps_the_report(tmp_path):
    """SIGINT while the fp32 file converts: exit 130, one line, the report says "interrupted".
    The command is started as a script's background job is (SIGINT ignored at start, where
    Python raises no KeyboardInterrupt by itself), and the signal lands inside the converter's
    native code (where a KeyboardInterrupt used to surface as an unrelated KeyError)."""
    import signal
    import subprocess
    import time

    import keras

    from stdc_tf.data import load_dataset
    from stdc_tf.models import build_model
    from stdc_tf.models.io import save_keras

    keras.utils.set_random_seed(0)
    save_keras(build_model("stdc1_seg50", num_classes=19, input_shape=(*SIZE, 3)), tmp_path / "m.keras")
    for split in ("train", "val"):
        load_dataset("synthetic", tmp_path / "data", split, num_train=2, num_val=2, height=SIZE[0], width=SIZE[1])
    err = tmp_path / "err.txt"
    with err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "convert/deployment_report.py", "--model", str(tmp_path / "m.keras"),
             "--data-root", str(tmp_path / "data"), "--input-size", "64x128", "--include", "fp32,fp16",
             "--threads", "1", "--warmup", "1", "--runs", "2", "--output", str(tmp_path / "out")],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        end = time.time() + 240
        while "report on" not in err.read_text():
            assert proc.poll() is None and time.time() < end, err.read_text()[-2000:]
            time.sleep(0.1)
        time.sleep(1.5)   # the fp32 conversion is running
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130, err.read_text()[-2000:]
    text = err.read_text()
    assert text.rstrip().splitlines()[-1] == "interrupted" and "Traceback" not in text
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert {a["name"]: a["reason"] for a in report["artifacts"]}["fp32"] == "interrupted"


def test_the_model_is_read_once_and_its_own_size_is_the_default(run, tmp_path, monkeypatch):
    """Without --input-size the size comes from the model the report loads anyway: one read of
    the .keras file for the size, the Keras row and every export."""
    from stdc_tf.models import io

    model, reads, read = run["data"].parent / "tiny.keras", [], io.load_keras
    monkeypatch.setattr(io, "load_keras", lambda path, *a, **k: reads.append(path) or read(path, *a, **k))
    assert main(["--model", str(model), "--data-root", str(run["data"]), "--include", "keras", "--threads", "1",
                 "--warmup", "0", "--runs", "1", "--examples", "1", "--output", str(tmp_path / "out"),
                 "--quiet"]) == 0
    assert reads == [model]
    assert json.loads((tmp_path / "out" / "report.json").read_text())["model"]["input_size"] == list(SIZE)
