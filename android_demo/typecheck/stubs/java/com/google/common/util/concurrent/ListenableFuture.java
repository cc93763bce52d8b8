// Type-check stub (android_demo/typecheck): signature from Guava's ListenableFuture
// (com.google.guava:listenablefuture 1.0 / guava 33), which CameraX returns. Not the real class.
package com.google.common.util.concurrent;

import java.util.concurrent.Executor;
import java.util.concurrent.Future;

public interface ListenableFuture<V> extends Future<V> {
  void addListener(Runnable listener, Executor executor);
}
