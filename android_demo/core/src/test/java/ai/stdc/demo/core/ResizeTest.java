package ai.stdc.demo.core;

import static org.junit.Assert.assertArrayEquals;

import org.junit.Test;

/** Bilinear with aligned corners and legacy nearest neighbour, on values worked out by hand. */
public class ResizeTest {
  @Test
  public void sameSizeIsACopy() {
    float[] x = {1, 2, 3, 4, 5, 6};
    assertArrayEquals(x, Resize.bilinear(x, 2, 3, 1, 2, 3), 0);
  }

  @Test
  public void alignedCornersKeepTheCornersAndInterpolateBetween() {
    // one row 0 .. 10 stretched to 5 samples: the ends stay, the rest is evenly spaced
    assertArrayEquals(new float[] {0, 2.5f, 5, 7.5f, 10},
        Resize.bilinear(new float[] {0, 10}, 1, 2, 1, 1, 5), 0);
    // 2x2 → 3x3: the centre is the mean of the four
    float[] out = Resize.bilinear(new float[] {0, 4, 8, 12}, 2, 2, 1, 3, 3);
    assertArrayEquals(new float[] {0, 2, 4, 4, 6, 8, 8, 10, 12}, out, 0);
  }

  @Test
  public void channelsAreInterpolatedSeparately() {
    float[] in = {0, 100, 10, 200}; // 1x2, 2 channels
    assertArrayEquals(new float[] {0, 100, 5, 150, 10, 200},
        Resize.bilinear(in, 1, 2, 2, 1, 3), 0);
  }

  @Test
  public void oneOutputPixelSamplesTheFirstAndOneInputPixelIsRepeated() {
    assertArrayEquals(new float[] {7}, Resize.bilinear(new float[] {7, 8, 9, 10}, 2, 2, 1, 1, 1), 0);
    assertArrayEquals(new float[] {3, 3, 3, 3}, Resize.bilinear(new float[] {3}, 1, 1, 1, 2, 2), 0);
  }

  @Test
  public void shrinkingSamplesAtAlignedPositions() {
    // 5 → 3: samples at 0, 2, 4
    assertArrayEquals(new float[] {1, 3, 5},
        Resize.bilinear(new float[] {1, 2, 3, 4, 5}, 1, 5, 1, 1, 3), 0);
  }

  @Test
  public void nearestUsesFloorOfTheLegacyScale() {
    ClassMap row = new ClassMap(3, 1, new byte[] {0, 1, 2});
    assertArrayEquals(new byte[] {0, 0, 1, 2}, Resize.nearest(row, 1, 4).ids); // 0, .75, 1.5, 2.25
    assertArrayEquals(new byte[] {0, 1}, Resize.nearest(row, 1, 2).ids); // 0, 1.5
    ClassMap column = new ClassMap(1, 2, new byte[] {5, (byte) 255});
    assertArrayEquals(new byte[] {5, 5, (byte) 255, (byte) 255}, Resize.nearest(column, 4, 1).ids);
  }
}
