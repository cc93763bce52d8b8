package ai.stdc.demo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.Before;
import org.junit.Test;

/** Argmax rules (first maximum, NaN, signedness) and the evaluator-size path. */
public class PostprocessorTest {
  private Vectors v;

  @Before
  public void load() throws Exception {
    v = Vectors.load();
  }

  @Test
  public void firstMaximumWinsAndNaNIsTheMaximum() {
    float nan = Float.NaN;
    assertEquals(1, Postprocessor.argmax(new float[] {1, 3, 3, 2}, 0, 4));
    assertEquals(2, Postprocessor.argmax(new float[] {1, 3, nan, 9, nan}, 0, 5));
    assertEquals(0, Postprocessor.argmax(new float[] {nan, 3, nan}, 0, 3));
    assertEquals(0, Postprocessor.argmax(new float[] {-0f, 0f}, 0, 2));
    assertEquals(1, Postprocessor.argmax(new float[] {9, 1, 0, 2}, 2, 2)); // offset window
  }

  @Test
  public void quantizedLogitsCompareWithTheirSign() throws Exception {
    // int8: -128 < 127; uint8: the same bytes read 128 > 127
    byte[] logits = {(byte) 0x80, 0x7f};
    assertArrayEquals(new byte[] {1}, post("int8", 1, 1, 2).classes(logits).ids);
    assertArrayEquals(new byte[] {0}, post("uint8", 1, 1, 2).classes(logits).ids);
  }

  @Test
  public void atTheModelsOwnSizeTheEvaluatorPathGivesTheSameMap() throws Exception {
    JSONObject c = v.cases("model").get(0);
    Postprocessor p = new Postprocessor(ModelSpec.read(v.bytes(c.getString("model"))));
    float[] logits = v.floats(c.getString("output"));
    assertArrayEquals(p.classes(logits).ids, p.classesAt(logits, 16, 24).ids);
  }

  @Test
  public void wrongOutputsAreRefused() throws Exception {
    Postprocessor p = post("float32", 2, 2, 19);
    expectRefusal(p, new float[10], "holds 76 values");
    Postprocessor q = post("int8", 2, 2, 19);
    try {
      q.classes(new float[76]);
      fail("float logits accepted by an int8 model");
    } catch (IllegalArgumentException e) {
      assertEquals("the model outputs int8 logits, not float32 logits", e.getMessage());
    }
  }

  @Test
  public void int32ClassMapsAreChecked() throws Exception {
    JSONObject meta = v.json("classes.json");
    ModelMetadata m = ModelMetadata.parse(meta.toString());
    Postprocessor p = new Postprocessor(m, 1, 3);
    assertArrayEquals(new byte[] {0, 18, (byte) 255}, p.classes(new int[] {0, 18, 255}).ids);
    try {
      p.classes(new int[] {0, 1, 256});
      fail("class id 256 accepted");
    } catch (IllegalArgumentException e) {
      assertEquals("class id 256 is outside 0..255", e.getMessage());
    }
  }

  private Postprocessor post(String dtype, int h, int w, int classes) throws Exception {
    JSONObject meta = v.json("int8.json");
    JSONObject out = meta.getJSONObject("output");
    out.put("dtype", dtype);
    if (dtype.equals("float32")) {
      out.put("quantization", JSONObject.NULL);
    } else {
      out.put("quantization", new JSONObject().put("scale", 0.1).put("zero_point", 0));
    }
    if (classes != 19) {
      out.put("num_classes", classes);
      meta.put("classes", first(meta.getJSONArray("classes"), classes));
      meta.put("palette", first(meta.getJSONArray("palette"), classes));
    }
    return new Postprocessor(ModelMetadata.parse(meta.toString()), h, w);
  }

  private static JSONArray first(JSONArray a, int n) throws Exception {
    JSONArray out = new JSONArray();
    for (int i = 0; i < n; i++) {
      out.put(a.get(i));
    }
    return out;
  }

  private static void expectRefusal(Postprocessor p, float[] logits, String text) {
    try {
      p.classes(logits);
      fail("accepted " + logits.length + " logits");
    } catch (IllegalArgumentException e) {
      assertEquals(true, e.getMessage().contains(text));
    }
  }
}
