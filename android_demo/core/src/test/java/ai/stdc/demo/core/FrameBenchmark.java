package ai.stdc.demo.core;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;

/**
 * Per-frame pre- and post-processing time of the live view on this JVM (not a test: it prints):
 * a 640x480 RGBA camera frame (rotation 90, as a phone held upright delivers it) into a 512x1024
 * model. Pre = copying the plane out of its direct ByteBuffer + {@link FrameProcessor} (rotate,
 * crop, resize, quantize into a reused buffer); post = the class map coloured into a reused
 * ARGB int[] ({@link Overlay#colorize(byte[], int[], int[])}). Desktop figures are a floor for
 * a phone. Run: java -cp MAIN:TEST ai.stdc.demo.core.FrameBenchmark [frames]
 */
public final class FrameBenchmark {
  private FrameBenchmark() {}

  public static void main(String[] args) {
    int frames = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    int w = 640;
    int h = 480;
    ByteBuffer plane = ByteBuffer.allocateDirect(w * h * 4);
    for (int i = 0; i < w * h * 4; i++) {
      plane.put(i, (byte) (i * 31 + (i >> 11)));
    }
    byte[] copy = new byte[w * h * 4];
    float[] ones = {1f, 1f, 1f};
    float[] imagenet = {1f / (255f * 0.229f), 1f / (255f * 0.224f), 1f / (255f * 0.225f)};
    float[] shift = {-0.485f / 0.229f, -0.456f / 0.224f, -0.406f / 0.225f};
    Object[][] variants = {
        {"uint8 input (normalization in graph)", new FrameProcessor(512, 1024, false, ones,
            new float[3], 0, 255)},
        {"float32 input (normalized)", new FrameProcessor(512, 1024, true, imagenet, shift, 0, 0)},
    };
    byte[] classes = new byte[512 * 1024];
    for (int i = 0; i < classes.length; i++) {
      classes[i] = (byte) ((i / 1024 + i % 1024) % 19);
    }
    int[] argb = new int[classes.length];
    int[] lut = Overlay.lut(new Palette(new int[19]), 128);
    System.out.println("FrameBenchmark: 640x480 RGBA frame, rotation 90 -> 512x1024 model, "
        + frames + " frames, " + System.getProperty("java.vm.name") + " "
        + System.getProperty("java.version"));
    for (Object[] v : variants) {
      FrameProcessor p = (FrameProcessor) v[1];
      Preprocessor.ModelInput input = p.newInput();
      long[] pre = new long[frames];
      long[] post = new long[frames];
      for (int round = 0; round < 2; round++) { // round 0 warms the JIT up
        for (int f = 0; f < frames; f++) {
          long t0 = System.nanoTime();
          plane.rewind();
          plane.get(copy);
          p.process(copy, 0, w, h, w * 4, 4, 90, input);
          long t1 = System.nanoTime();
          Overlay.colorize(classes, lut, argb);
          long t2 = System.nanoTime();
          pre[f] = t1 - t0;
          post[f] = t2 - t1;
        }
      }
      System.out.println(String.format(Locale.ROOT,
          "  %-38s pre median %.2f ms (p90 %.2f) | post median %.2f ms (p90 %.2f) | total %.2f ms",
          v[0], ms(pre, 50), ms(pre, 90), ms(post, 50), ms(post, 90),
          ms(pre, 50) + ms(post, 50)));
    }
  }

  private static double ms(long[] nanos, int percentile) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, sorted.length * percentile / 100)] / 1e6;
  }
}
