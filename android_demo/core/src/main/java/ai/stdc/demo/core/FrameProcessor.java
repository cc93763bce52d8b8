package ai.stdc.demo.core;

/**
 * A live camera frame to the model's input in one pass: the RGBA plane is read where it lies
 * (row and pixel strides), turned upright, centre-cropped to the model's aspect ratio (never
 * stretched), resized bilinearly (pixel centres) and normalized / quantized straight into a
 * reused {@link Preprocessor.ModelInput}. No intermediate image is made.
 *
 * <p>Still images keep using {@link Preprocessor}, which reproduces the evaluator bit for bit on
 * the whole picture; live frames trade that for speed (same normalization, float rounding may
 * differ in the last bit) and a crop. The crop is {@link #cropLeft} .. in upright frame pixels:
 * the class map covers exactly that rectangle of the frame.
 */
public final class FrameProcessor {
  private final int outH;
  private final int outW;
  private final boolean floatOut;
  private final float[] mul = new float[3];
  private final float[] add = new float[3];
  private final int lo;
  private final int hi;

  // geometry of the frames seen last; tables are rebuilt when it changes
  private int srcW = -1;
  private int srcH = -1;
  private int rowStride = -1;
  private int pixelStride = -1;
  private int rotation = -1;
  private int cropLeft;
  private int cropTop;
  private int cropWidth;
  private int cropHeight;
  private int[] colLo;
  private int[] colHi;
  private float[] colFrac;
  private int[] rowLo;
  private int[] rowHi;
  private float[] rowFrac;

  /**
   * For a model input of {@code height x width}: each channel's value is {@code pixel * mul + add};
   * float inputs take it as is, integer inputs as {@code clip(rint(value), lo, hi)}.
   */
  public FrameProcessor(int height, int width, boolean floatInput, float[] mul, float[] add,
      int lo, int hi) {
    this.outH = height;
    this.outW = width;
    this.floatOut = floatInput;
    System.arraycopy(mul, 0, this.mul, 0, 3);
    System.arraycopy(add, 0, this.add, 0, 3);
    this.lo = lo;
    this.hi = hi;
  }

  /** The processor for a model: its size, input type, normalization and quantization. */
  public static FrameProcessor forModel(ModelMetadata m) {
    float[] mul = new float[3];
    float[] add = new float[3];
    for (int c = 0; c < 3; c++) {
      if (m.normalizationInGraph) {
        mul[c] = 1f;
      } else {
        float divisor = (float) (1.0 / m.normalizationScale);
        mul[c] = 1f / (divisor * m.std[c]);
        add[c] = -m.mean[c] / m.std[c];
      }
      Quantization q = m.inputQuantization;
      if (q != null && m.inputType != TensorInfo.DType.FLOAT32) {
        mul[c] /= q.scale;
        add[c] = add[c] / q.scale + q.zeroPoint;
      }
    }
    boolean signed = m.inputType == TensorInfo.DType.INT8;
    return new FrameProcessor(m.inputHeight, m.inputWidth,
        m.inputType == TensorInfo.DType.FLOAT32, mul, add, signed ? -128 : 0, signed ? 127 : 255);
  }

  /** A buffer of the model's input size and type for {@link #process}. */
  public Preprocessor.ModelInput newInput() {
    int n = outH * outW * 3;
    return floatOut ? new Preprocessor.ModelInput(new float[n], null)
        : new Preprocessor.ModelInput(null, new byte[n]);
  }

  /**
   * Fills {@code target} from an RGBA (or RGBx) plane of a {@code width x height} frame that must
   * be turned {@code rotation} degrees clockwise to stand upright (CameraX's rotationDegrees).
   * {@code plane[offset]} is the first pixel's red byte.
   */
  public void process(byte[] plane, int offset, int width, int height, int rowStride,
      int pixelStride, int rotation, Preprocessor.ModelInput target) {
    configure(width, height, rowStride, pixelStride, rotation);
    int need = offset + (height - 1) * rowStride + (width - 1) * pixelStride + 3;
    if (plane.length < need) {
      throw new IllegalArgumentException("the plane holds " + plane.length + " bytes, the frame "
          + "needs " + need);
    }
    float[] floats = target.floats;
    byte[] bytes = target.bytes;
    float m0 = mul[0], m1 = mul[1], m2 = mul[2];
    float a0 = add[0], a1 = add[1], a2 = add[2];
    int o = 0;
    for (int y = 0; y < outH; y++) {
      int rl = offset + rowLo[y];
      int rh = offset + rowHi[y];
      float fy = rowFrac[y];
      for (int x = 0; x < outW; x++) {
        int cl = colLo[x];
        int ch = colHi[x];
        float fx = colFrac[x];
        int p00 = rl + cl;
        int p01 = rl + ch;
        int p10 = rh + cl;
        int p11 = rh + ch;
        float r = lerp(plane, p00, p01, p10, p11, fx, fy) * m0 + a0;
        float g = lerp(plane, p00 + 1, p01 + 1, p10 + 1, p11 + 1, fx, fy) * m1 + a1;
        float b = lerp(plane, p00 + 2, p01 + 2, p10 + 2, p11 + 2, fx, fy) * m2 + a2;
        if (floats != null) {
          floats[o] = r;
          floats[o + 1] = g;
          floats[o + 2] = b;
        } else {
          bytes[o] = clip(r);
          bytes[o + 1] = clip(g);
          bytes[o + 2] = clip(b);
        }
        o += 3;
      }
    }
  }

  private static float lerp(byte[] p, int i00, int i01, int i10, int i11, float fx, float fy) {
    float v00 = p[i00] & 0xff;
    float v01 = p[i01] & 0xff;
    float v10 = p[i10] & 0xff;
    float v11 = p[i11] & 0xff;
    float top = v00 + (v01 - v00) * fx;
    float bottom = v10 + (v11 - v10) * fx;
    return top + (bottom - top) * fy;
  }

  private byte clip(float v) {
    int q = (int) Math.rint(v);
    return (byte) (q < lo ? lo : q > hi ? hi : q);
  }

  /** Left edge of the crop in the upright frame, pixels (valid after the first frame). */
  public int cropLeft() {
    return cropLeft;
  }

  public int cropTop() {
    return cropTop;
  }

  public int cropWidth() {
    return cropWidth;
  }

  public int cropHeight() {
    return cropHeight;
  }

  /** Builds the sampling tables when the frame geometry changes (once per camera session). */
  void configure(int width, int height, int rowStride, int pixelStride, int rotation) {
    int turns = ((rotation % 360) + 360) % 360;
    if (turns % 90 != 0) {
      throw new IllegalArgumentException("rotation must be a multiple of 90 degrees, got "
          + rotation);
    }
    if (pixelStride < 3 || rowStride < width * pixelStride) {
      throw new IllegalArgumentException("bad RGBA strides: row " + rowStride + ", pixel "
          + pixelStride + " for width " + width);
    }
    if (width == srcW && height == srcH && rowStride == this.rowStride
        && pixelStride == this.pixelStride && turns == this.rotation) {
      return;
    }
    boolean swap = turns == 90 || turns == 270;
    int uprightW = swap ? height : width;
    int uprightH = swap ? width : height;
    // the largest centred rectangle of the model's aspect (outW : outH)
    if ((long) uprightW * outH > (long) uprightH * outW) {
      cropHeight = uprightH;
      cropWidth = (int) Math.max(1, Math.round((double) uprightH * outW / outH));
    } else {
      cropWidth = uprightW;
      cropHeight = (int) Math.max(1, Math.round((double) uprightW * outH / outW));
    }
    cropLeft = (uprightW - cropWidth) / 2;
    cropTop = (uprightH - cropHeight) / 2;
    // an upright pixel (ux, uy) lies at byte colTerm(ux) + rowTerm(uy) of the sensor plane
    colLo = new int[outW];
    colHi = new int[outW];
    colFrac = new float[outW];
    rowLo = new int[outH];
    rowHi = new int[outH];
    rowFrac = new float[outH];
    axis(cropLeft, cropWidth, uprightW, outW, colLo, colHi, colFrac);
    axis(cropTop, cropHeight, uprightH, outH, rowLo, rowHi, rowFrac);
    for (int x = 0; x < outW; x++) {
      colLo[x] = colTerm(colLo[x], turns, width, height, rowStride, pixelStride);
      colHi[x] = colTerm(colHi[x], turns, width, height, rowStride, pixelStride);
    }
    for (int y = 0; y < outH; y++) {
      rowLo[y] = rowTerm(rowLo[y], turns, width, height, rowStride, pixelStride);
      rowHi[y] = rowTerm(rowHi[y], turns, width, height, rowStride, pixelStride);
    }
    this.srcW = width;
    this.srcH = height;
    this.rowStride = rowStride;
    this.pixelStride = pixelStride;
    this.rotation = turns;
  }

  /** Pixel-centre sampling of {@code out} points over [start, start + length) of {@code size}. */
  private static void axis(int start, int length, int size, int out, int[] lower, int[] upper,
      float[] frac) {
    float scale = (float) length / out;
    for (int i = 0; i < out; i++) {
      float src = start + (i + 0.5f) * scale - 0.5f;
      src = Math.max(0f, Math.min(src, size - 1));
      int l = (int) src; // src >= 0: truncation is floor
      lower[i] = l;
      upper[i] = Math.min(l + 1, size - 1);
      frac[i] = src - l;
    }
  }

  // RgbImage.rotate's mapping, inverted: where upright column ux / row uy comes from
  private static int colTerm(int ux, int turns, int w, int h, int rs, int ps) {
    switch (turns) {
      case 90: return (h - 1 - ux) * rs;
      case 180: return (w - 1 - ux) * ps;
      case 270: return ux * rs;
      default: return ux * ps;
    }
  }

  private static int rowTerm(int uy, int turns, int w, int h, int rs, int ps) {
    switch (turns) {
      case 90: return uy * ps;
      case 180: return (h - 1 - uy) * rs;
      case 270: return (w - 1 - uy) * ps;
      default: return uy * rs;
    }
  }
}
