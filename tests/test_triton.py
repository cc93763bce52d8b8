"""Triton model repository: every generated config.pbtxt is parsed into Triton's own ModelConfig.

``tritonclient``'s generated ``model_config_pb2`` is the schema Triton itself loads configs with;
a wrong field name, type or enum fails the parse. The engine case uses a sidecar written by the
same code the engine builder uses (:func:`write_sidecar`), since no engine can be built here.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import text_format

from conftest import color_model, run_cli
from stdc_tf.export import ExportError
from stdc_tf.export.contract import ExportSpec
from stdc_tf.export.onnx import export_onnx
from stdc_tf.export.saved_model import export_saved_model
from stdc_tf.export.triton import validate_config, write_triton_model
from stdc_tf.runtime.tensorrt import EngineInfo, write_sidecar

model_config_pb2 = pytest.importorskip("tritonclient.grpc.model_config_pb2",
                                       reason="tritonclient is a test dependency (tritonclient==2.69.0)")


def parse(model_dir: Path):
    return text_format.Parse((model_dir / "config.pbtxt").read_text(), model_config_pb2.ModelConfig())


def data_type(name: str) -> int:
    return model_config_pb2.DataType.Value(name)


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory):
    return export_onnx(color_model(), tmp_path_factory.mktemp("onnx") / "color.onnx", ExportSpec((32, 48))).path


def test_onnx_model_with_the_tensorrt_accelerator(onnx_model, tmp_path):
    model_dir = write_triton_model(onnx_model, tmp_path / "repo", "stdc", max_batch_size=8,
                                   preferred_batch_sizes=[4, 8], tensorrt_precision="fp16",
                                   trt_cache_path="/cache/stdc")
    config = parse(model_dir)
    assert (config.name, config.platform, config.max_batch_size) == ("stdc", "onnxruntime_onnx", 8)
    (image,), (classes,) = config.input, config.output
    assert (image.name, image.data_type, list(image.dims)) == ("image", data_type("TYPE_UINT8"), [32, 48, 3])
    assert (classes.name, classes.data_type) == ("classes", data_type("TYPE_UINT8"))
    assert list(config.dynamic_batching.preferred_batch_size) == [4, 8]
    assert config.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_GPU
    (accelerator,) = config.optimization.execution_accelerators.gpu_execution_accelerator
    assert accelerator.name == "tensorrt"
    assert dict(accelerator.parameters) == {
        "precision_mode": "FP16", "max_workspace_size_bytes": "1073741824",
        "trt_engine_cache_enable": "1", "trt_engine_cache_path": "/cache/stdc",
        # one engine for every batch the dynamic batcher forms, tuned for the preferred one
        "trt_profile_min_shapes": "image:1x32x48x3", "trt_profile_opt_shapes": "image:8x32x48x3",
        "trt_profile_max_shapes": "image:8x32x48x3"}
    assert (model_dir / "1" / "model.onnx").read_bytes() == onnx_model.read_bytes()
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "config.pbtxt"]


def test_serving_saved_model(tmp_path):
    served = export_saved_model(color_model(), tmp_path / "served", ExportSpec(), version=1,
                                probabilities=True).path
    model_dir = write_triton_model(served, tmp_path / "repo", "color_tf", version=3, device="cpu")
    config = parse(model_dir)
    assert config.platform == "tensorflow_savedmodel" and not config.HasField("optimization")
    assert [(o.name, o.data_type, list(o.dims)) for o in config.output] == [
        ("classes", data_type("TYPE_UINT8"), [-1, -1]),
        ("probabilities", data_type("TYPE_FP32"), [-1, -1, 3])]
    assert config.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_CPU
    assert (model_dir / "3" / "model.savedmodel" / "saved_model.pb").is_file()


def test_tensorrt_plan_from_its_sidecar(tmp_path):
    engine = tmp_path / "color.plan"
    engine.write_bytes(b"engine bytes")   # copied, never parsed, by the generator
    write_sidecar(engine, EngineInfo(
        "10.16.1.11", "fp16", "weak", {"name": "image", "dtype": "uint8", "shape": [-1, 32, 48, 3]},
        [{"name": "classes", "dtype": "uint8", "shape": [-1, 32, 48]}], [32, 48],
        {"min": 1, "opt": 8, "max": 8}, num_classes=3))
    config = parse(write_triton_model(engine, tmp_path / "repo", max_batch_size=8))
    assert (config.name, config.platform) == ("color", "tensorrt_plan")
    assert list(config.output[0].dims) == [32, 48]
    assert (tmp_path / "repo" / "color" / "1" / "model.plan").read_bytes() == b"engine bytes"
    with pytest.raises(ExportError, match="max_batch_size 16 exceeds the engine's profile"):
        write_triton_model(engine, tmp_path / "repo2", max_batch_size=16)
    with pytest.raises(ExportError, match="runs on a GPU only"):
        write_triton_model(engine, tmp_path / "repo2", device="cpu")
    write_sidecar(engine, EngineInfo(
        "10.16.1.11", "fp16", "weak", {"name": "image", "dtype": "uint8", "shape": [-1, 32, 48, 3]},
        [{"name": "classes", "dtype": "uint8", "shape": [-1, 32, 48]}], [32, 48],
        {"min": 2, "opt": 8, "max": 8}, num_classes=3))
    with pytest.raises(ExportError, match="profile starts at batch 2, but Triton sends batches from 1"):
        write_triton_model(engine, tmp_path / "repo2", max_batch_size=8)
    engine.with_name("color.plan.json").unlink()
    with pytest.raises(ExportError, match="has no sidecar color.plan.json"):
        write_triton_model(engine, tmp_path / "repo2")
    assert not (tmp_path / "repo2").exists()


def test_bad_requests_and_bad_configs_are_refused(onnx_model, tmp_path):
    with pytest.raises(ExportError, match="preferred batch sizes \\[16\\] must lie in 1..8"):
        write_triton_model(onnx_model, tmp_path, preferred_batch_sizes=[16])
    with pytest.raises(ExportError, match="model name 'a/b'"):
        write_triton_model(onnx_model, tmp_path, "a/b")
    with pytest.raises(ExportError, match="TensorRT accelerator applies to ONNX models on a GPU"):
        write_triton_model(onnx_model, tmp_path, device="cpu", tensorrt_precision="fp16")
    with pytest.raises(FileNotFoundError, match="model not found"):
        write_triton_model(tmp_path / "missing.onnx", tmp_path)
    with pytest.raises(ExportError, match="no QuantizeLinear/DequantizeLinear nodes: the TensorRT accelerator"):
        write_triton_model(onnx_model, tmp_path, tensorrt_precision="int8")   # no INT8 engine would come
    (tmp_path / "text.onnx").write_text("not a model")
    with pytest.raises(ExportError, match="text.onnx is not a readable ONNX model"):
        write_triton_model(tmp_path / "text.onnx", tmp_path)
    assert validate_config('name: "ok" max_batch_size: 4', "ok")
    with pytest.raises(ExportError, match="Triton would reject the config for bad"):
        validate_config('name: "bad" max_batch_sizes: 4', "bad")


def test_triton_cli_prints_the_config_it_wrote(onnx_model, tmp_path):
    result = run_cli("convert/to_triton.py", "--model", str(onnx_model), "--repository",
                     str(tmp_path), "--name", "stdc", "--tensorrt", "fp16", "--max-batch", "4")
    assert result.returncode == 0, result.stderr
    printed = text_format.Parse(result.stdout, model_config_pb2.ModelConfig())
    assert printed == parse(tmp_path / "stdc") and printed.max_batch_size == 4
    result = run_cli("convert/to_triton.py", "--model", str(onnx_model), "--repository",
                     str(tmp_path), "--max-batch", "0")
    assert result.returncode == 2 and "--max-batch: expected a positive number" in result.stderr
