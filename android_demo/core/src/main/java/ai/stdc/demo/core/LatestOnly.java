package ai.stdc.demo.core;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Coalesces requests for one task: at most one run is queued at a time, and a run reads the
 * newest state when it starts. A slider that fires 60 changes a second thus costs one full-size
 * re-render per worker turn instead of 60 queued ones.
 */
public final class LatestOnly {
  private final AtomicBoolean queued = new AtomicBoolean();
  private final Runnable task;

  public LatestOnly(Runnable task) {
    this.task = task;
  }

  /** Queues the task on {@code executor} unless a run is already queued; true if it queued one. */
  public boolean request(Executor executor) {
    if (!queued.compareAndSet(false, true)) {
      return false;
    }
    try {
      executor.execute(new Runnable() {
        @Override
        public void run() {
          queued.set(false); // a request during the run queues one more, with newer state
          task.run();
        }
      });
    } catch (RuntimeException e) {
      queued.set(false);
      throw e;
    }
    return true;
  }
}
