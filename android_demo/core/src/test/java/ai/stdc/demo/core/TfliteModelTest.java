package ai.stdc.demo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import org.junit.BeforeClass;
import org.junit.Test;

/** The flatbuffer reader on real converted models, and on broken copies of them. */
public class TfliteModelTest {
  private static Vectors v;
  private static byte[] fp32;
  private static byte[] int8;

  @BeforeClass
  public static void load() throws Exception {
    v = Vectors.load();
    fp32 = v.bytes("fp32.tflite");
    int8 = v.bytes("int8.tflite");
  }

  @Test
  public void readsTheTensorsOfARealModel() throws Exception {
    TfliteModel m = TfliteModel.read(int8);
    assertEquals(1, m.inputCount());
    assertEquals(1, m.outputCount());
    TensorInfo in = m.input(0);
    TensorInfo out = m.output(0);
    assertEquals(TensorInfo.DType.UINT8, in.type);
    assertEquals(TensorInfo.DType.INT8, out.type);
    assertArrayEquals(new int[] {1, 16, 24, 3}, in.shape);
    assertArrayEquals(new int[] {1, 16, 24, 19}, out.shape);
    assertNull(in.quantization); // raw pixels: the normalization is in the graph
    assertNotNull(out.quantization);
    assertEquals(v.metadata(v.cases("model").get(1)).outputQuantization, out.quantization);
    TensorInfo floatIn = TfliteModel.read(fp32).input(0);
    assertEquals(TensorInfo.DType.FLOAT32, floatIn.type);
    assertNull(floatIn.quantization);
  }

  @Test
  public void aModelWithoutMetadataIsRefusedWithAHint() throws Exception {
    byte[] plain = v.bytes(v.manifest.getString("without_metadata"));
    assertNull(TfliteModel.read(plain).metadata(ModelMetadata.ENTRY_NAME));
    try {
      ModelSpec.read(plain);
      fail("read a model without metadata");
    } catch (ModelException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("no \"stdc_tf\" metadata"));
      assertTrue(e.getMessage(), e.getMessage().contains("to_tflite.py"));
    }
  }

  @Test
  public void otherMetadataNamesAreNotFound() throws Exception {
    assertNull(TfliteModel.read(fp32).metadata("TFLITE_METADATA"));
  }

  @Test
  public void aForeignFileIsRefused() {
    expectModelException(new byte[] {1, 2, 3}, "only 3 bytes");
    byte[] png = Arrays.copyOf(fp32, fp32.length);
    png[4] = 'P';
    expectModelException(png, "file identifier");
  }

  @Test
  public void everyTruncationGivesAModelExceptionOrTheSameAnswer() throws Exception {
    String full = ModelSpec.read(fp32).toString();
    for (int n = 8; n < fp32.length; n += 3) {
      byte[] cut = Arrays.copyOf(fp32, n);
      try {
        assertEquals(full, ModelSpec.read(cut).toString());
      } catch (ModelException expected) {
        // the one failure a broken file may cause
      }
    }
  }

  @Test
  public void corruptBytesNeverEscapeAsAnotherException() throws Exception {
    for (int i = 8; i < int8.length; i++) {
      byte[] bad = int8.clone();
      bad[i] ^= (byte) 0xa5;
      try {
        ModelSpec.read(bad);
      } catch (ModelException expected) {
        // fine: named as a model problem
      }
    }
  }

  private static void expectModelException(byte[] file, String text) {
    try {
      TfliteModel.read(file);
      fail("read a broken model");
    } catch (ModelException e) {
      assertTrue(e.getMessage(), e.getMessage().contains(text));
    }
  }
}
