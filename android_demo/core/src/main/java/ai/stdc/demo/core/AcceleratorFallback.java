package ai.stdc.demo.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which accelerator actually runs the model: the one picked, or the next one down
 * NPU → GPU → GPU+CPU → CPU that the runtime offers and that compiles and runs the model. The
 * attempts that failed are kept so the UI can say why it fell back.
 *
 * <p>GPU and GPU+CPU are separate steps because LiteRT refuses to compile for the GPU alone when
 * any op stays off it: that compile result is the one proof of a whole-graph delegation, so only
 * "GPU" is labelled as running every op on the accelerator. GPU+CPU and NPU are labelled by what
 * they may be: LiteRT's Kotlin API does not report the split, LiteRT adds the CPU to an NPU
 * request itself, and a vendor compiler that rejects the whole model leaves everything on the
 * CPU with only a log line.
 *
 * <p>A failure to link a native library ({@link LinkageError}, e.g. a vendor library missing a
 * symbol) falls back like a compile failure. Running out of memory stops the fallback and says
 * so: the next accelerator would most likely run out too.
 */
public final class AcceleratorFallback {
  private AcceleratorFallback() {}

  /** The accelerators, best first: the fallback order. */
  public enum Accelerator {
    NPU("NPU", "NPU and/or CPU (split not reported)"),
    GPU("GPU", "GPU, all ops"),
    GPU_CPU("GPU+CPU", "GPU and/or CPU (split not reported)"),
    CPU("CPU", "CPU");

    /** The picker's name. */
    public final String label;
    /** What runs the model once compiled for it (LiteRT's accelerator set). */
    public final String runsOn;

    Accelerator(String label, String runsOn) {
      this.label = label;
      this.runsOn = runsOn;
    }

    /** Whether ops may land on the CPU without the UI being able to say how many. */
    public boolean splitUnknown() {
      return this == NPU || this == GPU_CPU;
    }
  }

  /** Opens the model on one accelerator (compile + a first run); throws if it cannot. */
  public interface Opener<T> {
    T open(Accelerator accelerator) throws Exception;
  }

  /** The opened model, the accelerator it runs on, and why better ones were passed over. */
  public static final class Result<T> {
    public final T value;
    public final Accelerator accelerator;
    public final List<String> skipped;

    Result(T value, Accelerator accelerator, List<String> skipped) {
      this.value = value;
      this.accelerator = accelerator;
      this.skipped = Collections.unmodifiableList(skipped);
    }

    /** "GPU, all ops" or "CPU (NPU: not available on this device; GPU: <error>)". */
    public String describe() {
      if (skipped.isEmpty()) {
        return accelerator.runsOn;
      }
      StringBuilder s = new StringBuilder(accelerator.runsOn).append(" (");
      for (int i = 0; i < skipped.size(); i++) {
        s.append(i > 0 ? "; " : "").append(skipped.get(i));
      }
      return s.append(")").toString();
    }
  }

  /** {@code picked} and every accelerator below it, in fallback order. */
  public static List<Accelerator> order(Accelerator picked) {
    List<Accelerator> out = new ArrayList<>();
    for (Accelerator a : Accelerator.values()) {
      if (a.ordinal() >= picked.ordinal()) {
        out.add(a);
      }
    }
    return out;
  }

  /**
   * Opens the model on {@code picked} or the first one below it that {@code available} lists
   * and {@code opener} succeeds with. The CPU is always tried, listed or not.
   *
   * @throws ModelException when every accelerator failed (the message lists each failure), or
   *     when one ran out of memory (the message starts "out of memory")
   */
  public static <T> Result<T> open(Accelerator picked, Set<Accelerator> available,
      Opener<T> opener) throws ModelException {
    return open(picked, available, Collections.<Accelerator, String>emptyMap(), opener);
  }

  /**
   * As {@link #open(Accelerator, Set, Opener)}, saying why an accelerator is not available where
   * {@code whyNot} knows (e.g. NPU: "no vendor NPU runtime packaged").
   */
  public static <T> Result<T> open(Accelerator picked, Set<Accelerator> available,
      Map<Accelerator, String> whyNot, Opener<T> opener) throws ModelException {
    List<String> skipped = new ArrayList<>();
    Throwable last = null;
    for (Accelerator a : order(picked)) {
      if (a != Accelerator.CPU && !available.contains(a)) {
        String why = whyNot.get(a);
        skipped.add(a.label + ": " + (why != null ? why : "not available on this device"));
        continue;
      }
      try {
        return new Result<>(opener.open(a), a, skipped);
      } catch (OutOfMemoryError e) {
        skipped.add(a.label + ": out of memory");
        throw new ModelException(joined("out of memory opening the model on " + a.label
            + " (a smaller model may fit): ", skipped), e);
      } catch (Exception | LinkageError e) {
        last = e;
        skipped.add(a.label + ": " + firstLine(e));
      }
    }
    throw new ModelException(joined("no accelerator could run the model: ", skipped), last);
  }

  private static String joined(String head, List<String> parts) {
    StringBuilder s = new StringBuilder(head);
    for (int i = 0; i < parts.size(); i++) {
      s.append(i > 0 ? "; " : "").append(parts.get(i));
    }
    return s.toString();
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() != null ? e.getMessage().trim() : "";
    int nl = m.indexOf('\n');
    m = nl >= 0 ? m.substring(0, nl) : m;
    return m.isEmpty() ? e.getClass().getSimpleName() : m;
  }
}
