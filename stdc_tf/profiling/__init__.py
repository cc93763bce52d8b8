"""Latency profiling with one protocol and one report format for every target.

* :mod:`~stdc_tf.profiling.gpu` — any runtime predictor (Keras, SavedModel, TF-TRT, ONNX on
  onnxruntime CPU/CUDA/TensorRT, TensorRT engines) on a GPU or the CPU, per batch and timed
  region (``convert/profile_gpu.py``);
* :mod:`~stdc_tf.profiling.edge` — a ``.tflite`` file on this host through LiteRT's Interpreter
  (XNNPACK on/off) and CompiledModel (CPU/GPU) APIs, with an op/delegate compatibility report
  (``convert/profile_edge.py``);
* :mod:`~stdc_tf.profiling.adb` — ``benchmark_model`` on an Android phone over adb
  (``convert/profile_edge.py --adb``), its output read by :mod:`~stdc_tf.profiling.benchmark_model`.

Shared: :mod:`~stdc_tf.profiling.timing` (warm-up, synchronised timed runs, peak memory),
:mod:`~stdc_tf.profiling.stats` (p50/p90/p99, FPS) and :mod:`~stdc_tf.profiling.records` (the JSON
schema and the table).
"""
