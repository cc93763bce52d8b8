"""Write the demo's bundled street-scene picture (still-image mode) from the synthetic dataset.

The scene comes from stdc_tf.data.synthetic.render_scene, so it is reproducible and free of
licence questions; the picture is JPEG (small in the APK). A model trained on the synthetic data
segments it well; a Cityscapes model sees an unusual but street-like scene.

Examples:
  python android_demo/tools/sample_image.py
  python android_demo/tools/sample_image.py --size 512 1024 --seed 7 --out /tmp/street.jpg
"""
from __future__ import annotations

import sys
from pathlib import Path

from stdc_tf import cli
from stdc_tf.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "android_demo" / "app" / "src" / "main" / "assets" / "sample_street.jpg"


def main(args) -> None:
    import cv2

    from stdc_tf.atomic import atomic_output
    from stdc_tf.data.synthetic import render_scene

    height, width = args.size
    if min(height, width) < 16 or not 1 <= args.quality <= 100:
        raise ConfigError("--size needs at least 16x16 pixels and --quality 1..100")
    image, _ = render_scene((args.seed,), height, width)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, args.quality])
    if not ok:
        raise OSError(f"OpenCV could not encode a {height}x{width} JPEG")
    with atomic_output(args.out) as tmp:
        tmp.write_bytes(jpeg.tobytes())
    cli.log.info("wrote %s (%dx%d, %.0f KB)", args.out, width, height, len(jpeg) / 1024)


def build_parser():
    parser = cli.parser(__doc__)
    parser.add_argument("--size", type=int, nargs=2, default=(384, 768), metavar=("H", "W"),
                        help="picture height and width (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=2026, help="scene seed (default: %(default)s)")
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output file (default: the app's assets)")
    return parser


if __name__ == "__main__":
    sys.exit(cli.run(main, build_parser()))
