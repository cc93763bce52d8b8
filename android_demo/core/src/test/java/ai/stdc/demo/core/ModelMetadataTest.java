package ai.stdc.demo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Test;

/** Parsing and checking the "stdc_tf" metadata; every refusal names the field. */
public class ModelMetadataTest {
  private Map<String, Object> meta;

  @Before
  public void load() throws Exception {
    meta = Vectors.load().json("quantized_input.json");
  }

  @Test
  public void readsTheVectorsMetadata() throws Exception {
    ModelMetadata m = ModelMetadata.parse(JsonText.of(meta));
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
  public void aNewerMinorSchemaVersionIsRead() throws Exception {
    meta.put("schema", "stdc_tf.segmentation/1.3");
    ModelMetadata.parse(JsonText.of(meta));
  }

  @Test
  public void badFieldsAreNamed() throws Exception {
    refused("schema", "stdc_tf.segmentation/2", "schema version 2");
    refused("schema", "tflite_support", "schema is \"tflite_support\"");
    refusedIn("input", "height", -3.0, "input.height must be positive");
    refusedIn("input", "height", 1.5, "input.height must be an integer");
    refusedIn("input", "layout", "NCHW", "input.layout is \"NCHW\"");
    refusedIn("input", "color", "BGR", "input.color is \"BGR\"");
    refusedIn("input", "dtype", "float16", "input.dtype \"float16\"");
    refusedIn("input", "quantization", null, "input.quantization is needed");
    refusedIn("output", "kind", "probabilities", "output.kind is \"probabilities\"");
    refusedIn("output", "quantization", null, "output.quantization is needed for int8 logits");
    refusedIn("output", "num_classes", 20.0, "classes has 19 entries; output.num_classes is 20");
    refused("ignore_index", 3.0, "ignore_index 3 is also a class index");
    refused("classes", null, "classes must be a list");
    List<Object> palette = list("palette");
    palette.set(2, Arrays.asList(1.0, 2.0, 300.0));
    refused("palette", palette, "palette[2] has a channel outside 0..255");
    meta.remove("precision");
    expectRefusal("precision is missing");
  }

  @Test
  public void notJsonIsAModelException() {
    try {
      ModelMetadata.parse("{\"schema\": ");
      fail("parsed broken JSON");
    } catch (ModelException e) {
      assertTrue(e.getMessage().startsWith("model metadata is not valid JSON"));
    }
  }

  @Test
  public void specRefusesTensorsTheMetadataDoesNotDescribe() throws Exception {
    ModelMetadata m = ModelMetadata.parse(JsonText.of(meta));
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

  @SuppressWarnings("unchecked")
  private List<Object> list(String key) {
    return new java.util.ArrayList<>((List<Object>) meta.get(key));
  }

  private void refused(String key, Object value, String message) {
    Object old = meta.put(key, value);
    expectRefusal(message);
    meta.put(key, old);
  }

  @SuppressWarnings("unchecked")
  private void refusedIn(String section, String key, Object value, String message) {
    Map<String, Object> s = (Map<String, Object>) meta.get(section);
    Object old = s.put(key, value);
    expectRefusal(message);
    s.put(key, old);
  }

  private void expectRefusal(String message) {
    try {
      ModelMetadata.parse(JsonText.of(meta));
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
