"""The TF-TRT route's CPU half, run in the TF-TRT environment (requirements-tensorrt.txt).

What a machine without an NVIDIA GPU can do of ``convert/to_tensorrt.py --engine tftrt``: load
the ``.keras`` model on that environment's TensorFlow/Keras, write the serving SavedModel the
converter starts from (checked against Keras), then ask whether TF-TRT can run and print the
one-line refusal the command gives. Exit 0 when all three happened as expected.

    . .venv-tftrt/bin/activate
    python benchmarks/tftrt_cpu_half.py --model stdc1_seg50.keras --input-size 64x128 --work-dir /tmp/tftrt
"""
from __future__ import annotations

import argparse
import importlib.metadata
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from stdc_tf import cli  # noqa: E402  (stdlib-only; TensorFlow is imported below, quietly)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=Path, help="the float .keras model")
    parser.add_argument("--input-size", default=(64, 128), type=cli.input_size, help="HxW (default: 64x128)")
    parser.add_argument("--work-dir", required=True, type=Path, help="where the SavedModel goes")
    args = parser.parse_args(argv)
    tf = cli.import_tensorflow()
    from stdc_tf.export.contract import ExportSpec
    from stdc_tf.export.saved_model import export_saved_model
    from stdc_tf.export.tftrt import require_tftrt
    from stdc_tf.quantization.trained import load_trained_model
    from stdc_tf.runtime.tensorrt import TensorRTUnavailable

    versions = {name: importlib.metadata.version(name) for name in ("tensorflow", "keras", "numpy")}
    print(f"environment: python {sys.version.split()[0]}, " + ", ".join(f"{k} {v}" for k, v in versions.items())
          + f", TensorFlow built with TensorRT: {tf.sysconfig.get_build_info().get('is_tensorrt_build', False)}")
    started = time.perf_counter()
    model = load_trained_model(args.model, quantized=False)
    print(f"loaded {args.model} ({model.count_params():,} parameters) in {time.perf_counter() - started:.1f} s")
    result = export_saved_model(model, args.work_dir / "serving", ExportSpec(tuple(args.input_size), check_images=2))
    print("\n".join(result.lines()))
    try:
        require_tftrt()
    except TensorRTUnavailable as e:
        print(f"refused as expected: {e}")
        return 0
    print("TF-TRT is available here: run convert/to_tensorrt.py --engine tftrt itself")
    return 0


if __name__ == "__main__":
    sys.exit(main())
