package ai.stdc.demo.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * Which accelerator actually runs the model: the one picked, or the next one down
 * NPU → GPU → CPU that the runtime offers and that compiles and runs the model. The attempts that
 * failed are kept so the UI can say why it fell back.
 */
public final class AcceleratorFallback {
  private AcceleratorFallback() {}

  /** The accelerators, best first: the fallback order. */
  public enum Accelerator {
    NPU,
    GPU,
    CPU
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

    /** "GPU" or "CPU (NPU: not available on this device; GPU: <error>)". */
    public String describe() {
      if (skipped.isEmpty()) {
        return accelerator.name();
      }
      StringBuilder s = new StringBuilder(accelerator.name()).append(" (");
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
   * @throws ModelException when every accelerator failed; the message lists each failure
   */
  public static <T> Result<T> open(Accelerator picked, Set<Accelerator> available,
      Opener<T> opener) throws ModelException {
    List<String> skipped = new ArrayList<>();
    Throwable last = null;
    for (Accelerator a : order(picked)) {
      if (a != Accelerator.CPU && !available.contains(a)) {
        skipped.add(a.name() + ": not available on this device");
        continue;
      }
      try {
        return new Result<>(opener.open(a), a, skipped);
      } catch (Exception e) {
        last = e;
        skipped.add(a.name() + ": " + firstLine(e));
      }
    }
    StringBuilder s = new StringBuilder("no accelerator could run the model: ");
    for (int i = 0; i < skipped.size(); i++) {
      s.append(i > 0 ? "; " : "").append(skipped.get(i));
    }
    throw new ModelException(s.toString(), last);
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() != null ? e.getMessage().trim() : "";
    int nl = m.indexOf('\n');
    m = nl >= 0 ? m.substring(0, nl) : m;
    return m.isEmpty() ? e.getClass().getSimpleName() : m;
  }
}
