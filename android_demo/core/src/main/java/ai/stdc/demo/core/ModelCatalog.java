package ai.stdc.demo.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * The bundled models for the precision switcher: each .tflite asset with its metadata, in a
 * fixed order (fp32, fp16, int8, qat, then any other precision by name).
 */
public final class ModelCatalog {
  public static final String[] PRECISIONS = {"fp32", "fp16", "int8", "qat"};

  private ModelCatalog() {}

  /** One bundled model. */
  public static final class Entry {
    public final String asset;
    public final ModelSpec spec;

    public Entry(String asset, ModelSpec spec) {
      this.asset = asset;
      this.spec = spec;
    }

    /** "int8 · stdc1_seg50 · 512x1024" for the switcher. */
    public String label() {
      ModelMetadata m = spec.metadata;
      return m.precision + " · " + m.name() + " · "
          + m.inputHeight + "x" + m.inputWidth;
    }
  }

  /** {@code entries} in switcher order; ties by asset name. */
  public static List<Entry> sorted(List<Entry> entries) {
    List<Entry> out = new ArrayList<>(entries);
    Collections.sort(out, new Comparator<Entry>() {
      @Override
      public int compare(Entry a, Entry b) {
        int ra = rank(a.spec.metadata.precision);
        int rb = rank(b.spec.metadata.precision);
        if (ra != rb) {
          return ra - rb;
        }
        int byPrecision = a.spec.metadata.precision.compareTo(b.spec.metadata.precision);
        return byPrecision != 0 ? byPrecision : a.asset.compareTo(b.asset);
      }
    });
    return out;
  }

  private static int rank(String precision) {
    for (int i = 0; i < PRECISIONS.length; i++) {
      if (PRECISIONS[i].equals(precision)) {
        return i;
      }
    }
    return PRECISIONS.length;
  }
}
