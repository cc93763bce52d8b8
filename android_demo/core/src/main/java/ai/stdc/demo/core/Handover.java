package ai.stdc.demo.core;

/**
 * Hands finished objects (the live view's mask bitmaps) from one producer thread to one consumer
 * thread without copying them, and without the producer ever writing the one the consumer holds:
 * a triple buffer. The producer writes into {@link #writable()} and {@link #publish}es it; the
 * consumer {@link #take}s the newest and holds it until its next take. However far behind the
 * consumer falls, the object it holds is never rewritten under it.
 */
public final class Handover<T> {
  private T back; // the producer's next one to write
  private T ready; // the newest published, not yet taken
  private T front; // the consumer's
  private boolean fresh;

  /**
   * Producer: the object to write next, or null when none is free yet (allocate one). Never
   * the consumer's nor the newest published one.
   */
  public synchronized T writable() {
    return back;
  }

  /** Producer: {@code written} is complete and becomes the newest; the previous newest is free. */
  public synchronized void publish(T written) {
    back = ready;
    ready = written;
    fresh = true;
  }

  /**
   * Consumer: the newest published object (the one held before, when nothing newer came), or
   * null before the first publish. The one held before goes back to the producer.
   */
  public synchronized T take() {
    if (fresh) {
      T held = front;
      front = ready;
      ready = held;
      fresh = false;
    }
    return front;
  }
}
