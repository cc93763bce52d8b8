package ai.stdc.demo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.Before;
import org.junit.Test;

/**
 * Parsing (Android's org.json) and checking the "stdc_tf" metadata; every refusal names the
 * field. The strictness is the metadata reader's own: org.json alone would coerce "16" to 16.
 */
public class ModelMetadataTest {
  private JSONObject meta;

  @Before
  public void load() throws Exception {
    meta = Vectors.load().json("quantized_input.json");
  }

  @Test
  public void readsTheVectorsMetadata() throws Exception {
    ModelMetadata m = ModelMetadata.parse(meta.toString());
    assertEquals(16, m.inputHeight);
    assertEquals(24, m.inputWidth);
    assertEquals(TensorInfo.DType.UINT8, m.inputType);
    assertFalse(m.normalizationInGraph);
    assertEquals(new Quantization(0.0186f, 114), m.inputQuantization);
    assertArrayEquals(new float[] {0.485f, 0.456f, 0.406f}, m.mean, 0);
    assertEquals(ModelMetadata.OutputKind.LOGITS, m.outputKind);
    assertEquals(TensorInfo.DType.INT8, m.outputType);
    assertEquals(19, m.numClasses);
    assertEquals("road", m.classes[0]);
    assertEquals(0x804080, m.palette.rgb(0)); // Cityscapes road (128, 64, 128)
    assertEquals(255, m.ignoreIndex);
    assertNull(m.preset);
    assertNull(m.backbone); // the test model is not an STDC
    assertEquals("model int8", m.label());
  }

  @Test
  public void aNewerMinorSchemaVersionIsReadWithTheFieldsItAdds() throws Exception {
    meta.put("schema", "stdc_tf.segmentation/1.3");
    meta.put("license", "CC-BY-4.0");
    meta.getJSONObject("input").put("crop", "centre");
    assertEquals(16, ModelMetadata.parse(meta.toString()).inputHeight);
  }

  @Test
  public void inVersionOneAnUnknownKeyIsRefusedByItsPath() throws Exception {
    meta.getJSONObject("input").put("heigth", 16);
    expectRefusal("model metadata: input.heigth is not a field of stdc_tf.segmentation/1");
    meta.getJSONObject("input").remove("heigth");
    meta.getJSONObject("output").getJSONObject("quantization").put("zero", 3);
    expectRefusal("output.quantization.zero is not a field");
    meta.getJSONObject("output").getJSONObject("quantization").remove("zero");
    meta.put("schema", "stdc_tf.segmentation/1.0");
    meta.put("labels", new JSONArray());
    expectRefusal("labels is not a field");
  }

  @Test
  public void valuesOfTheWrongTypeAreNotCoerced() throws Exception {
    refusedIn("input", "height", "16", "input.height must be an integer");
    refusedIn("input", "width", true, "input.width must be an integer");
    refusedIn("input", "layout", 1, "input.layout must be a string");
    refusedIn("input", "normalization", "[]", "input.normalization must be an object");
    refusedIn("output", "num_classes", 19.5, "output.num_classes must be an integer");
    refusedIn("output", "quantization", 0.5, "output.quantization must be null or {");
    JSONObject norm = meta.getJSONObject("input").getJSONObject("normalization");
    norm.put("in_graph", "false");
    expectRefusal("input.normalization.in_graph must be true or false");
    norm.put("in_graph", false);
    norm.put("scale", "0.5");
    expectRefusal("input.normalization.scale must be a number");
    norm.put("scale", 1 / 255.0);
    norm.put("mean", new JSONArray(Arrays.asList(0.485, "0.456", 0.406)));
    expectRefusal("input.normalization.mean must hold 3 numbers");
    norm.put("mean", new JSONArray(Arrays.asList(0.485, 0.456, 0.406)));
    JSONArray classes = meta.getJSONArray("classes");
    classes.put(4, 4);
    expectRefusal("classes[4] must be a string");
    classes.put(4, "fence");
    meta.getJSONArray("palette").put(1, "#f423e8");
    expectRefusal("palette[1] must be [r, g, b]");
  }

  @Test
  public void numbersReadBackAsThePythonFloat32() throws Exception {
    // a float32 scale written by Python as its shortest double repr reads back as the same float
    float scale = 0.01865844801068306f;
    meta.getJSONObject("input").getJSONObject("quantization").put("scale", (double) scale);
    String text = meta.toString();
    assertTrue(text, text.contains("\"scale\":0.01865844801068306"));
    ModelMetadata m = ModelMetadata.parse(text);
    assertEquals(Float.floatToIntBits(scale), Float.floatToIntBits(m.inputQuantization.scale));
    assertEquals(1 / 255.0, m.normalizationScale, 0);
  }

  @Test
  public void badFieldsAreNamed() throws Exception {
    refused("schema", "stdc_tf.segmentation/2", "schema version 2");
    refused("schema", "tflite_support", "schema is \"tflite_support\"");
    refusedIn("input", "height", -3, "input.height must be positive");
    refusedIn("input", "height", 1.5, "input.height must be an integer");
    refusedIn("input", "layout", "NCHW", "input.layout is \"NCHW\"");
    refusedIn("input", "color", "BGR", "input.color is \"BGR\"");
    refusedIn("input", "dtype", "float16", "input.dtype \"float16\"");
    refusedIn("input", "quantization", JSONObject.NULL, "input.quantization is needed");
    refusedIn("output", "kind", "probabilities", "output.kind is \"probabilities\"");
    refusedIn("output", "quantization", JSONObject.NULL, "output.quantization is needed for int8 logits");
    refusedIn("output", "num_classes", 20, "classes has 19 entries; output.num_classes is 20");
    refused("ignore_index", 3, "ignore_index 3 is also a class index");
    refused("classes", JSONObject.NULL, "classes must be a list");
    JSONArray palette = new JSONArray(meta.getJSONArray("palette").toString());
    palette.put(2, new JSONArray(Arrays.asList(1, 2, 300)));
    refused("palette", palette, "palette[2] has a channel outside 0..255");
    meta.remove("precision");
    expectRefusal("precision is missing");
  }

  @Test
  public void notOneJsonObjectIsAModelException() throws Exception {
    StringBuilder deep = new StringBuilder("{\"a\": ");
    for (int i = 0; i < 1000000; i++) { // deeper than any thread's stack holds
      deep.append('[');
    }
    String[][] cases = {
        {"{\"schema\": ", "model metadata is not valid JSON: "},
        {meta + " {}", "model metadata is not valid JSON: text after the object"},
        {deep.toString(), "model metadata is not valid JSON: nested too deeply"},
        {"[1, 2]", "model metadata must be a JSON object"},
    };
    for (String[] c : cases) {
      try {
        ModelMetadata.parse(c[0]);
        fail("parsed " + c[0].substring(0, Math.min(40, c[0].length())));
      } catch (ModelException e) {
        assertTrue(e.getMessage(), e.getMessage().startsWith(c[1]));
      }
    }
  }

  @Test
  public void specRefusesTensorsTheMetadataDoesNotDescribe() throws Exception {
    ModelMetadata m = ModelMetadata.parse(meta.toString());
    Quantization in = m.inputQuantization;
    Quantization out = m.outputQuantization;
    TensorInfo input = new TensorInfo("x", TensorInfo.DType.UINT8.code, new int[] {1, 16, 24, 3}, in);
    TensorInfo output = new TensorInfo("y", TensorInfo.DType.INT8.code, new int[] {1, 8, 12, 19}, out);
    ModelSpec spec = ModelSpec.of(m, input, output);
    assertEquals(8, spec.outputHeight);
    assertEquals(12, spec.outputWidth);

    specRefused(m, new TensorInfo("x", 3, new int[] {1, 32, 24, 3}, in), output,
        "input size is 32x24 but its metadata says 16x24");
    specRefused(m, new TensorInfo("x", 0, new int[] {1, 16, 24, 3}, null), output,
        "input type is float32 but its metadata says uint8");
    specRefused(m, new TensorInfo("x", 3, new int[] {1, 16, 24, 3}, new Quantization(0.5f, 3)),
        output, "input quantization is scale 0.5, zero point 3");
    specRefused(m, input, new TensorInfo("y", 9, new int[] {1, 8, 12, 21}, out),
        "does not hold 19 class logits");
    specRefused(m, new TensorInfo("x", 3, new int[] {1, 3, 16, 24}, in), output,
        "is not one RGB image");
    specRefused(m, input, new TensorInfo("y", 1, new int[] {1, 8, 12, 19}, null),
        "output type is schema type 1");
  }

  private void refused(String key, Object value, String message) throws Exception {
    Object old = meta.opt(key);
    meta.put(key, value);
    expectRefusal(message);
    meta.put(key, old);
  }

  private void refusedIn(String section, String key, Object value, String message)
      throws Exception {
    JSONObject s = meta.getJSONObject(section);
    Object old = s.opt(key);
    s.put(key, value);
    expectRefusal(message);
    s.put(key, old);
  }

  private void expectRefusal(String message) {
    try {
      ModelMetadata.parse(meta.toString());
      fail("accepted metadata that should fail with: " + message);
    } catch (ModelException e) {
      assertTrue("\"" + e.getMessage() + "\" lacks \"" + message + "\"",
          e.getMessage().contains(message));
    }
  }

  private static void specRefused(ModelMetadata m, TensorInfo in, TensorInfo out, String message) {
    try {
      ModelSpec.of(m, in, out);
      fail("accepted tensors that should fail with: " + message);
    } catch (ModelException e) {
      assertTrue("\"" + e.getMessage() + "\" lacks \"" + message + "\"",
          e.getMessage().contains(message));
    }
  }
}
