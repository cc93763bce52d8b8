"""TensorRT 10's ONNX import rules checked on the CPU (stdc_tf.export.tensorrt_rules) and the
exact UINT8(128) → INT8(0) Q/DQ rewrite (stdc_tf.export.qdq), on small hand-built ONNX graphs
that onnxruntime runs for real."""
from __future__ import annotations

import json
from importlib import resources

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from stdc_tf.export import ExportError
from stdc_tf.export.qdq import symmetric_int8_qdq
from stdc_tf.export.tensorrt_rules import check_tensorrt_onnx, operator_table, qdq_summary, tensorrt_violations

C_IN, C_OUT = 3, 4


def qdq_conv(zero_dtype=np.int8, zero_value=0, opset=17, weight_axis=0, weight_scale_len=C_OUT,
             act_scale_len=1, dims=("batch", 8, 8), extra_nodes=(), domain_ops=()) -> onnx.ModelProto:
    """image → Q → DQ → Conv(DQ(int8 weight)) → Relu, the shape every QAT conv has."""
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, (C_OUT, C_IN, 3, 3)).astype(np.int8)
    inits = [
        numpy_helper.from_array(np.full(act_scale_len, 0.05, np.float32).reshape(() if act_scale_len == 1
                                                                                else (act_scale_len,)), "a_scale"),
        numpy_helper.from_array(np.full(act_scale_len, zero_value, zero_dtype).reshape(
            () if act_scale_len == 1 else (act_scale_len,)), "a_zero"),
        numpy_helper.from_array(w, "w_int8"),
        numpy_helper.from_array(np.full(weight_scale_len, 0.01, np.float32), "w_scale"),
        numpy_helper.from_array(np.zeros(weight_scale_len, np.int8), "w_zero"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["image", "a_scale", "a_zero"], ["q"], name="in_q", axis=1),
        helper.make_node("DequantizeLinear", ["q", "a_scale", "a_zero"], ["dq"], name="in_dq", axis=1),
        helper.make_node("DequantizeLinear", ["w_int8", "w_scale", "w_zero"], ["w"], name="w_dq",
                         axis=weight_axis),
        helper.make_node("Conv", ["dq", "w"], ["conv"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["logits"], name="relu"),
        *extra_nodes, *domain_ops,
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [dims[0], C_IN, *dims[1:]])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", C_OUT, *dims[1:]])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"image": x})[0]


X = np.random.default_rng(1).standard_normal((2, C_IN, 8, 8)).astype(np.float32)


def test_a_symmetric_int8_qdq_conv_passes_and_runs():
    model = qdq_conv()
    onnx.checker.check_model(model)
    assert tensorrt_violations(model) == []
    check_tensorrt_onnx(model)   # no error
    assert run(model, X).shape == (2, C_OUT, 8, 8)
    assert qdq_summary(model) == {"qdq_nodes": 3, "refused": 0}


def test_uint8_and_nonzero_zero_points_are_refused_naming_the_node():
    found = tensorrt_violations(qdq_conv(zero_dtype=np.uint8, zero_value=127))
    assert "node 'in_q' (QuantizeLinear): zero point is UINT8; TensorRT takes INT8 (symmetric) only" in found
    assert any(line.startswith("node 'in_dq' (DequantizeLinear): zero point is not 0") for line in found)
    assert all("\n" not in line for line in found)
    found = tensorrt_violations(qdq_conv(zero_value=3))
    assert [line.split(":")[0] for line in found] == ["node 'in_q' (QuantizeLinear)",
                                                      "node 'in_dq' (DequantizeLinear)"]


def test_per_channel_rules_scale_shape_axis_and_activations():
    found = tensorrt_violations(qdq_conv(weight_scale_len=C_OUT - 1))
    assert any("node 'w_dq' (DequantizeLinear): scale shape (3,) != (4,), the weight's dimension 0" in f
               for f in found), found
    found = tensorrt_violations(qdq_conv(weight_axis=7, weight_scale_len=C_OUT))
    assert found == ["node 'w_dq' (DequantizeLinear): axis 7 out of range for a rank-4 weight"]
    found = tensorrt_violations(qdq_conv(weight_axis=1, weight_scale_len=C_IN))
    assert found == ["node 'w_dq' (DequantizeLinear): weight quantized along axis 1; TensorRT takes "
                     "per-output-channel weights along axis 0 for Conv"]
    found = tensorrt_violations(qdq_conv(act_scale_len=C_IN))
    assert any(f.startswith("node 'in_q' (QuantizeLinear): per-channel scale (3,) on an activation")
               for f in found), found


def test_missing_zero_point_and_bad_scale():
    model = qdq_conv()
    model.graph.node[0].input.pop()   # no zero point: ONNX means UINT8
    scale = model.graph.initializer[0]
    scale.CopyFrom(numpy_helper.from_array(np.array(0.0, np.float32), "a_scale"))
    found = tensorrt_violations(model)
    assert "node 'in_q' (QuantizeLinear): no zero point (ONNX then means UINT8); TensorRT needs an INT8 " \
           "zero point 0" in found
    assert "node 'in_dq' (DequantizeLinear): scale has zero, negative or non-finite values" in found


def test_opset_operators_domains_and_resize_modes():
    assert tensorrt_violations(qdq_conv(opset=21)) == ["model: ONNX opset 21 is outside TensorRT 10's range 9..20"]
    assert tensorrt_violations(qdq_conv(opset=13)) == []
    unique = helper.make_node("Unique", ["logits"], ["u"], name="uniq")
    custom = helper.make_node("MyPlugin", ["logits"], ["p"], name="plug", domain="com.example")
    cubic = helper.make_node("Resize", ["logits", "", "sizes"], ["r"], name="up", mode="cubic")
    model = qdq_conv(extra_nodes=[unique, cubic], domain_ops=[custom])
    found = tensorrt_violations(model)
    assert "node 'uniq' (Unique): op not in TensorRT 10's supported ONNX operators" in found
    assert "node 'plug' (MyPlugin): op of domain 'com.example' needs a TensorRT plugin" in found
    assert any(f.startswith("node 'up' (Resize): mode 'cubic' is not one TensorRT 10 supports") for f in found)
    nearest = helper.make_node("Resize", ["logits", "", "sizes"], ["r"], name="up", mode="nearest",
                               coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    assert tensorrt_violations(qdq_conv(extra_nodes=[nearest])) == []


def test_dynamic_dims_only_for_the_batch_unless_a_size_is_given():
    assert tensorrt_violations(qdq_conv(dims=("batch", 8, 8))) == []
    found = tensorrt_violations(qdq_conv(dims=("batch", "height", 8)))
    assert found == ["input 'image' (graph input): dimension 2 is dynamic (height); only the batch of the "
                     "image input is covered by an optimization profile, so export with a fixed input "
                     "size or give the size the profile is made for"]
    assert tensorrt_violations(qdq_conv(dims=("batch", "height", "width")), input_size=(8, 8)) == []
    assert tensorrt_violations(qdq_conv(dims=(2, 8, 8))) == []


def test_check_raises_one_line_listing_the_first_violations(tmp_path):
    model = qdq_conv(zero_dtype=np.uint8, zero_value=127, opset=21)
    path = tmp_path / "bad.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ExportError) as err:
        check_tensorrt_onnx(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: 5 TensorRT 10 import rule violation(s): model: ONNX opset 21")
    assert message.endswith("(+2 more)")
    with pytest.raises(FileNotFoundError, match="ONNX model not found"):
        tensorrt_violations(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"\x00\xffnot a protobuf" * 10)
    with pytest.raises(ExportError, match="not a readable ONNX model"):
        tensorrt_violations(tmp_path / "junk.onnx")


def test_uint8_128_qdq_becomes_int8_zero_exactly():
    model = qdq_conv(zero_dtype=np.uint8, zero_value=128)
    assert qdq_summary(model)["refused"] == 2
    before = run(model, X)
    assert symmetric_int8_qdq(model) == 2
    onnx.checker.check_model(model)
    np.testing.assert_array_equal(run(model, X), before)
    assert tensorrt_violations(model) == []
    assert {i.name for i in model.graph.initializer} == {"a_scale", "a_zero_int8", "w_int8", "w_scale", "w_zero"}
    asymmetric = qdq_conv(zero_dtype=np.uint8, zero_value=127)
    assert symmetric_int8_qdq(asymmetric) == 0   # no exact rewrite: left for the checker to report
    assert qdq_summary(asymmetric)["refused"] == 2


def test_operator_table_is_package_data_with_its_source():
    text = resources.files("stdc_tf.export").joinpath("tensorrt_onnx_ops.json").read_text(encoding="utf-8")
    table = json.loads(text)
    assert table == operator_table()
    assert "onnx/onnx-tensorrt" in table["source"] and "docs/operators.md" in table["source"]
    assert "10." in table["source"] and (table["opset_min"], table["opset_max"]) == (9, 20)
    used_by_stdc = {"Add", "AveragePool", "BatchNormalization", "Cast", "Concat", "Conv", "DequantizeLinear",
                    "Gather", "GlobalAveragePool", "Mul", "Pad", "QuantizeLinear", "Relu", "Reshape", "Resize",
                    "Shape", "Sigmoid", "Slice", "Transpose", "ArgMax"}
    assert used_by_stdc <= set(table["supported"])
    assert not set(table["supported"]) & set(table["unsupported"])
