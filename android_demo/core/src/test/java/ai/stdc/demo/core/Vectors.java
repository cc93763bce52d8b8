package ai.stdc.demo.core;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONObject;

/**
 * The shared vectors in {@code tests/data/android} (made by {@code tests/android_vectors.py}).
 * The folder comes from the {@code stdc.vectors} system property, else from the first
 * {@code tests/data/android} above the working directory; a missing folder fails the tests.
 */
final class Vectors {
  final File dir;
  final JSONObject manifest;

  private Vectors(File dir) throws Exception {
    this.dir = dir;
    this.manifest = new JSONObject(text("vectors.json"));
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

  RgbImage image() throws Exception {
    JSONObject image = manifest.getJSONObject("image");
    return new RgbImage(image.getInt("width"), image.getInt("height"),
        bytes(image.getString("file")));
  }

  int alpha() throws Exception {
    return manifest.getInt("alpha");
  }

  /** The cases that have {@code key} (e.g. "model", "input", "output"). */
  List<JSONObject> cases(String key) throws Exception {
    List<JSONObject> out = new ArrayList<>();
    JSONArray cases = manifest.getJSONArray("cases");
    for (int i = 0; i < cases.length(); i++) {
      if (cases.getJSONObject(i).has(key)) {
        out.add(cases.getJSONObject(i));
      }
    }
    if (out.isEmpty()) {
      throw new AssertionError("no vector case has \"" + key + "\"");
    }
    return out;
  }

  /** A metadata file of the vectors as a mutable JSON object, to build variants from. */
  JSONObject json(String name) throws Exception {
    return new JSONObject(text(name));
  }

  ModelMetadata metadata(JSONObject c) throws Exception {
    return ModelMetadata.parse(text(c.getString("metadata")));
  }
}
