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
  /** Bytes copied out of a direct (memory-mapped) buffer per CRC update. */
  static final int CHUNK = 64 * 1024;

  private ModelToken() {}

  /** e.g. "stdc1_seg50_int8-3145728-1a2b3c4d": letters, digits, '_', '-' and '.' only. */
  public static String of(String asset, ByteBuffer model) {
    String name = asset.substring(asset.lastIndexOf('/') + 1);
    if (name.endsWith(".tflite")) {
      name = name.substring(0, name.length() - ".tflite".length());
    }
    return name.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + model.remaining() + "-"
        + String.format(Locale.ROOT, "%08x", crc32(model));
  }

  /**
   * CRC-32 of the bytes from {@code buffer}'s position to its limit; the position is left alone.
   * Fed through {@code CRC32.update(byte[], int, int)} (API 1): {@code update(ByteBuffer)} is
   * API 26 and the app's minSdk is 24.
   */
  static long crc32(ByteBuffer buffer) {
    CRC32 crc = new CRC32();
    ByteBuffer view = buffer.duplicate();
    if (view.hasArray()) {
      crc.update(view.array(), view.arrayOffset() + view.position(), view.remaining());
      return crc.getValue();
    }
    byte[] chunk = new byte[Math.min(CHUNK, view.remaining())];
    while (view.hasRemaining()) {
      int n = Math.min(chunk.length, view.remaining());
      view.get(chunk, 0, n);
      crc.update(chunk, 0, n);
    }
    return crc.getValue();
  }
}
