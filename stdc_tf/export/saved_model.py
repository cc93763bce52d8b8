"""SavedModel export with a ``serving_default`` signature (TF Serving, TF-TRT, converters)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from stdc_tf.atomic import atomic_output
from stdc_tf.export import ExportError, first_line
from stdc_tf.models import inference_model


def export_saved_model(model: Any, path: str | Path) -> Path:
    """Write ``model``'s inference graph as a SavedModel directory at ``path``."""
    path = Path(path)
    model = inference_model(model)
    try:
        with atomic_output(path, directory=True) as tmp:
            model.export(str(tmp), format="tf_saved_model", verbose=False)
    except Exception as e:  # TensorFlow raises many types while tracing and saving
        raise ExportError(f"cannot export a SavedModel to {path}: {first_line(e)}") from e
    return path
