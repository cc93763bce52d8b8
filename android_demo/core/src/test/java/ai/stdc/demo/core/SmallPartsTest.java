package ai.stdc.demo.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.Test;

/** NPU runtime detection, owned handles, slider coalescing and the GPU cache key. */
public class SmallPartsTest {
  @Test
  public void npuIsOfferedOnlyWithDispatchAndCompilerPluginOfOneVendor() {
    assertEquals("Qualcomm", NpuRuntime.find(new String[] {"libLiteRt.so",
        "libLiteRtDispatch_Qualcomm.so", "libLiteRtCompilerPlugin_Qualcomm.so"}).vendor);
    assertEquals("GoogleTensor", NpuRuntime.find(new String[] {
        "libLiteRtCompilerPlugin_google_tensor.so", "libLiteRtDispatch_GoogleTensor.so"}).vendor);
    NpuRuntime none = NpuRuntime.find(new String[] {"libLiteRt.so", "libLiteRtClGlAccelerator.so"});
    assertNull(none.vendor);
    assertEquals("no vendor NPU runtime packaged (libLiteRtDispatch_*.so)", none.problem);
    NpuRuntime half = NpuRuntime.find(new String[] {"libLiteRtDispatch_MediaTek.so"});
    assertNull(half.vendor);
    assertTrue(half.problem, half.problem.contains("libLiteRtCompilerPlugin_MediaTek.so"));
    assertNull(NpuRuntime.find(null).vendor);
  }

  private static final class Handle implements AutoCloseable {
    final String name;
    final List<String> log;
    final boolean fails;

    Handle(String name, List<String> log, boolean fails) {
      this.name = name;
      this.log = log;
      this.fails = fails;
    }

    @Override
    public void close() throws java.io.IOException {
      log.add(name);
      if (fails) {
        throw new java.io.IOException(name + " failed to close");
      }
    }
  }

  @Test
  public void ownedHandlesCloseNewestFirstEvenWhenOneFails() {
    List<String> log = new ArrayList<>();
    Owned owned = new Owned();
    owned.add(new Handle("model", log, false));
    owned.addAll(Arrays.asList(new Handle("in", log, true), new Handle("out", log, false)));
    try {
      owned.close();
      fail("a failed close was swallowed");
    } catch (IllegalStateException e) {
      assertTrue(e.getMessage().contains("closing"));
    }
    assertEquals(Arrays.asList("out", "in", "model"), log); // buffers before their model
    assertEquals(0, owned.size());
    owned.close(); // nothing left: closing twice is harmless
    assertEquals(3, log.size());
  }

  /** An executor that only queues, so the test decides when work runs. */
  private static final class Queue implements Executor {
    final List<Runnable> tasks = new ArrayList<>();

    @Override
    public void execute(Runnable r) {
      tasks.add(r);
    }

    void runAll() {
      List<Runnable> now = new ArrayList<>(tasks);
      tasks.clear();
      for (Runnable r : now) {
        r.run();
      }
    }
  }

  @Test
  public void sliderTicksCoalesceIntoOneQueuedRender() {
    final int[] renders = {0};
    LatestOnly render = new LatestOnly(new Runnable() {
      @Override
      public void run() {
        renders[0]++;
      }
    });
    Queue worker = new Queue();
    assertTrue(render.request(worker));
    for (int i = 0; i < 99; i++) {
      assertFalse(render.request(worker));
    }
    assertEquals(1, worker.tasks.size());
    worker.runAll();
    assertEquals(1, renders[0]);
    assertTrue(render.request(worker)); // after the run, the next tick queues again
    worker.runAll();
    assertEquals(2, renders[0]);
  }

  @Test
  public void theGpuCacheKeyChangesWithTheModelsBytesOnly() {
    ByteBuffer a = ByteBuffer.wrap(new byte[] {1, 2, 3, 4});
    String key = ModelToken.of("models/stdc1 seg50_int8.tflite", a);
    assertTrue(key, key.matches("stdc1_seg50_int8-4-[0-9a-f]{8}"));
    assertEquals(0, a.position());
    assertEquals(key, ModelToken.of("models/stdc1 seg50_int8.tflite",
        ByteBuffer.wrap(new byte[] {1, 2, 3, 4})));
    assertNotEquals(key, ModelToken.of("models/stdc1 seg50_int8.tflite",
        ByteBuffer.wrap(new byte[] {1, 2, 3, 5})));
  }

  @Test
  public void theCrcEqualsJavaUtilZipsOnDirectAndHeapBuffersWithoutMovingThem() {
    byte[] bytes = new byte[2 * ModelToken.CHUNK + 1234]; // three chunks from a direct buffer
    new java.util.Random(7).nextBytes(bytes);
    int from = 17;
    java.util.zip.CRC32 reference = new java.util.zip.CRC32();
    reference.update(bytes, from, bytes.length - from);

    ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length);
    direct.put(bytes).position(from);
    ByteBuffer heap = ByteBuffer.wrap(bytes);
    heap.position(from);
    ByteBuffer slice = ByteBuffer.wrap(bytes, 5, bytes.length - 5).slice(); // arrayOffset 5
    slice.position(from - 5);
    for (ByteBuffer b : Arrays.asList(direct, heap, heap.asReadOnlyBuffer(), slice)) {
      int position = b.position();
      assertEquals(b.toString(), reference.getValue(), ModelToken.crc32(b));
      assertEquals(position, b.position());
    }
    assertTrue(direct.isDirect());
    assertEquals(String.format("m-%d-%08x", bytes.length - from, reference.getValue()),
        ModelToken.of("models/m.tflite", direct));
  }
}
