package ai.stdc.demo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import org.json.JSONObject;
import org.junit.Before;
import org.junit.Test;

/** Normalization, quantization and rounding on tiny images with known answers. */
public class PreprocessorTest {
  private JSONObject meta;

  @Before
  public void load() throws Exception {
    meta = Vectors.load().json("fp32.json");
  }

  @Test
  public void floatInputIsNormalizedLikeTheEvaluator() throws Exception {
    ModelMetadata m = variant(1, 1, "float32", false, null);
    RgbImage white = new RgbImage(1, 1, new byte[] {(byte) 255, (byte) 255, (byte) 255});
    Preprocessor.ModelInput x = new Preprocessor(m).prepare(white);
    assertNull(x.bytes);
    // x / 255 with 255 = 1 / (1/255) exactly, then (v - mean) / std in float32
    assertArrayEquals(new float[] {(1f - 0.485f) / 0.229f, (1f - 0.456f) / 0.224f,
        (1f - 0.406f) / 0.225f}, x.floats, 0);
  }

  @Test
  public void rawPixelsRoundHalfToEven() throws Exception {
    // 1x2 → 1x3 puts a sample half-way between the two pixels
    ModelMetadata m = variant(1, 3, "uint8", true, null);
    RgbImage image = new RgbImage(2, 1, new byte[] {0, 1, 2, 1, 2, 5});
    byte[] q = new Preprocessor(m).prepare(image).bytes;
    // mid values 0.5, 1.5, 3.5 round to 0, 2, 4
    assertArrayEquals(new byte[] {0, 1, 2, 0, 2, 4, 1, 2, 5}, q);
  }

  @Test
  public void quantizedInputIsClippedToItsType() throws Exception {
    ModelMetadata m = variant(1, 1, "int8", false, 0.01);
    RgbImage image = new RgbImage(1, 1, new byte[] {0, (byte) 255, 117});
    byte[] q = new Preprocessor(m).prepare(image).bytes;
    // normalized R = -2.12 → -212 → -128; G = 2.43 → 243 → 127; B = 117/255 ≈ mean → near 0
    assertEquals(-128, q[0]);
    assertEquals(127, q[1]);
    float b = ((117f / 255f) - 0.406f) / 0.225f;
    assertEquals((int) Math.rint(b / 0.01f), q[2]);
  }

  @Test
  public void aReusedBufferIsOverwrittenCompletely() throws Exception {
    Preprocessor p = new Preprocessor(variant(2, 2, "uint8", true, null));
    Preprocessor.ModelInput buffer = p.newInput();
    byte[] a = new byte[12];
    java.util.Arrays.fill(a, (byte) 9);
    p.prepare(new RgbImage(2, 2, a), buffer);
    p.prepare(new RgbImage(2, 2, new byte[12]), buffer);
    assertArrayEquals(new byte[12], buffer.bytes);
  }

  private ModelMetadata variant(int h, int w, String dtype, boolean inGraph, Double scale)
      throws Exception {
    JSONObject input = meta.getJSONObject("input");
    input.put("height", h);
    input.put("width", w);
    input.put("dtype", dtype);
    input.getJSONObject("normalization").put("in_graph", inGraph);
    input.put("quantization", scale == null ? JSONObject.NULL
        : new JSONObject().put("scale", scale).put("zero_point", 0));
    return ModelMetadata.parse(meta.toString());
  }
}
