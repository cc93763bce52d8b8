package ai.stdc.demo.core;

/**
 * Turns an RGB frame into the model's input exactly as {@code stdc_tf.visualize.prepare_input}
 * (and so the evaluator) does: bilinear aligned-corners resize to the model's size, then
 * <ul>
 *   <li>normalization unless the graph does it: {@code ((v / (1 / scale)) - mean) / std};
 *   <li>float32 input: those values; quantized input: {@code clip(rint(v / s + z))};
 *       integer input without quantization: {@code clip(rint(v))}.
 * </ul>
 * {@code rint} rounds half to even, as numpy does.
 */
public final class Preprocessor {
  private final ModelMetadata m;
  private final float divisor;
  private final int lo;
  private final int hi;

  public Preprocessor(ModelMetadata metadata) {
    this.m = metadata;
    this.divisor = (float) (1.0 / metadata.normalizationScale);
    this.lo = metadata.inputType == TensorInfo.DType.INT8 ? -128 : 0;
    this.hi = metadata.inputType == TensorInfo.DType.INT8 ? 127 : 255;
  }

  /** The model's input tensor: {@link #floats} for float32 models, {@link #bytes} otherwise. */
  public static final class ModelInput {
    public final float[] floats;
    public final byte[] bytes;

    ModelInput(float[] floats, byte[] bytes) {
      this.floats = floats;
      this.bytes = bytes;
    }
  }

  /** An input buffer of the model's size, to be filled again and again by {@link #prepare}. */
  public ModelInput newInput() {
    int n = m.inputHeight * m.inputWidth * 3;
    return m.inputType == TensorInfo.DType.FLOAT32
        ? new ModelInput(new float[n], null) : new ModelInput(null, new byte[n]);
  }

  /** Fills {@code target} (from {@link #newInput}) with {@code image} prepared for the model. */
  public void prepare(RgbImage image, final ModelInput target) {
    final int rowLength = m.inputWidth * 3;
    Resize.bilinearRows(Resize.rows(image), image.height, image.width, 3, m.inputHeight,
        m.inputWidth, new Resize.RowSink() {
          @Override
          public void accept(int y, float[] row) {
            int base = y * rowLength;
            for (int i = 0; i < rowLength; i++) {
              float v = value(row[i], i % 3);
              if (target.floats != null) {
                target.floats[base + i] = v;
              } else {
                target.bytes[base + i] = (byte) toInteger(v);
              }
            }
          }
        });
  }

  /** Convenience: a new input filled with {@code image}. */
  public ModelInput prepare(RgbImage image) {
    ModelInput input = newInput();
    prepare(image, input);
    return input;
  }

  private float value(float pixel, int channel) {
    if (m.normalizationInGraph) {
      return pixel;
    }
    return (pixel / divisor - m.mean[channel]) / m.std[channel];
  }

  private int toInteger(float v) {
    Quantization q = m.inputQuantization;
    float x = q != null ? v / q.scale + (float) q.zeroPoint : v;
    double r = Math.rint(x);
    return (int) Math.max(lo, Math.min(hi, r));
  }
}
