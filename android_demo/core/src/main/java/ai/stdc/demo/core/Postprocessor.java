package ai.stdc.demo.core;

/**
 * The model's raw output → a class map, as {@code stdc_tf.visualize.class_map} does.
 *
 * <p>{@code classes(...)} keeps the model's resolution (cheap: what the live view colours).
 * {@code classesAt(..., height, width)} follows the evaluator's protocol at another size:
 * logits are dequantized, resized bilinearly with aligned corners and then argmaxed (fused row by
 * row, no full-size float copy); class-map outputs are resized with nearest neighbour.
 *
 * <p>Argmax: the first maximum wins and a NaN counts as the maximum (numpy's rule). Quantized
 * logits are compared as integers: dequantizing with a positive scale keeps their order.
 */
public final class Postprocessor {
  private final ModelMetadata m;
  private final int h;
  private final int w;
  private final int c;
  private final boolean signed;

  /** For a model whose output is {@code outputHeight x outputWidth} (only the tensor says). */
  public Postprocessor(ModelMetadata metadata, int outputHeight, int outputWidth) {
    this.m = metadata;
    this.h = outputHeight;
    this.w = outputWidth;
    this.c = metadata.outputKind == ModelMetadata.OutputKind.LOGITS ? metadata.numClasses : 1;
    this.signed = metadata.outputType == TensorInfo.DType.INT8;
  }

  public Postprocessor(ModelSpec spec) {
    this(spec.metadata, spec.outputHeight, spec.outputWidth);
  }

  /** Class map at the model's resolution from a float32 logits output. */
  public ClassMap classes(float[] logits) {
    requireLogits(TensorInfo.DType.FLOAT32, logits.length);
    byte[] ids = new byte[h * w];
    for (int p = 0; p < h * w; p++) {
      ids[p] = (byte) argmax(logits, p * c, c);
    }
    return new ClassMap(w, h, ids);
  }

  /** Class map at the model's resolution from a uint8/int8 output (quantized logits or classes). */
  public ClassMap classes(byte[] output) {
    checkLength(output.length);
    if (isClasses()) {
      return new ClassMap(w, h, output.clone());
    }
    requireLogits(m.outputType, output.length);
    byte[] ids = new byte[h * w];
    for (int p = 0; p < h * w; p++) {
      int best = 0;
      int bestValue = integer(output[p * c]);
      for (int k = 1; k < c; k++) {
        int v = integer(output[p * c + k]);
        if (v > bestValue) {
          best = k;
          bestValue = v;
        }
      }
      ids[p] = (byte) best;
    }
    return new ClassMap(w, h, ids);
  }

  /** Class map at the model's resolution from an int32 class-map output. */
  public ClassMap classes(int[] output) {
    checkLength(output.length);
    if (!isClasses()) {
      throw new IllegalArgumentException("the model outputs logits, not an int32 class map");
    }
    byte[] ids = new byte[h * w];
    for (int p = 0; p < h * w; p++) {
      if (output[p] < 0 || output[p] > 255) {
        throw new IllegalArgumentException("class id " + output[p] + " is outside 0..255");
      }
      ids[p] = (byte) output[p];
    }
    return new ClassMap(w, h, ids);
  }

  /** The evaluator's class map at {@code height x width} from float32 logits. */
  public ClassMap classesAt(float[] logits, int height, int width) {
    requireLogits(TensorInfo.DType.FLOAT32, logits.length);
    return resizedArgmax(Resize.rows(logits, w, c), height, width);
  }

  /** The evaluator's class map at {@code height x width} from a uint8/int8 output. */
  public ClassMap classesAt(final byte[] output, int height, int width) {
    checkLength(output.length);
    if (isClasses()) {
      return Resize.nearest(classes(output), height, width);
    }
    requireLogits(m.outputType, output.length);
    final Quantization q = m.outputQuantization;
    final int rowLength = w * c;
    Resize.Rows rows = new Resize.Rows() {
      @Override
      public void load(int y, float[] row) {
        for (int i = 0; i < rowLength; i++) {
          row[i] = q.dequantize(integer(output[y * rowLength + i]));
        }
      }
    };
    return resizedArgmax(rows, height, width);
  }

  private ClassMap resizedArgmax(Resize.Rows rows, final int height, final int width) {
    final byte[] ids = new byte[height * width];
    Resize.bilinearRows(rows, h, w, c, height, width, new Resize.RowSink() {
      @Override
      public void accept(int y, float[] row) {
        for (int x = 0; x < width; x++) {
          ids[y * width + x] = (byte) argmax(row, x * c, c);
        }
      }
    });
    return new ClassMap(width, height, ids);
  }

  /** Index of the largest of {@code n} values from {@code offset}; first wins, NaN is largest. */
  static int argmax(float[] values, int offset, int n) {
    int best = 0;
    float bestValue = values[offset];
    for (int k = 1; k < n; k++) {
      float v = values[offset + k];
      if (v > bestValue || (v != v && bestValue == bestValue)) {
        best = k;
        bestValue = v;
      }
    }
    return best;
  }

  private int integer(byte b) {
    return signed ? b : b & 0xff;
  }

  private boolean isClasses() {
    return m.outputKind == ModelMetadata.OutputKind.CLASSES;
  }

  private void requireLogits(TensorInfo.DType type, int length) {
    if (isClasses() || m.outputType != type) {
      throw new IllegalArgumentException("the model outputs "
          + m.outputType.jsonName + " " + (isClasses() ? "classes" : "logits")
          + ", not " + type.jsonName + " logits");
    }
    checkLength(length);
  }

  private void checkLength(int length) {
    if (length != h * w * c) {
      throw new IllegalArgumentException("the model's output holds " + h * w * c
          + " values (" + h + "x" + w + "x" + c + "), got " + length);
    }
  }
}
