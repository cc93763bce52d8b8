package ai.stdc.demo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import org.junit.Test;

/** Live frames: turned upright, centre-cropped to the model's aspect (not stretched), quantized. */
public class FrameProcessorTest {
  private static final float[] ONES = {1f, 1f, 1f};
  private static final float[] ZEROS = {0f, 0f, 0f};

  /** Raw pixels in, uint8 out: what a model with normalization in the graph takes. */
  private static FrameProcessor raw(int h, int w) {
    return new FrameProcessor(h, w, false, ONES, ZEROS, 0, 255);
  }

  /** {@code image} as an RGBA plane with padded rows, as CameraX may deliver it. */
  private static byte[] rgba(RgbImage image, int rowStride) {
    byte[] plane = new byte[rowStride * image.height];
    for (int y = 0; y < image.height; y++) {
      for (int x = 0; x < image.width; x++) {
        System.arraycopy(image.rgb, 3 * (y * image.width + x), plane, y * rowStride + 4 * x, 3);
        plane[y * rowStride + 4 * x + 3] = (byte) 255;
      }
    }
    return plane;
  }

  private static RgbImage pattern(int w, int h) {
    byte[] rgb = new byte[w * h * 3];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) (i * 37 + 11);
    }
    return new RgbImage(w, h, rgb);
  }

  /** The centre {@code w x h} of {@code image}. */
  private static byte[] crop(RgbImage image, int left, int top, int w, int h) {
    byte[] out = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      System.arraycopy(image.rgb, 3 * ((top + y) * image.width + left), out, 3 * y * w, 3 * w);
    }
    return out;
  }

  @Test
  public void aPortraitFrameIsCroppedToTheModelsAspectNotStretched() {
    FrameProcessor p = raw(512, 1024);
    // a 640x480 sensor frame turned 90 degrees is a 480x640 portrait picture
    p.configure(640, 480, 640 * 4, 4, 90);
    assertEquals(0, p.cropLeft());
    assertEquals(480, p.cropWidth());
    assertEquals(240, p.cropHeight()); // 480 / 240 = 1024 / 512
    assertEquals(200, p.cropTop());
    p.configure(640, 480, 640 * 4, 4, 0); // landscape 640x480: full height, 960 would be too wide
    assertEquals(640, p.cropWidth());
    assertEquals(320, p.cropHeight());
    assertEquals(80, p.cropTop());
  }

  @Test
  public void atOneToOneScaleEveryRotationGivesTheUprightCentre() {
    RgbImage sensor = pattern(6, 4);
    for (int degrees : new int[] {0, 90, 180, 270}) {
      RgbImage upright = sensor.rotate(degrees);
      // model 2 rows x (upright width) columns: the crop is the middle rows, at 1:1 scale
      int h = 2;
      int w = upright.width;
      FrameProcessor p = raw(h, w);
      Preprocessor.ModelInput out = p.newInput();
      int rowStride = 6 * 4 + 8; // padded rows
      p.process(rgba(sensor, rowStride), 0, 6, 4, rowStride, 4, degrees, out);
      assertEquals(upright.width, p.cropWidth());
      assertArrayEquals("rotation " + degrees,
          crop(upright, p.cropLeft(), p.cropTop(), w, h), out.bytes);
    }
  }

  @Test
  public void downscalingSamplesPixelCentresInsideTheCrop() {
    // 8x4 frame whose value is 10 * column; a 2x2 model sees the centre 4x4 square
    byte[] rgb = new byte[8 * 4 * 3];
    for (int i = 0; i < 8 * 4; i++) {
      int v = 10 * (i % 8);
      rgb[3 * i] = (byte) v;
      rgb[3 * i + 1] = (byte) v;
      rgb[3 * i + 2] = (byte) v;
    }
    FrameProcessor p = raw(2, 2);
    Preprocessor.ModelInput out = p.newInput();
    p.process(rgba(new RgbImage(8, 4, rgb), 32), 0, 8, 4, 32, 4, 0, out);
    assertEquals(2, p.cropLeft());
    // output pixels sample upright columns 2.5 and 4.5: values 25 and 45, on both rows
    assertArrayEquals(new byte[] {25, 25, 25, 45, 45, 45, 25, 25, 25, 45, 45, 45}, out.bytes);
  }

  @Test
  public void normalizationAndQuantizationMatchThePreprocessorOnFlatColour() throws Exception {
    org.json.JSONObject meta = Vectors.load().json("fp32.json");
    ModelMetadata fp32 = ModelMetadata.parse(meta.toString());
    RgbImage flat = new RgbImage(4, 2, new byte[] {
        (byte) 200, 100, 30, (byte) 200, 100, 30, (byte) 200, 100, 30, (byte) 200, 100, 30,
        (byte) 200, 100, 30, (byte) 200, 100, 30, (byte) 200, 100, 30, (byte) 200, 100, 30});
    FrameProcessor p = FrameProcessor.forModel(fp32);
    Preprocessor.ModelInput out = p.newInput();
    p.process(rgba(flat, 16), 0, 4, 2, 16, 4, 0, out);
    float[] expected = new Preprocessor(fp32).prepare(flat).floats; // any size: flat colour
    for (int i = 0; i < 3; i++) {
      assertEquals(expected[i], out.floats[out.floats.length - 3 + i], 1e-5f);
    }
  }

  @Test
  public void integerInputIsClippedAndRoundedHalfToEven() {
    FrameProcessor p = new FrameProcessor(1, 1, false, new float[] {2f, 1f, 1f},
        new float[] {-128f, 0.5f, 1.5f}, -128, 127);
    Preprocessor.ModelInput out = p.newInput();
    p.process(new byte[] {(byte) 255, 0, 0, 0}, 0, 1, 1, 4, 4, 0, out);
    assertArrayEquals(new byte[] {127, 0, 2}, out.bytes); // 382 → 127; 0.5 → 0; 1.5 → 2
  }

  @Test
  public void theColourTableColoursIdsAndLeavesUnknownOnesClear() {
    int[] lut = Overlay.lut(new Palette(new int[] {0x102030, 0x405060}), 128);
    int[] out = new int[3];
    Overlay.colorize(new byte[] {1, 0, (byte) 255}, lut, out);
    assertArrayEquals(new int[] {0x80405060, 0x80102030, 0}, out);
  }
}
