package ai.stdc.demo.core;

/**
 * The evaluator's resizes, bit for bit (see {@code stdc_tf/visualize.py}): bilinear with aligned
 * corners (TensorFlow's {@code ResizeBilinear(align_corners=True)}) for images and logits, and
 * TensorFlow's legacy nearest neighbour for class maps. All arithmetic is float32 in the same
 * order as TensorFlow's kernel, so results are identical, not merely close.
 *
 * <p>Images are resized a row at a time ({@link #bilinearRows}), so callers can normalize,
 * quantize or argmax each row without holding a full-size float copy.
 */
public final class Resize {
  private Resize() {}

  /** Where each output position samples along one axis. */
  static final class Axis {
    final int[] lower;
    final int[] upper;
    final float[] frac;

    Axis(int in, int out) {
      float scale = out > 1 ? (float) (in - 1) / (float) (out - 1) : (float) in / (float) out;
      lower = new int[out];
      upper = new int[out];
      frac = new float[out];
      for (int i = 0; i < out; i++) {
        float src = (float) i * scale;
        float low = (float) Math.floor(src);
        lower[i] = Math.max((int) low, 0);
        upper[i] = Math.min((int) Math.ceil(src), in - 1);
        frac[i] = src - low;
      }
    }
  }

  /** A source image read one row at a time as float32 ({@code width * channels} values). */
  public interface Rows {
    void load(int y, float[] row);
  }

  /** Receives each resized row ({@code outWidth * channels} values; the array is reused). */
  public interface RowSink {
    void accept(int y, float[] row);
  }

  /** Bilinear, aligned corners, from {@code src} ({@code inH x inW x c}) to {@code outH x outW}. */
  public static void bilinearRows(Rows src, int inH, int inW, int c, int outH, int outW,
      RowSink sink) {
    Axis ys = new Axis(inH, outH);
    Axis xs = new Axis(inW, outW);
    float[] top = new float[inW * c];
    float[] bottom = new float[inW * c];
    float[] out = new float[outW * c];
    int loadedTop = -1;
    int loadedBottom = -1;
    for (int y = 0; y < outH; y++) {
      if (ys.lower[y] != loadedTop) {
        src.load(ys.lower[y], top);
        loadedTop = ys.lower[y];
      }
      if (ys.upper[y] != loadedBottom) {
        src.load(ys.upper[y], bottom);
        loadedBottom = ys.upper[y];
      }
      float fy = ys.frac[y];
      for (int x = 0; x < outW; x++) {
        int l = xs.lower[x] * c;
        int u = xs.upper[x] * c;
        float fx = xs.frac[x];
        for (int k = 0; k < c; k++) {
          float t = top[l + k] + (top[u + k] - top[l + k]) * fx;
          float b = bottom[l + k] + (bottom[u + k] - bottom[l + k]) * fx;
          out[x * c + k] = t + (b - t) * fy;
        }
      }
      sink.accept(y, out);
    }
  }

  /** Rows of an RGB image as float32 pixel values 0..255. */
  public static Rows rows(final RgbImage image) {
    return new Rows() {
      @Override
      public void load(int y, float[] row) {
        int base = y * image.width * 3;
        for (int i = 0; i < image.width * 3; i++) {
          row[i] = (float) (image.rgb[base + i] & 0xff);
        }
      }
    };
  }

  /** Rows of a float32 {@code h x w x c} array. */
  public static Rows rows(final float[] values, final int width, final int channels) {
    return new Rows() {
      @Override
      public void load(int y, float[] row) {
        System.arraycopy(values, y * width * channels, row, 0, width * channels);
      }
    };
  }

  /** Bilinear resize of a whole {@code h x w x c} float32 array. */
  public static float[] bilinear(float[] values, int h, int w, int c, int outH, int outW) {
    final float[] out = new float[outH * outW * c];
    final int rowLength = outW * c;
    bilinearRows(rows(values, w, c), h, w, c, outH, outW, new RowSink() {
      @Override
      public void accept(int y, float[] row) {
        System.arraycopy(row, 0, out, y * rowLength, rowLength);
      }
    });
    return out;
  }

  /** Nearest neighbour for class maps: {@code src = min(floor(i * (in / out)), in - 1)}. */
  public static ClassMap nearest(ClassMap map, int outH, int outW) {
    int[] ys = nearestIndex(map.height, outH);
    int[] xs = nearestIndex(map.width, outW);
    byte[] out = new byte[outH * outW];
    for (int y = 0; y < outH; y++) {
      int row = ys[y] * map.width;
      for (int x = 0; x < outW; x++) {
        out[y * outW + x] = map.ids[row + xs[x]];
      }
    }
    return new ClassMap(outW, outH, out);
  }

  private static int[] nearestIndex(int in, int out) {
    float scale = (float) in / (float) out;
    int[] index = new int[out];
    for (int i = 0; i < out; i++) {
      index[i] = Math.min((int) Math.floor((float) i * scale), in - 1);
    }
    return index;
  }
}
