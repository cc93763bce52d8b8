package ai.stdc.demo.core;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The shared vectors in {@code tests/data/android} (made by {@code tests/android_vectors.py}).
 * The folder comes from the {@code stdc.vectors} system property, else from the first
 * {@code tests/data/android} above the working directory; a missing folder fails the tests.
 */
final class Vectors {
  final File dir;
  final Map<String, Object> manifest;

  private Vectors(File dir) throws Exception {
    this.dir = dir;
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) Json.parse(text("vectors.json"));
    this.manifest = m;
  }

  static Vectors load() throws Exception {
    String property = System.getProperty("stdc.vectors");
    if (property != null) {
      return new Vectors(new File(property));
    }
    for (File d = new File(System.getProperty("user.dir")).getAbsoluteFile(); d != null;
        d = d.getParentFile()) {
      File candidate = new File(d, "tests/data/android");
      if (new File(candidate, "vectors.json").isFile()) {
        return new Vectors(candidate);
      }
    }
    throw new IOException("tests/data/android not found above " + System.getProperty("user.dir")
        + "; set -Dstdc.vectors=PATH");
  }

  byte[] bytes(String name) throws IOException {
    return Files.readAllBytes(new File(dir, name).toPath());
  }

  String text(String name) throws IOException {
    return new String(bytes(name), Charset.forName("UTF-8"));
  }

  float[] floats(String name) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes(name)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  RgbImage image() throws IOException {
    Map<String, Object> image = object(manifest, "image");
    return new RgbImage(integer(image, "width"), integer(image, "height"),
        bytes((String) image.get("file")));
  }

  int alpha() {
    return integer(manifest, "alpha");
  }

  /** The cases that have {@code key} (e.g. "model", "input", "output"). */
  List<Map<String, Object>> cases(String key) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object c : (List<?>) manifest.get("cases")) {
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) c;
      if (map.containsKey(key)) {
        out.add(map);
      }
    }
    if (out.isEmpty()) {
      throw new AssertionError("no vector case has \"" + key + "\"");
    }
    return out;
  }

  /** A metadata file of the vectors as a mutable JSON map, to build variants from. */
  @SuppressWarnings("unchecked")
  Map<String, Object> json(String name) throws Exception {
    return (Map<String, Object>) Json.parse(text(name));
  }

  ModelMetadata metadata(Map<String, Object> c) throws Exception {
    return ModelMetadata.parse(text((String) c.get("metadata")));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Map<String, Object> map, String key) {
    return (Map<String, Object>) map.get(key);
  }

  static int integer(Map<String, Object> map, String key) {
    return (int) (double) (Double) map.get(key);
  }

  static String string(Map<String, Object> map, String key) {
    return (String) map.get(key);
  }
}
