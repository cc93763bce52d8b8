package ai.stdc.demo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.json.JSONObject;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The Java core reproduces, byte for byte, what {@code stdc_tf.visualize} made of the same
 * inputs: the model input, the class maps, the colour mask and the overlay.
 */
public class SharedVectorsTest {
  private static Vectors v;

  @BeforeClass
  public static void load() throws Exception {
    v = Vectors.load();
  }

  @Test
  public void realModelsCarryTheMetadataAndAgreeWithTheirTensors() throws Exception {
    for (JSONObject c : v.cases("model")) {
      byte[] file = v.bytes(c.getString("model"));
      ModelSpec spec = ModelSpec.read(file);
      ModelMetadata expected = v.metadata(c);
      assertEquals(expected.precision, spec.metadata.precision);
      assertEquals(expected.inputType, spec.input.type);
      assertEquals(expected.inputQuantization, spec.input.quantization);
      assertEquals(expected.outputQuantization, spec.output.quantization);
      assertEquals(c.getInt("output_height"), spec.outputHeight);
      assertEquals(c.getInt("output_width"), spec.outputWidth);
      assertArrayEquals(expected.classes, spec.metadata.classes);
      // the same JSON text as the file beside it, decoded from the flatbuffer
      // (the same values in the same order: org.json keeps the file's key order)
      assertEquals(new JSONObject(v.text(c.getString("metadata"))).toString(),
          new JSONObject(TfliteModel.read(file).metadataText(ModelMetadata.ENTRY_NAME)).toString());
    }
  }

  @Test
  public void memoryMappedLikeBuffersReadTheSame() throws Exception {
    JSONObject c = v.cases("model").get(0);
    byte[] file = v.bytes(c.getString("model"));
    ByteBuffer direct = ByteBuffer.allocateDirect(file.length).order(ByteOrder.BIG_ENDIAN);
    direct.put(file).flip();
    ModelSpec spec = ModelSpec.read(direct);
    assertEquals(ModelSpec.read(file).toString(), spec.toString());
  }

  @Test
  public void modelInputsMatch() throws Exception {
    RgbImage image = v.image();
    for (JSONObject c : v.cases("input")) {
      ModelMetadata m = v.metadata(c);
      Preprocessor.ModelInput input = new Preprocessor(m).prepare(image);
      String file = c.getString("input");
      if (input.floats != null) {
        float[] expected = v.floats(file);
        assertEquals(expected.length, input.floats.length);
        for (int i = 0; i < expected.length; i++) {
          assertEquals(c.get("name") + " value " + i, Float.floatToIntBits(expected[i]),
              Float.floatToIntBits(input.floats[i]));
        }
      } else {
        assertArrayEquals(c.get("name") + " input", v.bytes(file), input.bytes);
      }
    }
  }

  @Test
  public void classMapsMaskAndOverlayMatch() throws Exception {
    RgbImage image = v.image();
    int alpha = v.alpha();
    for (JSONObject c : v.cases("output")) {
      String name = c.getString("name");
      ModelMetadata m = v.metadata(c);
      Postprocessor post = new Postprocessor(m, c.getInt("output_height"),
          c.getInt("output_width"));
      String output = c.getString("output");
      ClassMap classes;
      ClassMap full;
      if (m.outputType == TensorInfo.DType.FLOAT32) {
        classes = post.classes(v.floats(output));
        full = post.classesAt(v.floats(output), image.height, image.width);
      } else {
        classes = post.classes(v.bytes(output));
        full = post.classesAt(v.bytes(output), image.height, image.width);
      }
      assertArrayEquals(name + " classes", v.bytes(c.getString("classes")), classes.ids);
      assertArrayEquals(name + " classes at image size", v.bytes(c.getString("classes_full")),
          full.ids);
      assertArrayEquals(name + " mask", v.bytes(c.getString("mask")),
          rgba(Overlay.colorize(classes, m.palette, alpha)));
      assertArrayEquals(name + " overlay", v.bytes(c.getString("overlay")),
          Overlay.blend(image, full, m.palette, alpha).rgb);
    }
  }

  @Test
  public void opacityGivesTheStoredAlpha() throws Exception {
    assertEquals(v.alpha(), Overlay.alpha(v.manifest.getDouble("opacity")));
  }

  /** Android colour ints → the RGBA bytes the Python side stores. */
  private static byte[] rgba(int[] argb) {
    byte[] out = new byte[argb.length * 4];
    for (int i = 0; i < argb.length; i++) {
      out[4 * i] = (byte) (argb[i] >> 16);
      out[4 * i + 1] = (byte) (argb[i] >> 8);
      out[4 * i + 2] = (byte) argb[i];
      out[4 * i + 3] = (byte) (argb[i] >>> 24);
    }
    return out;
  }
}
