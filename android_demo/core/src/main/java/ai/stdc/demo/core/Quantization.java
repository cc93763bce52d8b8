package ai.stdc.demo.core;

/** Per-tensor affine quantization: {@code real = (q - zeroPoint) * scale}. */
public final class Quantization {
  public final float scale;
  public final int zeroPoint;

  public Quantization(float scale, int zeroPoint) {
    if (!(scale > 0) || Float.isInfinite(scale)) {
      throw new IllegalArgumentException("quantization scale must be positive, got " + scale);
    }
    this.scale = scale;
    this.zeroPoint = zeroPoint;
  }

  /** {@code (q - zeroPoint) * scale} in float32, as {@code stdc_tf.visualize.dequantize}. */
  public float dequantize(int q) {
    return (float) (q - zeroPoint) * scale;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Quantization
        && ((Quantization) o).scale == scale
        && ((Quantization) o).zeroPoint == zeroPoint;
  }

  @Override
  public int hashCode() {
    return Float.floatToIntBits(scale) * 31 + zeroPoint;
  }

  @Override
  public String toString() {
    return "scale " + scale + ", zero point " + zeroPoint;
  }
}
