package ai.stdc.demo.core;

/** One RGB colour per class (packed {@code 0xRRGGBB}); class ids beyond it are left uncoloured. */
public final class Palette {
  /** Class maps are bytes and 255 is the usual ignore value. */
  public static final int MAX_CLASSES = 255;

  private final int[] rgb;

  public Palette(int[] rgb) {
    if (rgb.length == 0 || rgb.length > MAX_CLASSES) {
      throw new IllegalArgumentException("a palette holds 1.." + MAX_CLASSES + " colours, got "
          + rgb.length);
    }
    this.rgb = rgb.clone();
  }

  public int size() {
    return rgb.length;
  }

  /** {@code 0xRRGGBB} of class {@code id}. */
  public int rgb(int id) {
    return rgb[id];
  }

  /** {@code 0xAARRGGBB} of class {@code id} at {@code alpha} (an Android colour int). */
  public int argb(int id, int alpha) {
    return (alpha << 24) | rgb[id];
  }
}
