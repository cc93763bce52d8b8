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
from stdc_tf.export.tensorrt_rules import (
    check_tensorrt_onnx,
    operator_table,
    qdq_summary,
    tensorrt_violations,
    tensorrt_warnings,
)

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


def run(model: onnx.ModelProto, x: np.ndarray, name: str = "image") -> np.ndarray:
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {name: x})[0]


def run_x(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    return run(model, x, "x")


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


def test_missing_zero_point_means_int8_and_a_bad_scale_is_refused():
    model = qdq_conv()
    model.graph.node[0].input.pop()   # onnxOpImporters.cpp: no zero point, TensorRT defaults to INT8
    model.graph.node[1].input.pop()
    assert tensorrt_violations(model) == []
    scale = model.graph.initializer[0]
    scale.CopyFrom(numpy_helper.from_array(np.array(0.0, np.float32), "a_scale"))
    assert tensorrt_violations(model) == [
        "node 'in_q' (QuantizeLinear): scale has zero, negative or non-finite values",
        "node 'in_dq' (DequantizeLinear): scale has zero, negative or non-finite values"]


def test_scale_and_zero_point_are_compared_by_element_count_not_shape():
    model = qdq_conv()   # 0-D scale; make the zero point a 1-D scalar: TensorRT takes it
    model.graph.initializer[1].CopyFrom(numpy_helper.from_array(np.zeros(1, np.int8), "a_zero"))
    assert tensorrt_violations(model) == []
    assert run(model, X).shape == (2, C_OUT, 8, 8)
    model.graph.initializer[1].CopyFrom(numpy_helper.from_array(np.zeros(2, np.int8), "a_zero"))
    assert tensorrt_violations(model) == [
        "node 'in_q' (QuantizeLinear): zero point has 2 values and scale 1",
        "node 'in_dq' (DequantizeLinear): zero point has 2 values and scale 1"]


def test_a_size_one_scale_of_any_rank_is_per_tensor_and_a_multi_dim_one_blocks():
    model = qdq_conv()
    model.graph.initializer[3].CopyFrom(numpy_helper.from_array(np.full((1, 1, 1, 1), 0.01, np.float32), "w_scale"))
    model.graph.initializer[4].CopyFrom(numpy_helper.from_array(np.zeros((1, 1, 1, 1), np.int8), "w_zero"))
    assert tensorrt_violations(model) == []
    model.graph.initializer[3].CopyFrom(numpy_helper.from_array(np.full((C_OUT, 1, 1, 1), 0.01, np.float32),
                                                                "w_scale"))
    model.graph.initializer[4].CopyFrom(numpy_helper.from_array(np.zeros((C_OUT, 1, 1, 1), np.int8), "w_zero"))
    assert tensorrt_violations(model) == [
        "node 'w_dq' (DequantizeLinear): block scale (4, 1, 1, 1) of a (4, 3, 3, 3) weight blocks more than "
        "one dimension; TensorRT takes a single blocking dimension"]


def weight_graph(op: str, weight: np.ndarray, nodes: list, inits: list, x_shape: list, y_shape: list,
                 opset: int = 17) -> onnx.ModelProto:
    """x → ``op``(x, w) where w comes out of ``nodes`` (Q/DQ of ``weight``)."""
    graph = helper.make_graph(
        [*nodes, helper.make_node(op, ["x", "w"], ["y"], name="op")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
        [numpy_helper.from_array(weight, "w_src"), *inits])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def test_a_float_weight_quantized_by_its_own_q_dq_pair_is_a_weight_not_an_activation():
    """pytorch-quantization/ModelOpt write float weight → QuantizeLinear → DequantizeLinear."""
    w = np.random.default_rng(2).standard_normal((C_OUT, C_IN, 1, 1)).astype(np.float32)
    scale = numpy_helper.from_array(np.abs(w).reshape(C_OUT, -1).max(axis=1) / 127, "s")
    zero = numpy_helper.from_array(np.zeros(C_OUT, np.int8), "z")
    nodes = [helper.make_node("QuantizeLinear", ["w_src", "s", "z"], ["wq"], name="w_q", axis=0),
             helper.make_node("DequantizeLinear", ["wq", "s", "z"], ["w"], name="w_dq", axis=0)]
    model = weight_graph("Conv", w, nodes, [scale, zero], ["batch", C_IN, 8, 8], ["batch", C_OUT, 8, 8])
    onnx.checker.check_model(model)
    assert tensorrt_violations(model) == []
    assert run_x(model, X).shape == (2, C_OUT, 8, 8)
    nodes[1] = helper.make_node("DequantizeLinear", ["wq", "s", "z"], ["w"], name="w_dq", axis=1)
    scale_in = numpy_helper.from_array(np.full(C_IN, 0.01, np.float32), "s")
    zero_in = numpy_helper.from_array(np.zeros(C_IN, np.int8), "z")
    nodes[0] = helper.make_node("QuantizeLinear", ["w_src", "s", "z"], ["wq"], name="w_q", axis=1)
    assert tensorrt_violations(weight_graph("Conv", w, nodes, [scale_in, zero_in], ["batch", C_IN, 8, 8],
                                            ["batch", C_OUT, 8, 8])) == [
        "node 'w_dq' (DequantizeLinear): weight quantized along axis 1; TensorRT takes per-output-channel "
        "weights along axis 0 for Conv"]


def test_matmul_weights_are_quantized_along_their_output_channels_axis_1():
    k, n = 6, C_OUT
    w = np.random.default_rng(3).integers(-127, 128, (k, n)).astype(np.int8)

    def model(axis: int) -> onnx.ModelProto:
        size = w.shape[axis]
        return weight_graph("MatMul", w, [helper.make_node("DequantizeLinear", ["w_src", "s", "z"], ["w"],
                                                           name="w_dq", axis=axis)],
                            [numpy_helper.from_array(np.full(size, 0.01, np.float32), "s"),
                             numpy_helper.from_array(np.zeros(size, np.int8), "z")], ["batch", k], ["batch", n])
    assert tensorrt_violations(model(1)) == []
    assert run_x(model(1), np.ones((2, k), np.float32)).shape == (2, n)
    assert tensorrt_violations(model(0)) == [
        "node 'w_dq' (DequantizeLinear): weight quantized along axis 0; TensorRT takes per-output-channel "
        "weights along axis 1 for MatMul"]


def test_block_quantized_int4_weights_pass_and_an_odd_int4_last_dimension_does_not():
    k, n = 8, C_OUT

    def model(columns: int) -> onnx.ModelProto:
        w = numpy_helper.from_array(np.ones((k, columns), np.int8), "w_src")
        int4 = helper.make_tensor("w_src", TensorProto.INT4, (k, columns), np.ones(k * columns, np.int8).tolist())
        del w
        dq = helper.make_node("DequantizeLinear", ["w_src", "s"], ["w"], name="w_dq", axis=0, block_size=k)
        graph = helper.make_graph(
            [dq, helper.make_node("MatMul", ["x", "w"], ["y"], name="op")], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", k])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", columns])],
            [int4, numpy_helper.from_array(np.full((1, columns), 0.5, np.float32), "s")])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    blocked = model(n)
    onnx.checker.check_model(blocked)
    assert tensorrt_violations(blocked) == []
    np.testing.assert_array_equal(run_x(blocked, np.ones((1, k), np.float32)), np.full((1, n), 4.0))
    assert tensorrt_violations(model(3)) == [
        "node 'w_dq' (DequantizeLinear): INT4 weight with an odd last dimension (8, 3)"]


def test_opset_outside_9_to_20_is_a_warning_operators_domains_and_resize_modes():
    assert tensorrt_violations(qdq_conv(opset=21)) == []   # ModelImporter.cpp only warns
    assert tensorrt_warnings(qdq_conv(opset=21)) == [
        "model: ONNX opset 21 is outside the range TensorRT 10's operators are documented for (9..20); "
        "its parser only warns"]
    assert tensorrt_warnings(qdq_conv(opset=13)) == [] and tensorrt_violations(qdq_conv(opset=13)) == []
    unique = helper.make_node("Unique", ["logits"], ["u"], name="uniq")
    custom = helper.make_node("MyPlugin", ["logits"], ["p"], name="plug", domain="com.example")
    crop = helper.make_node("Resize", ["logits", "", "sizes"], ["r"], name="up",
                            coordinate_transformation_mode="tf_crop_and_resize")
    found = tensorrt_violations(qdq_conv(extra_nodes=[unique, crop], domain_ops=[custom]))
    assert found == ["node 'uniq' (Unique): op not in TensorRT 10's supported ONNX operators",
                     "node 'up' (Resize): coordinate_transformation_mode 'tf_crop_and_resize' is not one "
                     "TensorRT 10 supports (half_pixel, pytorch_half_pixel, tf_half_pixel_for_nn, asymmetric, "
                     "align_corners)",
                     "node 'plug' (MyPlugin): op of domain 'com.example' needs a TensorRT plugin"]
    cubic = helper.make_node("Resize", ["logits", "", "sizes"], ["r"], name="up", mode="cubic")
    nearest = helper.make_node("Resize", ["logits", "", "sizes"], ["r"], name="up", mode="nearest",
                               coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    assert tensorrt_violations(qdq_conv(extra_nodes=[nearest])) == []
    assert tensorrt_violations(qdq_conv(extra_nodes=[cubic])) == []   # the importer maps it to kCUBIC


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
    assert message.startswith(f"{path}: 4 TensorRT 10 import rule violation(s): node 'in_q' (QuantizeLinear)")
    assert message.endswith("(+1 more)")
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


def test_the_check_rules_command_prints_one_line_per_violation_and_exits_1(tmp_path):
    """The documented command: no traceback, every violation on its own line, the opset warning
    on stderr, exit 1; a file TensorRT takes: one ok line, exit 0."""
    from conftest import run_cli

    bad, good = tmp_path / "bad.onnx", tmp_path / "good.onnx"
    bad.write_bytes(qdq_conv(zero_dtype=np.uint8, zero_value=127, opset=21).SerializeToString())
    good.write_bytes(qdq_conv().SerializeToString())
    done = run_cli("convert/to_tensorrt.py", "--check-rules", "--model", str(bad), timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [*tensorrt_violations(bad),
                                        f"{bad}: 4 TensorRT 10 import rule violation(s)"]
    assert done.stderr.splitlines() == [f"warning: {tensorrt_warnings(bad)[0]}"]
    done = run_cli("convert/to_tensorrt.py", "--check-rules", "--model", str(good), timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{good}: TensorRT 10 import rules: ok\n", "")
