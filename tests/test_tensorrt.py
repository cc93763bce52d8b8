"""TensorRT routes on a machine without them: the probes, their one-line messages, the inputs.

The probes ask the real stack (TensorFlow's build, ``import tensorrt``, the NVIDIA driver), so
on this CPU-only machine with TensorFlow 2.21 they must report what is missing; on a machine
that has a piece the matching check is skipped, never faked. Engine builds themselves need a
GPU and are not run here.
"""
from __future__ import annotations

import ctypes.util
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from conftest import color_model, run_cli
from stdc_tf.data.pipeline import read_image
from stdc_tf.export import ExportError
from stdc_tf.export.calibration import calibration_batches, spread
from stdc_tf.export.contract import ExportSpec
from stdc_tf.export.onnx import export_onnx
from stdc_tf.export.saved_model import export_saved_model
from stdc_tf.export.tensorrt import batch_profile, export_ort_tensorrt, export_tensorrt, inspect_onnx, spatial_size
from stdc_tf.export.tftrt import export_tftrt
from stdc_tf.models.layers import resize_like
from stdc_tf.runtime import ModelLoadError, load_predictor
from stdc_tf.runtime.tensorflow import SavedModelPredictor
from stdc_tf.runtime.tensorrt import (
    TensorRTUnavailable,
    is_tftrt_saved_model,
    missing_engine_runtime,
    missing_gpu,
    missing_tftrt,
)

TF_HAS_TENSORRT = tf.sysconfig.get_build_info().get("is_tensorrt_build", False)
TENSORRT_INSTALLED = importlib.util.find_spec("tensorrt") is not None
needs_tf_without_tensorrt = pytest.mark.skipif(TF_HAS_TENSORRT, reason="this TensorFlow has TF-TRT")
needs_no_tensorrt = pytest.mark.skipif(TENSORRT_INSTALLED, reason="tensorrt is installed here")


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory):
    return export_onnx(color_model(), tmp_path_factory.mktemp("onnx") / "color.onnx", ExportSpec()).path


# ---- TF-TRT ----

@needs_tf_without_tensorrt
def test_tftrt_probe_agrees_with_the_converter_itself(tmp_path):
    from tensorflow.python.compiler.tensorrt import trt_convert

    problem = missing_tftrt()
    assert problem == f"TensorFlow {tf.__version__} is built without TensorRT (TF-TRT ended with TF 2.17)"
    serving = export_saved_model(color_model(), tmp_path / "color", ExportSpec()).path
    with pytest.raises(RuntimeError, match="not been built with TensorRT"):   # what the probe spares users
        trt_convert.TrtGraphConverterV2(input_saved_model_dir=str(serving))


@needs_tf_without_tensorrt
def test_tftrt_conversion_stops_with_one_line_naming_both_ways_out(tmp_path):
    serving = export_saved_model(color_model(), tmp_path / "color", ExportSpec()).path
    with pytest.raises(TensorRTUnavailable) as err:
        export_tftrt(serving, tmp_path / "trt", ExportSpec((32, 48), precision="fp16"), batch_sizes=[1, 4])
    message = str(err.value)
    assert "\n" not in message and message.startswith("TF-TRT is not available: TensorFlow ")
    assert "pip install -r requirements-tensorrt.txt" in message and "--engine onnx" in message
    assert not (tmp_path / "trt").exists()


@needs_tf_without_tensorrt
def test_tensorrt_cli_reports_missing_stacks_in_one_line(tmp_path, onnx_model):
    color_model().save(tmp_path / "color.keras")
    result = run_cli("convert/to_tensorrt.py", "--engine", "tftrt", "--model", str(tmp_path / "color.keras"),
                     "--output", str(tmp_path / "trt"), "--input-size", "32x48")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: TF-TRT is not available") and "--engine onnx" in result.stderr
    assert not (tmp_path / "trt").exists()
    if not TENSORRT_INSTALLED:
        result = run_cli("convert/to_tensorrt.py", "--model", str(onnx_model), "--output",
                         str(tmp_path / "color.plan"), "--input-size", "32x48")
        assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
        assert "the tensorrt Python package is not installed" in result.stderr
        assert not (tmp_path / "color.plan").exists()


def test_tftrt_saved_models_are_told_apart_from_plain_ones(tmp_path):
    plain = export_saved_model(color_model(), tmp_path / "color", ExportSpec()).path
    assert not is_tftrt_saved_model(plain) and isinstance(load_predictor(plain), SavedModelPredictor)
    if TF_HAS_TENSORRT:
        return
    # a SavedModel graph with TensorRT engine ops: the routing and its message (the graph is
    # never parsed, the probe stops first; no TF-TRT SavedModel can be made on this TensorFlow)
    trt_dir = tmp_path / "tftrt"
    trt_dir.mkdir()
    (trt_dir / "saved_model.pb").write_bytes(b"\x0a\x0bTRTEngineOp")
    with pytest.raises(ModelLoadError) as err:
        load_predictor(trt_dir)
    assert str(err.value).startswith(f"cannot run TF-TRT SavedModel {trt_dir}: TensorFlow")
    assert "requirements-tensorrt.txt" in str(err.value) and "\n" not in str(err.value)


# ---- TensorRT engines and onnxruntime's TensorRT EP ----

@needs_no_tensorrt
def test_engine_runtime_probe_names_what_is_missing():
    expected = ["the tensorrt Python package is not installed"]
    if importlib.util.find_spec("cuda") is None:
        expected.append("cuda-python is not installed")
    if ctypes.util.find_library("cuda") is None:
        assert missing_gpu() == "no NVIDIA GPU driver (libcuda.so.1 not found)"
    if missing_gpu():
        expected.append(missing_gpu())
    assert missing_engine_runtime() == expected


@needs_no_tensorrt
def test_loading_an_engine_without_tensorrt_is_one_line(tmp_path):
    engine = tmp_path / "model.plan"
    engine.write_bytes(b"\0" * 64)
    with pytest.raises(ModelLoadError) as err:
        load_predictor(engine)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"TensorRT engine {engine} needs TensorRT and an NVIDIA GPU: "
                              f"the tensorrt Python package is not installed")
    assert "requirements-gpu.txt" in message and "tensorrt-cu12 10.x" in message and "cuda-python 12.x" in message


@needs_no_tensorrt
def test_engine_build_checks_its_inputs_then_the_stack(onnx_model, tmp_path):
    with pytest.raises(ExportError, match="takes any image size: give the size"):
        export_tensorrt(onnx_model, tmp_path / "m.plan", ExportSpec(precision="fp16"))
    with pytest.raises(ExportError, match="unknown precision 'int4'"):
        export_tensorrt(onnx_model, tmp_path / "m.plan", ExportSpec((32, 48), precision="int4"))
    with pytest.raises(TensorRTUnavailable, match="tensorrt Python package is not installed"):
        export_tensorrt(onnx_model, tmp_path / "m.plan", ExportSpec((32, 48), precision="fp16"))
    assert not list(tmp_path.iterdir())


def test_onnxruntime_tensorrt_route_needs_its_provider(onnx_model, tmp_path):
    import onnxruntime as ort

    with pytest.raises(ExportError, match="INT8 on the onnxruntime route needs an ONNX with Q"):
        export_ort_tensorrt(onnx_model, tmp_path / "ctx.onnx", ExportSpec((32, 48), precision="int8"))
    if "TensorrtExecutionProvider" in ort.get_available_providers() and not missing_gpu():
        pytest.skip("onnxruntime-gpu with TensorRT is installed: the route would build")
    with pytest.raises(TensorRTUnavailable, match=f"onnxruntime {ort.__version__} has no "
                                                  f"TensorrtExecutionProvider"):
        export_ort_tensorrt(onnx_model, tmp_path / "ctx.onnx", ExportSpec((32, 48), precision="fp16"))
    assert not (tmp_path / "ctx.onnx").exists()


def test_onnx_inputs_profiles_and_explicit_quantization(onnx_model, tmp_path):
    from onnx import TensorProto, helper, numpy_helper, save

    spec = inspect_onnx(onnx_model)
    assert (spec.name, spec.dtype, spec.height, spec.width) == ("image", np.uint8, None, None)
    assert not spec.explicit_quantization and spec.metadata["num_classes"] == "3"
    assert spatial_size(spec, (32, 48)) == (32, 48)
    assert batch_profile([4, 1, 8]) == (1, 8, 8) and batch_profile([1, 8], opt_batch=4) == (1, 4, 8)
    with pytest.raises(ExportError, match="optimal batch 16 is outside the profile's 1..8"):
        batch_profile([1, 8], opt_batch=16)

    qdq = helper.make_graph(   # what a QAT export holds: Q/DQ pairs, no calibrator needed
        [helper.make_node("QuantizeLinear", ["image", "s", "z"], ["q"]),
         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["logits"])], "qdq",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 32, 48, 3])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 32, 48, 3])],
        [numpy_helper.from_array(np.float32(0.02), "s"), numpy_helper.from_array(np.int8(0), "z")])
    save(helper.make_model(qdq, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "q.onnx"))
    spec = inspect_onnx(tmp_path / "q.onnx")
    assert spec.explicit_quantization and (spec.height, spec.width) == (32, 48)
    with pytest.raises(ExportError, match="takes 32x48 images; --input-size 64x64 disagrees"):
        spatial_size(spec, (64, 64))


# ---- calibration images from the data pipeline ----

def test_calibration_batches_are_evaluation_images_spread_over_the_split(color_data):
    subset = spread(color_data, 3)
    assert [s.image.name for s in subset.samples] == [color_data.samples[i].image.name for i in (0, 2, 5)]
    size = (18, 28)   # 32x48 → 18x28 samples across block edges: bilinear blends, nearest would not
    batches = list(calibration_batches(color_data, 3, size, batch_size=2))
    assert [b.shape for b in batches] == [(2, *size, 3)] * 2 and batches[0].dtype == np.uint8
    expected = np.stack([np.round(resize_like(tf.cast(read_image(s.image)[None], tf.float32), size,
                                              "bilinear")[0].numpy()).astype(np.uint8) for s in subset.samples])
    assert set(np.unique(expected)) - {0, 255}   # the test can tell bilinear from nearest
    # every image of every batch; the last batch is padded with its final image
    np.testing.assert_array_equal(np.concatenate(batches), np.concatenate([expected, expected[-1:]]))
    with pytest.raises(ExportError, match="must be positive"):
        spread(color_data, 0)


# ---- issue 23: GPU libraries loaded the documented way, TF32 stated and off ----

def test_load_libraries_dlopens_each_library_and_leaves_out_what_does_not_load(tmp_path):
    import ctypes.util
    import shutil

    from stdc_tf.runtime.devices import load_libraries

    real = ctypes.util.find_library("z")
    source = next(p for p in (Path("/lib/x86_64-linux-gnu") / real, Path("/usr/lib/x86_64-linux-gnu") / real)
                  if p.is_file())
    shutil.copy(source, tmp_path / "libnvfake.so.1")
    (tmp_path / "libnvbroken.so.1").write_bytes(b"not an ELF file")
    assert load_libraries(tmp_path) == ["libnvfake.so.1"]
    assert load_libraries(tmp_path / "missing") == [] and load_libraries(None) == []


def test_preload_on_a_cpu_machine_loads_nothing_and_turns_tf32_off(monkeypatch):
    from stdc_tf.runtime import devices

    monkeypatch.delenv(devices.TF32_OVERRIDE, raising=False)
    devices.preload_gpu_libraries.cache_clear()
    try:
        assert devices.preload_gpu_libraries() == ()   # no tensorrt_libs, onnxruntime's CPU build
        assert os.environ[devices.TF32_OVERRIDE] == "0" and devices.tf32_state() == "off"
    finally:
        devices.preload_gpu_libraries.cache_clear()
    monkeypatch.setenv(devices.TF32_OVERRIDE, "1")
    assert devices.tf32_state() == "on"


def test_tf32_is_off_for_tensorflow_and_onnxruntime_cuda_and_stated(monkeypatch):
    import tensorflow as tf

    from stdc_tf.profiling.gpu import tf32
    from stdc_tf.runtime import devices
    from stdc_tf.runtime.onnx import _with_options
    from stdc_tf.runtime.tensorflow import KerasPredictor

    monkeypatch.setenv(devices.TF32_OVERRIDE, "0")
    assert _with_options(["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]) == [
        "TensorrtExecutionProvider", ("CUDAExecutionProvider", {"use_tf32": 0}), "CPUExecutionProvider"]
    before = tf.config.experimental.tensor_float_32_execution_enabled()
    try:
        devices.configure_tensorflow_gpu(tf)
        assert tf.config.experimental.tensor_float_32_execution_enabled() is False
        inputs = tf.keras.Input((8, 8, 3))
        assert tf32(KerasPredictor(tf.keras.Model(inputs, tf.keras.layers.Conv2D(2, 1)(inputs)))) == "off"
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(before)
    monkeypatch.setenv(devices.TF32_OVERRIDE, "1")
    assert _with_options(["CUDAExecutionProvider"]) == [("CUDAExecutionProvider", {"use_tf32": 1})]
