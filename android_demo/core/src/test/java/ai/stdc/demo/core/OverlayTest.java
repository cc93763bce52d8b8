package ai.stdc.demo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import org.junit.Test;

/** The integer colour rules shared with stdc_tf.visualize. */
public class OverlayTest {
  private static final Palette PALETTE = new Palette(new int[] {0xff0000, 0x00ff00});

  @Test
  public void opacityRoundsHalfUpAndIsClamped() {
    assertEquals(0, Overlay.alpha(0));
    assertEquals(255, Overlay.alpha(1));
    assertEquals(128, Overlay.alpha(0.5)); // 127.5 → 128
    assertEquals(153, Overlay.alpha(0.6));
    assertEquals(0, Overlay.alpha(-2));
    assertEquals(255, Overlay.alpha(7));
    assertEquals(0, Overlay.alpha(Double.NaN));
  }

  @Test
  public void blendEndsAreTheImageAndThePalette() {
    RgbImage image = new RgbImage(3, 1, new byte[] {10, 20, 30, 40, 50, 60, 70, 80, 90});
    ClassMap classes = new ClassMap(3, 1, new byte[] {0, 1, (byte) 255});
    assertArrayEquals(image.rgb, Overlay.blend(image, classes, PALETTE, 0).rgb);
    assertArrayEquals(new byte[] {(byte) 255, 0, 0, 0, (byte) 255, 0, 70, 80, 90},
        Overlay.blend(image, classes, PALETTE, 255).rgb);
  }

  @Test
  public void blendRoundsToNearest() {
    // (255 * 128 + 10 * 127 + 127) / 255 = 133.47 → 133; (0 * 128 + 20 * 127 + 127) / 255 → 10
    RgbImage image = new RgbImage(1, 1, new byte[] {10, 20, 30});
    byte[] out = Overlay.blend(image, new ClassMap(1, 1, new byte[] {0}), PALETTE, 128).rgb;
    assertArrayEquals(new byte[] {(byte) 133, 10, 15}, out);
  }

  @Test
  public void uncolouredClassesAreTransparent() {
    ClassMap classes = new ClassMap(3, 1, new byte[] {1, 2, (byte) 255});
    assertArrayEquals(new int[] {0x8000ff00, 0, 0}, Overlay.colorize(classes, PALETTE, 128));
  }

  @Test
  public void sizesMustMatch() {
    try {
      Overlay.blend(new RgbImage(2, 1, new byte[6]), new ClassMap(1, 2, new byte[2]), PALETTE, 9);
      fail("blended a 2x1 image with a 1x2 class map");
    } catch (IllegalArgumentException e) {
      assertEquals("image 2x1 and class map 1x2 differ in size", e.getMessage());
    }
  }
}
