"""onnxruntime's static int8 ONNX (:func:`stdc_tf.export.onnx.quantize_int8`, issue 17): QDQ with
int8 per-channel weights and uint8 activations, calibrated from a dataset split, checked against
Keras, with the same metadata; opened, evaluated and timed through its Predictor. Real tf2onnx,
real onnxruntime, a real (random-weight) STDC1-Seg50 at 64x128.
"""
from __future__ import annotations

import numpy as np
import onnx
import pytest

from conftest import run_cli
from stdc_tf.errors import ConfigError
from stdc_tf.export.contract import ExportSpec
from stdc_tf.export.onnx import export_onnx
from stdc_tf.runtime import load_predictor

SIZE = (64, 128)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from stdc_tf.data import load_dataset

    root = tmp_path_factory.mktemp("synthetic")
    return {"root": root, **{split: load_dataset("synthetic", root, split, num_train=3, num_val=2,
                                                 height=SIZE[0], width=SIZE[1])
                             for split in ("train", "val")}}


@pytest.fixture(scope="module")
def stdc():
    import keras

    from stdc_tf.models import build_model

    keras.utils.set_random_seed(0)
    return build_model("stdc1_seg50", num_classes=5, input_shape=(None, None, 3))


@pytest.fixture(scope="module")
def int8(stdc, synthetic, tmp_path_factory):
    spec = ExportSpec(SIZE, "uint8", "classes", "int8", synthetic["train"], calibration_steps=3,
                      check=synthetic["val"], check_images=2)
    return export_onnx(stdc, tmp_path_factory.mktemp("onnx") / "int8.onnx", spec)


def test_int8_file_is_qdq_with_per_channel_int8_weights_and_uint8_activations(int8):
    proto = onnx.load(str(int8.path))
    inits = {i.name: i for i in proto.graph.initializer}
    produced_by = {o: n for n in proto.graph.node for o in n.output}
    convs = [n for n in proto.graph.node if n.op_type == "Conv"]
    assert len(convs) >= 38
    for conv in convs:
        weight = produced_by[conv.input[1]]
        assert weight.op_type == "DequantizeLinear"
        q, scale = inits[weight.input[0]], onnx.numpy_helper.to_array(inits[weight.input[1]])
        assert q.data_type == onnx.TensorProto.INT8 and scale.shape == (q.dims[0],), conv.name
        activation = produced_by[conv.input[0]]
        assert activation.op_type == "DequantizeLinear", conv.name
        zero = inits.get(activation.input[2])
        assert zero is not None and zero.data_type == onnx.TensorProto.UINT8, conv.name
    assert int8.ops["QuantizeLinear"] >= 30


def test_int8_file_agrees_with_keras_and_carries_the_contract(int8):
    assert int8.check is not None and int8.check.images == 2
    assert int8.check.class_agreement >= 0.75   # random weights: small margins between logits
    assert int8.metadata == {"num_classes": "5", "input": "uint8 RGB, normalized in the graph",
                             "output": "classes", "precision": "int8"}
    predictor = load_predictor(int8.path, provider="cpu", threads=1)
    assert predictor.input_size == SIZE and predictor.output_kind == "classes"
    assert predictor.name.endswith("threads=1") and predictor.options()["threads"] == 1
    assert predictor.io.input_dtype == np.uint8
    assert predictor.predict(np.zeros((1, *SIZE, 3), np.uint8)).shape == (1, *SIZE)
    output = onnx.load(str(int8.path)).graph.output[0]
    assert output.type.tensor_type.elem_type == onnx.TensorProto.UINT8   # the class map contract


def test_int8_file_is_timed_and_evaluated_through_its_predictor(int8, synthetic):
    from stdc_tf.evaluation.evaluator import evaluate
    from stdc_tf.profiling.gpu import profile_gpu

    report = profile_gpu([int8.path], warmup=1, runs=2, regions=("compute",), providers=("cpu",))
    timed = [e for e in report["results"] if e["status"] == "ok"]
    assert timed and report["device"]["isa_features"], report["results"]
    predictor = load_predictor(int8.path, provider="cpu", threads=1)
    result = evaluate(predictor, synthetic["val"], progress=False)
    assert result.num_images == 2 and result.hist.sum() > 0


def test_int8_needs_calibration_and_a_fixed_size(stdc):
    from stdc_tf.export.onnx import convert_onnx

    with pytest.raises(ConfigError, match="needs calibration images"):
        convert_onnx(stdc, ExportSpec(SIZE, precision="int8"))
    with pytest.raises(ConfigError, match="fixed input size"):
        convert_onnx(stdc, ExportSpec(None, precision="int8", calibration=[np.zeros((*SIZE, 3))]))


def test_cli_writes_an_int8_file_from_a_dataset(stdc, synthetic, tmp_path):
    from stdc_tf.models.io import save_keras

    model = save_keras(stdc, tmp_path / "m.keras")
    root = synthetic["root"]
    proc = run_cli("convert/to_onnx.py", "--model", str(model), "--output", str(tmp_path / "q.onnx"),
                   "--input-size", "64x128", "--deploy", "--precision", "int8", "--dataset", "synthetic",
                   "--data-root", str(root), "--calibration-images", "2", "--check-images", "1")
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert "onnx int8" in proc.stdout and "class agreement" in proc.stdout
    bad = run_cli("convert/to_onnx.py", "--model", str(model), "--output", str(tmp_path / "r.onnx"),
                  "--input-size", "64x128", "--precision", "int8")
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert "--dataset" in bad.stderr


def test_deployment_report_has_an_onnx_int8_row(stdc, synthetic, tmp_path):
    from stdc_tf.deployment_report.artifacts import (
        ARTIFACTS,
        DESCRIPTIONS,
        Artifact,
        Context,
        ReportSettings,
        run_one,
    )
    from stdc_tf.models.io import save_keras

    assert "onnx-int8" in ARTIFACTS and "onnx-int8" in DESCRIPTIONS
    settings = ReportSettings(include=("onnx-int8",), input_size=SIZE, calibration_steps=2, warmup=1,
                              runs=2, batches=(1,), progress=False)
    model_path = save_keras(stdc, tmp_path / "m.keras")
    ctx = Context(stdc, model_path, tmp_path, synthetic["val"], synthetic["train"], settings)
    record = Artifact("onnx-int8")
    run_one(ctx, record, [])
    assert record.status == "ok", (record.stage, record.reason)
    assert record.path.name == "m_int8.onnx" and record.ops["QuantizeLinear"] >= 30
    assert record.check["class_agreement"] > 0.5 and record.evaluation["mIoU"] is not None
    assert any(e["status"] == "ok" for e in record.latency)
    assert record.timed_on["isa_features"] and record.timed_on["int8_path"]
    no_data = Artifact("onnx-int8")
    run_one(Context(stdc, model_path, tmp_path, synthetic["val"], None, settings), no_data, [])
    assert no_data.status == "skipped" and "calibration" in no_data.reason


def test_tensorrt_refuses_the_onnxruntime_int8_file_naming_the_right_route(int8, tmp_path, capsys):
    """Issue 23: uint8 asymmetric activations are for onnxruntime; both TensorRT routes say where
    TensorRT int8 comes from, in one line, before looking for TensorRT."""
    from stdc_tf.commands.to_tensorrt import main

    for engine, output in (("onnx", "m.plan"), ("ort", "m_ctx.onnx")):
        code = main(["--engine", engine, "--model", str(int8.path), "--output", str(tmp_path / output),
                     "--precision", "int8"])
        error = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and len(error) == 1, error
        assert error[0].endswith(f"error: {int8.path} is onnxruntime's int8 ONNX (uint8 asymmetric activations, "
                                 f"for onnxruntime only); for a TensorRT int8 engine build the float ONNX with "
                                 f"--precision int8 --dataset ... (calibrated), or a QAT export "
                                 f"(--qat-scheme tensorrt)"), error
    assert list(tmp_path.iterdir()) == []
