"""Write the shared test vectors that tie the Android demo's Java core to stdc_tf.visualize.

A synthetic street scene, two tiny real LiteRT models (a 1x1 convolution, fp32 and full-int8,
with their "stdc_tf" metadata written into the flatbuffer), each model's input as the app must
prepare it, its raw output from the LiteRT interpreter, and the class maps, colour mask and
overlay that stdc_tf.visualize makes of that output. tests/test_android_vectors.py checks that
Python reproduces every file; the JUnit tests in android_demo/core check that Java does.

Examples:
  python tests/android_vectors.py                 # rewrite tests/data/android
  python tests/android_vectors.py --out /tmp/v    # write them elsewhere
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from stdc_tf import cli, visualize
from stdc_tf.atomic import atomic_output
from stdc_tf.export.metadata import read_metadata

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tests" / "data" / "android"
IMAGE_SIZE = (24, 32)     # (H, W) of the "camera frame"
MODEL_SIZE = (16, 24)     # (H, W) the tiny models take: not a divisor, so every weight is exercised
SCENE_SEED = (2026, 11)
WEIGHT_SEED = 11
OPACITY = 0.6
MANIFEST = "vectors.json"


def tiny_model():
    """logits = a 1x1 convolution of the normalized image, weights drawn from WEIGHT_SEED."""
    import keras

    from stdc_tf.data.labels import CITYSCAPES

    rng = np.random.default_rng(WEIGHT_SEED)
    inputs = keras.Input((*MODEL_SIZE, 3), batch_size=1)
    conv = keras.layers.Conv2D(CITYSCAPES.num_classes, 1)
    model = keras.Model(inputs, conv(inputs))
    conv.set_weights([rng.normal(0, 1, (1, 1, 3, CITYSCAPES.num_classes)).astype(np.float32),
                      rng.normal(0, 0.5, CITYSCAPES.num_classes).astype(np.float32)])
    return model


def _interpreter(flatbuffer: bytes):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer, num_threads=1)
    interpreter.allocate_tensors()
    return interpreter


def run_model(flatbuffer: bytes, x: np.ndarray) -> np.ndarray:
    """The model's raw output (``[h, w, C]`` or ``[h, w]``) for one prepared input ``[h, w, 3]``."""
    interpreter = _interpreter(flatbuffer)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x[None])
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0]


def postprocess_files(name: str, output: np.ndarray, meta: dict, image: np.ndarray,
                      alpha: int) -> dict[str, np.ndarray]:
    """Class maps (model and image size), colour mask and overlay for one model output."""
    classes = visualize.class_map(output, meta)
    full = visualize.class_map(output, meta, IMAGE_SIZE)
    return {f"{name}_classes.u8": classes,
            f"{name}_classes_full.u8": full,
            f"{name}_mask.rgba": visualize.colorize(classes, meta["palette"], alpha),
            f"{name}_overlay.rgb": visualize.blend(image, full, meta["palette"], alpha)}


def calibration_images(count: int = 8) -> list[np.ndarray]:
    """Other synthetic scenes at the model's size, uint8, for int8 calibration."""
    from stdc_tf.data.synthetic import render_scene

    return [visualize.quantize(visualize.resize_bilinear(
        render_scene((*SCENE_SEED, i + 1), *IMAGE_SIZE)[0], MODEL_SIZE), np.uint8, None)
        for i in range(count)]


# name → ExportSpec fields: every input path (float normalized / raw uint8 pixels) and every
# output kind (float logits / int8 quantized logits / uint8 class map) of the converter's contract
MODELS = {"fp32": {"precision": "fp32", "input_type": "float", "output": "logits"},
          "int8": {"precision": "int8", "input_type": "uint8", "output": "logits"},
          "classes": {"precision": "fp32", "input_type": "uint8", "output": "classes"}}


def vectors() -> tuple[dict[str, Any], dict[str, bytes]]:
    """(manifest, file name → bytes) of the whole set."""
    from stdc_tf.data.labels import CITYSCAPES
    from stdc_tf.data.synthetic import render_scene
    from stdc_tf.export.contract import ExportSpec
    from stdc_tf.export.tflite import convert_tflite

    image, _ = render_scene(SCENE_SEED, *IMAGE_SIZE)
    alpha = visualize.opacity_alpha(OPACITY)
    files: dict[str, Any] = {"scene.rgb": image}
    cases = []
    model = tiny_model()
    for name, options in MODELS.items():
        flatbuffer = convert_tflite(model, ExportSpec(MODEL_SIZE, calibration=calibration_images(),
                                                      info=CITYSCAPES, **options))
        meta = read_metadata(flatbuffer)
        x = visualize.prepare_input(image, meta)
        output = run_model(flatbuffer, x)
        files.update({f"{name}.tflite": flatbuffer, f"{name}.json": meta,
                      f"{name}_input.bin": x, f"{name}_output.bin": output,
                      **postprocess_files(name, output, meta, image, alpha)})
        cases.append(_case(name, output, model=f"{name}.tflite"))
    files["plain.tflite"] = convert_tflite(model, ExportSpec(MODEL_SIZE, **MODELS["fp32"]), metadata=False)

    # Metadata-only cases: an input quantized with a scale and zero point (other converters make
    # those), and a class map holding the ignore value and an id past the palette (uncoloured).
    int8 = files["int8.json"]
    quantized = _variant(int8, "input", quantization={"scale": 0.0186, "zero_point": 114},
                         normalization={**int8["input"]["normalization"], "in_graph": False})
    files.update({"quantized_input.json": quantized,
                  "quantized_input_input.bin": visualize.prepare_input(image, quantized)})
    cases.append({"name": "quantized_input", "metadata": "quantized_input.json",
                  "input": "quantized_input_input.bin"})
    ignore = files["classes.json"]
    class_output = files["classes_output.bin"].copy()
    class_output[0, :3] = ignore["ignore_index"]
    class_output[1, :2] = ignore["output"]["num_classes"]
    files.update({"ignore.json": ignore, "ignore_output.bin": class_output,
                  **postprocess_files("ignore", class_output, ignore, image, alpha)})
    cases.append(_case("ignore", class_output))

    manifest = {"image": {"file": "scene.rgb", "height": IMAGE_SIZE[0], "width": IMAGE_SIZE[1]},
                "opacity": OPACITY, "alpha": alpha, "cases": cases,
                "without_metadata": "plain.tflite"}
    return manifest, {name: _encode(value) for name, value in files.items()}


def _variant(meta: dict[str, Any], section: str, **changes: Any) -> dict[str, Any]:
    """``meta`` with some fields of ``meta[section]`` replaced."""
    return {**meta, section: {**meta[section], **changes}}


def _case(name: str, output: np.ndarray, model: str | None = None) -> dict[str, Any]:
    """A manifest entry: a real model's case, or (``model=None``) a metadata-only one."""
    case = {"name": name, "metadata": f"{name}.json", "output": f"{name}_output.bin",
            "output_height": int(output.shape[0]), "output_width": int(output.shape[1]),
            "classes": f"{name}_classes.u8", "classes_full": f"{name}_classes_full.u8",
            "mask": f"{name}_mask.rgba", "overlay": f"{name}_overlay.rgb"}
    if model is not None:
        case.update(model=model, input=f"{name}_input.bin")
    return case


def _encode(value: Any) -> bytes:
    """Arrays as raw little-endian bytes in C order, dicts as JSON, bytes as they are."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict):
        return (json.dumps(value, indent=1) + "\n").encode()
    array = np.ascontiguousarray(value)
    return array.astype(array.dtype.newbyteorder("<")).tobytes()


def write(out: Path, manifest: dict[str, Any], files: dict[str, bytes]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, data in {**files, MANIFEST: _encode(manifest)}.items():
        with atomic_output(out / name) as tmp:
            tmp.write_bytes(data)


def main(args) -> None:
    manifest, files = vectors()
    write(Path(args.out), manifest, files)
    total = sum(len(b) for b in files.values())
    cli.log.info("wrote %d files (%.1f KB) to %s", len(files) + 1, total / 1024, args.out)


def build_parser():
    parser = cli.parser(__doc__)
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="folder to write (default: %(default)s)")
    return parser


if __name__ == "__main__":
    sys.exit(cli.run(main, build_parser()))
