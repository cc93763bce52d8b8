"""Reference (PyTorch) checkpoint import and parity checks."""
from stdc_tf.weights.reference import CheckpointError, ImportReport, load_reference_weights

__all__ = ["CheckpointError", "ImportReport", "load_reference_weights"]
