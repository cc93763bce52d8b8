package ai.stdc.demo.core;

/**
 * Class colours over an image, with integer rules shared with {@code stdc_tf.visualize}:
 * {@code alpha = floor(opacity * 255 + 0.5)}; a blended channel is
 * {@code (colour * alpha + pixel * (255 - alpha) + 127) / 255}. Pixels whose class has no palette
 * colour (the ignore value 255, or an id past the palette) stay as they are / transparent.
 */
public final class Overlay {
  private Overlay() {}

  /** Opacity in [0, 1] (clamped; NaN counts as 0) → alpha 0..255. */
  public static int alpha(double opacity) {
    double o = opacity > 0 ? Math.min(opacity, 1.0) : 0.0;
    return (int) Math.floor(o * 255.0 + 0.5);
  }

  /** The class colours as Android colour ints {@code 0xAARRGGBB} (uncoloured: 0). */
  public static int[] colorize(ClassMap classes, Palette palette, int alpha) {
    checkAlpha(alpha);
    int[] out = new int[classes.ids.length];
    for (int i = 0; i < out.length; i++) {
      int id = classes.id(i);
      out[i] = id < palette.size() ? palette.argb(id, alpha) : 0;
    }
    return out;
  }

  /**
   * Every class id's colour at {@code alpha} (256 entries, uncoloured ids 0): the live view
   * colours a frame with one table look-up per pixel ({@link #colorize(byte[], int[], int[])}).
   */
  public static int[] lut(Palette palette, int alpha) {
    checkAlpha(alpha);
    int[] lut = new int[256];
    for (int id = 0; id < palette.size(); id++) {
      lut[id] = palette.argb(id, alpha);
    }
    return lut;
  }

  /** The colours of class ids {@code ids} into the reused {@code out} (same length). */
  public static void colorize(byte[] ids, int[] lut, int[] out) {
    if (out.length != ids.length || lut.length != 256) {
      throw new IllegalArgumentException("colorize needs out.length == ids.length ("
          + ids.length + ", got " + out.length + ") and a 256-entry table");
    }
    for (int i = 0; i < ids.length; i++) {
      out[i] = lut[ids[i] & 0xff];
    }
  }

  /** {@code image} with its class colours laid over it at {@code alpha}; sizes must match. */
  public static RgbImage blend(RgbImage image, ClassMap classes, Palette palette, int alpha) {
    checkAlpha(alpha);
    if (image.width != classes.width || image.height != classes.height) {
      throw new IllegalArgumentException("image " + image.width + "x" + image.height
          + " and class map " + classes.width + "x" + classes.height + " differ in size");
    }
    byte[] out = image.rgb.clone();
    int inverse = 255 - alpha;
    for (int i = 0; i < classes.ids.length; i++) {
      int id = classes.id(i);
      if (id >= palette.size()) {
        continue;
      }
      int color = palette.rgb(id);
      for (int k = 0; k < 3; k++) {
        int c = (color >> (16 - 8 * k)) & 0xff;
        int p = image.rgb[3 * i + k] & 0xff;
        out[3 * i + k] = (byte) ((c * alpha + p * inverse + 127) / 255);
      }
    }
    return new RgbImage(image.width, image.height, out);
  }

  private static void checkAlpha(int alpha) {
    if (alpha < 0 || alpha > 255) {
      throw new IllegalArgumentException("alpha must be 0..255, got " + alpha);
    }
  }
}
