package ai.stdc.demo.core;

/** A per-pixel class id map (ids 0..255 stored as bytes), rows top to bottom. */
public final class ClassMap {
  public final int width;
  public final int height;
  public final byte[] ids;

  public ClassMap(int width, int height, byte[] ids) {
    if (width <= 0 || height <= 0 || ids.length != width * height) {
      throw new IllegalArgumentException("a class map of " + width + "x" + height + " needs "
          + (long) width * height + " bytes, got " + ids.length);
    }
    this.width = width;
    this.height = height;
    this.ids = ids;
  }

  /** The class id at pixel {@code i} (row-major), 0..255. */
  public int id(int i) {
    return ids[i] & 0xff;
  }
}
