package ai.stdc.demo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import org.junit.Test;

public class RgbImageTest {
  /** A 3x2 image whose red channel is the pixel number 1..6 (row-major). */
  private static RgbImage numbered() {
    byte[] rgb = new byte[18];
    for (int i = 0; i < 6; i++) {
      rgb[3 * i] = (byte) (i + 1);
      rgb[3 * i + 1] = (byte) (10 * i);
      rgb[3 * i + 2] = (byte) 200;
    }
    return new RgbImage(3, 2, rgb);
  }

  private static byte[] red(RgbImage image) {
    byte[] out = new byte[image.width * image.height];
    for (int i = 0; i < out.length; i++) {
      out[i] = image.rgb[3 * i];
    }
    return out;
  }

  @Test
  public void rotatesClockwise() {
    // 1 2 3      90°: 4 1     180°: 6 5 4     270°: 3 6
    // 4 5 6           5 2           3 2 1           2 5
    //                 6 3                           1 4
    RgbImage r90 = numbered().rotate(90);
    assertEquals(2, r90.width);
    assertEquals(3, r90.height);
    assertArrayEquals(new byte[] {4, 1, 5, 2, 6, 3}, red(r90));
    assertArrayEquals(new byte[] {6, 5, 4, 3, 2, 1}, red(numbered().rotate(180)));
    assertArrayEquals(new byte[] {3, 6, 2, 5, 1, 4}, red(numbered().rotate(270)));
    assertArrayEquals(numbered().rgb, numbered().rotate(90).rotate(-90).rgb);
    assertArrayEquals(numbered().rgb, numbered().rotate(360).rgb);
  }

  @Test(expected = IllegalArgumentException.class)
  public void refusesOddAngles() {
    numbered().rotate(45);
  }

  @Test
  public void readsPaddedRgbaRows() {
    // 2x2 RGBA with 3 bytes of row padding, read from position 1 of the buffer
    byte[] plane = new byte[1 + 2 * 11];
    for (int y = 0; y < 2; y++) {
      for (int x = 0; x < 2; x++) {
        int p = 1 + y * 11 + 4 * x;
        plane[p] = (byte) (y * 2 + x);
        plane[p + 1] = 50;
        plane[p + 2] = (byte) 250;
        plane[p + 3] = (byte) 255;
      }
    }
    ByteBuffer buffer = ByteBuffer.wrap(plane);
    buffer.position(1);
    RgbImage image = RgbImage.fromRgba(buffer, 2, 2, 11, 4);
    assertArrayEquals(new byte[] {0, 50, (byte) 250, 1, 50, (byte) 250, 2, 50, (byte) 250, 3, 50,
        (byte) 250}, image.rgb);
  }

  @Test
  public void argbRoundTrips() {
    RgbImage image = numbered();
    int[] argb = image.toArgb();
    assertEquals(0xff010000 | (0 << 8) | 200, argb[0]);
    assertArrayEquals(image.rgb, RgbImage.fromArgb(argb, 3, 2).rgb);
  }
}
