package ai.stdc.demo.core;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * The key under which LiteRT caches a model's compiled GPU program ({@code GpuOptions.modelCacheKey}):
 * the asset's name, its size and a CRC-32 of its bytes, so a re-converted model with the same
 * file name is compiled afresh instead of loading a stale program.
 */
public final class ModelToken {
  private ModelToken() {}

  /** e.g. "stdc1_seg50_int8-3145728-1a2b3c4d": letters, digits, '_', '-' and '.' only. */
  public static String of(String asset, ByteBuffer model) {
    CRC32 crc = new CRC32();
    crc.update(model.duplicate()); // the caller's position is left alone
    String name = asset.substring(asset.lastIndexOf('/') + 1);
    if (name.endsWith(".tflite")) {
      name = name.substring(0, name.length() - ".tflite".length());
    }
    return name.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + model.remaining() + "-"
        + String.format(Locale.ROOT, "%08x", crc.getValue());
  }
}
