package ai.stdc.demo.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Native handles owned together and closed together, newest first. LiteRT's buffers and compiled
 * models have no finalizer, so everything opened before a failure (a buffer, then a failing first
 * run) must be closed explicitly: open into an {@code Owned}, and close it on any failure.
 */
public final class Owned implements AutoCloseable {
  private final List<AutoCloseable> items = new ArrayList<>();

  /** Takes ownership of {@code item} and returns it. */
  public synchronized <T extends AutoCloseable> T add(T item) {
    items.add(item);
    return item;
  }

  /** Takes ownership of every item of {@code list} and returns the list. */
  public synchronized <T extends AutoCloseable> List<T> addAll(List<T> list) {
    items.addAll(list);
    return list;
  }

  /** Number of items still owned. */
  public synchronized int size() {
    return items.size();
  }

  /**
   * Closes every item, newest first (buffers before the model they came from), even when one of
   * them fails; the first failure is rethrown (unchecked) with the others suppressed.
   */
  @Override
  public synchronized void close() {
    RuntimeException first = null;
    for (int i = items.size() - 1; i >= 0; i--) {
      try {
        items.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e instanceof RuntimeException ? (RuntimeException) e
              : new IllegalStateException("closing " + items.get(i) + " failed", e);
        } else {
          first.addSuppressed(e);
        }
      }
    }
    items.clear();
    if (first != null) {
      throw first;
    }
  }
}
