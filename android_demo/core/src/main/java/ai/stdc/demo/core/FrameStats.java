package ai.stdc.demo.core;

/**
 * On-screen speed: FPS and the mean milliseconds of pre-processing, inference and
 * post-processing over the last {@code window} frames. A plain window mean (not an exponential
 * average) so the inference figure compares directly with {@code benchmark_model}'s
 * "Inference (avg)"; the first frame after a model switch is left out, as benchmark_model
 * leaves out its warm-up runs.
 */
public final class FrameStats {
  /** The stages timed per frame, in the order {@link #record} takes them. */
  public static final int PRE = 0;
  public static final int INFERENCE = 1;
  public static final int POST = 2;

  private final int window;
  private final long[] ends;
  private final long[][] stages; // [stage][slot], nanoseconds
  private int next;
  private int count;
  private boolean skippedFirst;

  public FrameStats(int window) {
    if (window < 2) {
      throw new IllegalArgumentException("the window needs at least 2 frames, got " + window);
    }
    this.window = window;
    this.ends = new long[window];
    this.stages = new long[3][window];
  }

  /** One finished frame: when it finished and how long each stage took (all nanoseconds). */
  public synchronized void record(long endNanos, long preNanos, long inferenceNanos,
      long postNanos) {
    if (!skippedFirst) {
      skippedFirst = true;
      return;
    }
    ends[next] = endNanos;
    stages[PRE][next] = preNanos;
    stages[INFERENCE][next] = inferenceNanos;
    stages[POST][next] = postNanos;
    next = (next + 1) % window;
    count = Math.min(count + 1, window);
  }

  /** Forget everything (a new model or accelerator: its first frame is a warm-up again). */
  public synchronized void reset() {
    next = 0;
    count = 0;
    skippedFirst = false;
  }

  /** Frames per second over the window: {@code (n - 1) / (last end - first end)}; 0 if unknown. */
  public synchronized double fps() {
    if (count < 2) {
      return 0;
    }
    long newest = ends[(next - 1 + window) % window];
    long oldest = ends[(next - count + window) % window];
    return newest > oldest ? (count - 1) * 1e9 / (newest - oldest) : 0;
  }

  /** Mean milliseconds of {@code stage} ({@link #PRE}, {@link #INFERENCE}, {@link #POST}). */
  public synchronized double meanMs(int stage) {
    if (count == 0) {
      return 0;
    }
    long sum = 0;
    for (int i = 0; i < count; i++) {
      sum += stages[stage][(next - 1 - i + window) % window];
    }
    return sum / (count * 1e6);
  }

  /** Frames in the current window. */
  public synchronized int frames() {
    return count;
  }

  /** "12.3 FPS · pre 4.1 ms · inference 60.2 ms · post 3.0 ms" for the on-screen line. */
  public synchronized String summary() {
    return String.format(java.util.Locale.ROOT,
        "%.1f FPS · pre %.1f ms · inference %.1f ms · post %.1f ms",
        fps(), meanMs(PRE), meanMs(INFERENCE), meanMs(POST));
  }
}
