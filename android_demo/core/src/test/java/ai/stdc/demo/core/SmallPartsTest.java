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

/** NPU runtime detection, owned handles, slider coalescing, mask handover, the GPU cache key. */
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
  public void aPackagedNpuRuntimeIsOfferedOnlyOnItsVendorsSupportedSocs() {
    NpuRuntime qualcomm = NpuRuntime.find(new String[] {
        "libLiteRtDispatch_Qualcomm.so", "libLiteRtCompilerPlugin_Qualcomm.so"});
    assertNull(qualcomm.socProblem(35, "QTI", "SM8650", "AP3A"));
    assertNull(qualcomm.socProblem(31, "Qualcomm", "SM8850", "BP2A"));
    assertEquals("the Qualcomm NPU runtime does not support this SoC (Mediatek MT6989)",
        qualcomm.socProblem(35, "Mediatek", "MT6989", "AP3A"));
    assertEquals("the Qualcomm NPU runtime does not support this SoC (QTI SM8450)",
        qualcomm.socProblem(35, "QTI", "SM8450", "AP3A")); // Snapdragon 8 Gen 1: not listed
    assertEquals("the Qualcomm NPU runtime needs Android API 31 (this is 30)",
        qualcomm.socProblem(30, null, null, "RQ3A"));

    NpuRuntime mediatek = NpuRuntime.find(new String[] {
        "libLiteRtDispatch_MediaTek.so", "libLiteRtCompilerPlugin_MediaTek.so"});
    assertNull(mediatek.socProblem(34, "Mediatek", "MT6989(ENG)", "UP1A"));
    assertEquals("the MediaTek NPU runtime does not support this SoC (QTI SM8650)",
        mediatek.socProblem(34, "QTI", "SM8650", "UP1A"));

    NpuRuntime tensor = NpuRuntime.find(new String[] {
        "libLiteRtDispatch_GoogleTensor.so", "libLiteRtCompilerPlugin_google_tensor.so"});
    assertNull(tensor.socProblem(36, "Google", "Tensor G4", "BP3A"));
    assertEquals("the GoogleTensor NPU runtime does not support this SoC (Google Tensor G4, "
        + "build BP2A.250605.031)", tensor.socProblem(36, "Google", "Tensor G4", "BP2A.250605.031"));
    assertEquals("the GoogleTensor NPU runtime needs Android API 36 (this is 35)",
        tensor.socProblem(35, "Google", "Tensor G4", "AP4A"));

    NpuRuntime other = NpuRuntime.find(new String[] {
        "libLiteRtDispatch_Acme.so", "libLiteRtCompilerPlugin_Acme.so"});
    assertEquals("LiteRT supports no NPU of vendor Acme", other.socProblem(36, "Acme", "A1", "X"));
    NpuRuntime none = NpuRuntime.find(new String[0]);
    assertEquals(none.problem, none.socProblem(36, "QTI", "SM8650", "X"));
  }

  @Test
  public void theHandoverNeverGivesTheProducerWhatTheConsumerHoldsOrTheNewest() {
    Handover<String> h = new Handover<>();
    assertNull(h.take());
    assertNull(h.writable());
    h.publish("a");
    assertNull(h.writable());
    h.publish("b"); // the consumer is behind: "a" was never taken and is free again
    assertEquals("a", h.writable());
    assertEquals("b", h.take());
    assertEquals("b", h.take()); // nothing newer: the same one
    h.publish("c");
    assertEquals(null, h.writable()); // neither "b" (held) nor "c" (newest)
    h.publish("d");
    assertEquals("c", h.writable());
    h.publish(h.writable()); // "c" rewritten while "b" is still held
    assertEquals("d", h.writable());
    assertEquals("c", h.take());
    assertEquals("d", h.writable());
    h.publish("d");
    assertEquals("b", h.writable()); // the one held before the take is the producer's again
  }

  @Test
  public void aSlowConsumerNeverSeesItsMaskRewritten() throws Exception {
    final Handover<int[]> h = new Handover<>();
    final int frames = 20000;
    Thread producer = new Thread(() -> {
      for (int n = 1; n <= frames; n++) {
        int[] mask = h.writable();
        if (mask == null) {
          mask = new int[256];
        }
        Arrays.fill(mask, n);
        h.publish(mask);
      }
    });
    producer.start();
    int last = 0;
    java.util.Set<int[]> seen = java.util.Collections.newSetFromMap(
        new java.util.IdentityHashMap<int[], Boolean>());
    while (producer.isAlive() || last < frames) {
      int[] held = h.take();
      if (held == null) {
        continue;
      }
      seen.add(held);
      int value = held[0];
      assertTrue("frames went backwards: " + value + " after " + last, value >= last);
      for (int k = 0; k < 50; k++) { // stay behind the producer for a while
        for (int v : held) {
          assertEquals("the held mask was rewritten", value, v);
        }
      }
      last = value;
    }
    producer.join();
    assertEquals(frames, last);
    assertTrue("more than three masks: " + seen.size(), seen.size() <= 3);
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
