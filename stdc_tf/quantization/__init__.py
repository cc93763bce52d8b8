"""Quantization-aware training: the Keras 3 → tf_keras bridge, the QuantizeConfigs of STDC's
layers and the tfmot quantization of a model (tfmot works on tf_keras models only)."""
