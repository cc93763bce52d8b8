package ai.stdc.demo.core;

import java.nio.ByteBuffer;

/** An 8-bit RGB image, rows top to bottom, {@code r, g, b} interleaved (the models' layout). */
public final class RgbImage {
  public final int width;
  public final int height;
  public final byte[] rgb;

  public RgbImage(int width, int height, byte[] rgb) {
    if (width <= 0 || height <= 0 || rgb.length != width * height * 3) {
      throw new IllegalArgumentException("an RGB image of " + width + "x" + height + " needs "
          + (long) width * height * 3 + " bytes, got " + rgb.length);
    }
    this.width = width;
    this.height = height;
    this.rgb = rgb;
  }

  /** From Android colour ints ({@code 0xAARRGGBB}, e.g. {@code Bitmap.getPixels}); alpha dropped. */
  public static RgbImage fromArgb(int[] argb, int width, int height) {
    byte[] out = new byte[width * height * 3];
    for (int i = 0; i < width * height; i++) {
      int p = argb[i];
      out[3 * i] = (byte) (p >> 16);
      out[3 * i + 1] = (byte) (p >> 8);
      out[3 * i + 2] = (byte) p;
    }
    return new RgbImage(width, height, out);
  }

  /**
   * From an RGBA_8888 plane (CameraX {@code ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888}): rows
   * {@code rowStride} bytes apart, pixels {@code pixelStride} bytes apart, starting at the
   * buffer's position.
   */
  public static RgbImage fromRgba(ByteBuffer plane, int width, int height, int rowStride,
      int pixelStride) {
    if (pixelStride < 3 || rowStride < width * pixelStride) {
      throw new IllegalArgumentException("bad RGBA strides: row " + rowStride + ", pixel "
          + pixelStride + " for width " + width);
    }
    byte[] out = new byte[width * height * 3];
    int base = plane.position();
    for (int y = 0; y < height; y++) {
      int row = base + y * rowStride;
      for (int x = 0; x < width; x++) {
        int src = row + x * pixelStride;
        int dst = 3 * (y * width + x);
        out[dst] = plane.get(src);
        out[dst + 1] = plane.get(src + 1);
        out[dst + 2] = plane.get(src + 2);
      }
    }
    return new RgbImage(width, height, out);
  }

  /** The image turned clockwise by {@code degrees} (0, 90, 180 or 270: a camera's rotation). */
  public RgbImage rotate(int degrees) {
    int turns = ((degrees % 360) + 360) % 360;
    if (turns % 90 != 0) {
      throw new IllegalArgumentException("rotation must be a multiple of 90 degrees, got " + degrees);
    }
    if (turns == 0) {
      return this;
    }
    boolean swap = turns != 180;
    int w = swap ? height : width;
    int h = swap ? width : height;
    byte[] out = new byte[rgb.length];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int nx;
        int ny;
        if (turns == 90) {
          nx = height - 1 - y;
          ny = x;
        } else if (turns == 180) {
          nx = width - 1 - x;
          ny = height - 1 - y;
        } else {
          nx = y;
          ny = width - 1 - x;
        }
        System.arraycopy(rgb, 3 * (y * width + x), out, 3 * (ny * w + nx), 3);
      }
    }
    return new RgbImage(w, h, out);
  }

  /** The image as Android colour ints, opaque ({@code Bitmap.setPixels}). */
  public int[] toArgb() {
    int[] out = new int[width * height];
    for (int i = 0; i < out.length; i++) {
      out[i] = 0xff000000 | (rgb[3 * i] & 0xff) << 16 | (rgb[3 * i + 1] & 0xff) << 8
          | (rgb[3 * i + 2] & 0xff);
    }
    return out;
  }
}
