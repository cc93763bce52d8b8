"""TensorFlow runtimes: a Keras model (in memory, ``.keras``, a QAT ``.h5``) and a SavedModel.

Both run one traced TensorFlow call; on a machine with a GPU TensorFlow places it there, and
:meth:`~stdc_tf.runtime.base.Predictor.device_run` keeps the input on that device and waits
with ``tf.test.experimental.sync_devices`` before the host clock is read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf.runtime.base import ModelIO, ModelLoadError, Predictor, RunFn, image_dims, infer_output_kind


def _np_dtype(dtype: Any) -> np.dtype:
    """A numpy dtype from a Keras 3 dtype name or a ``tf.DType`` (SavedModel, tf_keras)."""
    return np.dtype(getattr(dtype, "as_numpy_dtype", dtype))


class _TensorFlowPredictor(Predictor):
    """What Keras and SavedModel predictors share: one TensorFlow call, on TensorFlow's device."""

    _call: Any   # prepared tensor -> output tensor(s), left on the device

    def _place(self) -> None:
        import tensorflow as tf

        gpu = bool(tf.config.list_logical_devices("GPU"))
        self.device, self._tf_device = ("gpu", "GPU:0") if gpu else ("cpu", "CPU:0")
        if gpu:
            self.timer = "host clock after tf.test.experimental.sync_devices()"

    def options(self) -> dict[str, Any]:
        return {"runtime": self.runtime, "tf_device": self._tf_device}

    def device_run(self, x: np.ndarray) -> RunFn:
        import tensorflow as tf

        with tf.device(self._tf_device):
            x_device = tf.identity(tf.constant(x))

        def run() -> None:
            self._call(x_device)
            tf.test.experimental.sync_devices()
        return run

    def reset_device_memory(self) -> None:
        import tensorflow as tf

        if self.device == "gpu":
            tf.config.experimental.reset_memory_stats(self._tf_device)

    def device_memory_mb(self) -> float | None:
        import tensorflow as tf

        if self.device != "gpu":
            return None
        return tf.config.experimental.get_memory_info(self._tf_device)["peak"] / 2**20


class KerasPredictor(_TensorFlowPredictor):
    """A Keras model in memory or a ``.keras`` file; a training graph runs its main head only."""

    runtime = "keras"

    def __init__(self, model: Any, path: Path | None = None):
        import tensorflow as tf

        from stdc_tf.models import inference_model

        model = inference_model(model)
        self.model, self.path = model, path
        batch, height, width = image_dims(model.inputs[0].shape, self._label())
        self.io = ModelIO(height, width, batch, _np_dtype(model.inputs[0].dtype),
                          infer_output_kind(tuple(model.outputs[0].shape),
                                            _np_dtype(model.outputs[0].dtype), False))
        self._call = tf.function(lambda x: model(x, training=False))   # one trace per input shape
        self._place()

    @classmethod
    def load(cls, path: Path) -> KerasPredictor:
        from stdc_tf.models.io import load_keras

        return cls(load_keras(path), path)

    def describe(self) -> dict[str, Any]:
        policy = getattr(self.model, "dtype_policy", None)   # Keras 3 has one, tf_keras may not
        extra = {"dtype_policy": getattr(policy, "name", str(policy))} if policy is not None else {}
        return {**super().describe(), **extra}

    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        return self._call(x).numpy()


class SavedModelPredictor(_TensorFlowPredictor):
    """A SavedModel directory, run through its ``serving_default`` signature."""

    runtime = "saved_model"

    def __init__(self, path: Path):
        import tensorflow as tf

        self.path = path
        self._loaded = tf.saved_model.load(str(path))   # keeps the signature's variables alive
        if "serving_default" not in self._loaded.signatures:
            raise ModelLoadError(f"SavedModel {path} has no 'serving_default' signature "
                                 f"(it has: {', '.join(self._loaded.signatures) or 'none'})")
        fn = self._loaded.signatures["serving_default"]
        inputs = fn.structured_input_signature[1]
        outputs = fn.structured_outputs
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelLoadError(f"SavedModel {path}: serving_default must take one image tensor "
                                 f"and return one tensor; it takes {sorted(inputs)} and returns "
                                 f"{sorted(outputs)}")
        (input_name, spec), = inputs.items()
        (self._output_name, out_spec), = outputs.items()
        batch, height, width = image_dims(spec.shape, self._label())
        self.io = ModelIO(height, width, batch, _np_dtype(spec.dtype),
                          infer_output_kind(tuple(out_spec.shape), _np_dtype(out_spec.dtype), False))
        self._call = lambda t: fn(**{input_name: t})
        self._place()

    def run_prepared(self, x: np.ndarray) -> np.ndarray:
        return self._call(x)[self._output_name].numpy()
