"""The only place a model is opened to run: one :class:`Predictor` contract over every runtime.

``load_predictor(path, **options)`` picks the runtime from the file: Keras (``.keras``, in
memory), SavedModel, LiteRT (``.tflite``: interpreter or CompiledModel, XNNPACK/none/CPU/GPU,
threads), onnxruntime (``.onnx``: execution provider), a QAT ``.h5`` (tf_keras + tfmot), a TF-TRT
SavedModel and a TensorRT engine. Sessions, interpreters and engines are created in this package
and nowhere else; the evaluator, the profilers and the exporters' checks take a Predictor.

Modules: ``base`` (the contract), ``registry`` (the runtimes and :func:`load_predictor`),
``tensorflow``, ``litert``, ``onnx``, ``tensorrt`` (TF-TRT and engines, with their availability
checks), ``devices`` (GPU memory).
A new runtime is one Predictor class and one :func:`register_predictor` line.
"""
from stdc_tf.runtime.base import OUTPUT_KINDS, ModelIO, ModelLoadError, Predictor, RunFn, RuntimeUnavailable
from stdc_tf.runtime.registry import PredictorKind, load_predictor, predictor_kinds, register_predictor
from stdc_tf.runtime.tensorrt import ENGINE_SUFFIXES, is_tftrt_saved_model

__all__ = ["OUTPUT_KINDS", "ModelIO", "ModelLoadError", "Predictor", "PredictorKind", "RunFn",
           "RuntimeUnavailable", "load_predictor", "predictor_kinds", "register_predictor"]

# Later kinds are tried first. Loaders are "module:function", imported when a file needs them.
register_predictor("keras", ".keras file (Keras)", lambda p: p.is_file() and p.suffix == ".keras",
                   "stdc_tf.runtime.tensorflow:KerasPredictor.load")
register_predictor("saved_model", "SavedModel directory (TensorFlow, serving_default)",
                   lambda p: (p / "saved_model.pb").is_file(), "stdc_tf.runtime.tensorflow:SavedModelPredictor")
register_predictor("litert", ".tflite file (LiteRT)", lambda p: p.is_file() and p.suffix == ".tflite",
                   "stdc_tf.runtime.litert:LiteRTPredictor", options=("threads", "accelerator", "api"))
register_predictor("onnx", ".onnx file (onnxruntime)", lambda p: p.is_file() and p.suffix == ".onnx",
                   "stdc_tf.runtime.onnx:OnnxPredictor", options=("provider", "logits", "threads"))
# A QAT model is scored and timed as it is (fake-quant in TensorFlow), beside its converted files;
# its loader needs tfmot's quantize scope and the toolkit's QuantizeConfigs (stdc_tf.quantization).
register_predictor("qat", ".h5 QAT model (tf_keras + tfmot)", lambda p: p.is_file() and p.suffix == ".h5",
                   "stdc_tf.quantization.qat:qat_predictor")
register_predictor("tftrt", "TF-TRT SavedModel directory (TensorFlow built with TensorRT)",
                   is_tftrt_saved_model, "stdc_tf.runtime.tensorrt:TFTRTPredictor")
register_predictor("tensorrt", "TensorRT engine (.plan/.engine/.trt, with tensorrt + GPU)",
                   lambda p: p.is_file() and p.suffix in ENGINE_SUFFIXES, "stdc_tf.runtime.tensorrt:TensorRTPredictor")
