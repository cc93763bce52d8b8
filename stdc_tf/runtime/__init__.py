"""Runtimes behind one :class:`Predictor` interface: Keras, SavedModel, LiteRT, ONNX (+ registered)."""
from stdc_tf.runtime import tensorrt  # noqa: F401, E402  (registers TF-TRT and TensorRT engines)
from stdc_tf.runtime.predictors import (
                                        OUTPUT_KINDS,
                                        KerasPredictor,
                                        LiteRTPredictor,
                                        ModelIO,
                                        ModelLoadError,
                                        OnnxPredictor,
                                        Predictor,
                                        PredictorKind,
                                        SavedModelPredictor,
                                        load_predictor,
                                        predictor_kinds,
                                        register_predictor,
)

__all__ = ["OUTPUT_KINDS", "KerasPredictor", "LiteRTPredictor", "ModelIO", "ModelLoadError",
           "OnnxPredictor", "Predictor", "PredictorKind", "SavedModelPredictor", "load_predictor",
           "predictor_kinds", "register_predictor"]
