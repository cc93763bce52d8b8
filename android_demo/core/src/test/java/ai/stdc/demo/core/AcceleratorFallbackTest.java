package ai.stdc.demo.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ai.stdc.demo.core.AcceleratorFallback.Accelerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.junit.Test;

public class AcceleratorFallbackTest {
  /**
   * Opens on the accelerators in {@code working}, records every attempt; the others throw
   * {@code failure} when set, else a compile error.
   */
  private static final class FakeRuntime implements AcceleratorFallback.Opener<String> {
    final List<Accelerator> tried = new ArrayList<>();
    final EnumSet<Accelerator> working;
    Error failure;

    FakeRuntime(EnumSet<Accelerator> working) {
      this.working = working;
    }

    @Override
    public String open(Accelerator a) throws Exception {
      tried.add(a);
      if (!working.contains(a)) {
        if (failure != null) {
          throw failure;
        }
        throw new IllegalStateException(a + " failed to compile\nlong native trace");
      }
      return "model on " + a;
    }
  }

  @Test
  public void fallbackOrderGoesDownFromThePick() {
    assertEquals(Arrays.asList(Accelerator.NPU, Accelerator.GPU, Accelerator.GPU_CPU,
        Accelerator.CPU), AcceleratorFallback.order(Accelerator.NPU));
    assertEquals(Arrays.asList(Accelerator.GPU, Accelerator.GPU_CPU, Accelerator.CPU),
        AcceleratorFallback.order(Accelerator.GPU));
    assertEquals(Arrays.asList(Accelerator.GPU_CPU, Accelerator.CPU),
        AcceleratorFallback.order(Accelerator.GPU_CPU));
    assertEquals(Arrays.asList(Accelerator.CPU), AcceleratorFallback.order(Accelerator.CPU));
  }

  @Test
  public void thePickedOneIsUsedWhenItWorks() throws Exception {
    FakeRuntime rt = new FakeRuntime(EnumSet.allOf(Accelerator.class));
    AcceleratorFallback.Result<String> r =
        AcceleratorFallback.open(Accelerator.GPU, EnumSet.allOf(Accelerator.class), rt);
    assertEquals(Accelerator.GPU, r.accelerator);
    assertEquals("model on GPU", r.value);
    assertEquals("GPU, all ops", r.describe());
  }

  @Test
  public void unavailableAndFailingAcceleratorsAreSkippedWithReasons() throws Exception {
    FakeRuntime rt = new FakeRuntime(EnumSet.of(Accelerator.CPU));
    AcceleratorFallback.Result<String> r =
        AcceleratorFallback.open(Accelerator.NPU, EnumSet.of(Accelerator.GPU), rt);
    assertEquals(Accelerator.CPU, r.accelerator);
    // NPU and GPU+CPU not offered
    assertEquals(Arrays.asList(Accelerator.GPU, Accelerator.CPU), rt.tried);
    assertEquals("CPU (NPU: not available on this device; GPU: GPU failed to compile; "
        + "GPU+CPU: not available on this device)", r.describe());
  }

  @Test
  public void aGraphTheGpuCannotTakeWholeFallsBackToGpuPlusCpu() throws Exception {
    FakeRuntime rt = new FakeRuntime(EnumSet.of(Accelerator.GPU_CPU, Accelerator.CPU));
    AcceleratorFallback.Result<String> r = AcceleratorFallback.open(Accelerator.GPU,
        EnumSet.of(Accelerator.GPU, Accelerator.GPU_CPU), rt);
    assertEquals(Accelerator.GPU_CPU, r.accelerator);
    assertEquals("GPU and/or CPU (split not reported) (GPU: GPU failed to compile)",
        r.describe());
    assertTrue(r.accelerator.splitUnknown());
    // LiteRT adds the CPU to an NPU request and runs everything there when the vendor compiler
    // rejects the model: the label does not claim the NPU ran anything
    assertEquals("NPU and/or CPU (split not reported)", Accelerator.NPU.runsOn);
  }

  @Test
  public void aLinkErrorFallsBackLikeACompileFailure() throws Exception {
    FakeRuntime rt = new FakeRuntime(EnumSet.of(Accelerator.GPU_CPU, Accelerator.CPU));
    rt.failure = new UnsatisfiedLinkError("dlopen failed: cannot locate symbol \"clFlush\"");
    AcceleratorFallback.Result<String> r = AcceleratorFallback.open(Accelerator.GPU,
        EnumSet.allOf(Accelerator.class), rt);
    assertEquals(Accelerator.GPU_CPU, r.accelerator);
    assertEquals(Arrays.asList("GPU: dlopen failed: cannot locate symbol \"clFlush\""), r.skipped);
  }

  @Test
  public void runningOutOfMemoryStopsTheFallbackAndSaysSo() {
    FakeRuntime rt = new FakeRuntime(EnumSet.of(Accelerator.CPU));
    OutOfMemoryError oom = new OutOfMemoryError("Failed to allocate 536870928 bytes");
    rt.failure = oom;
    try {
      AcceleratorFallback.open(Accelerator.NPU, EnumSet.of(Accelerator.GPU), rt);
      fail("an out-of-memory error was passed over");
    } catch (ModelException e) {
      assertEquals("out of memory opening the model on GPU (a smaller model may fit): "
          + "NPU: not available on this device; GPU: out of memory", e.getMessage());
      assertTrue(e.getCause() == oom);
    }
    assertEquals(Arrays.asList(Accelerator.GPU), rt.tried); // the CPU was not tried after it
  }

  @Test
  public void anUnofferedNpuSaysWhy() throws Exception {
    FakeRuntime rt = new FakeRuntime(EnumSet.allOf(Accelerator.class));
    java.util.Map<Accelerator, String> why = new java.util.EnumMap<>(Accelerator.class);
    why.put(Accelerator.NPU, "no vendor NPU runtime packaged");
    AcceleratorFallback.Result<String> r = AcceleratorFallback.open(Accelerator.NPU,
        EnumSet.of(Accelerator.GPU), why, rt);
    assertEquals("GPU, all ops (NPU: no vendor NPU runtime packaged)", r.describe());
  }

  @Test
  public void theCpuIsTriedEvenWhenNotListed() throws Exception {
    FakeRuntime rt = new FakeRuntime(EnumSet.of(Accelerator.CPU));
    assertEquals(Accelerator.CPU,
        AcceleratorFallback.open(Accelerator.CPU, EnumSet.noneOf(Accelerator.class), rt).accelerator);
  }

  @Test
  public void allFailingIsOneModelExceptionListingEach() {
    FakeRuntime rt = new FakeRuntime(EnumSet.noneOf(Accelerator.class));
    try {
      AcceleratorFallback.open(Accelerator.GPU, EnumSet.allOf(Accelerator.class), rt);
      fail("opened a model nothing can run");
    } catch (ModelException e) {
      assertEquals("no accelerator could run the model: GPU: GPU failed to compile; "
          + "GPU+CPU: GPU_CPU failed to compile; CPU: CPU failed to compile", e.getMessage());
      assertTrue(e.getCause() instanceof IllegalStateException);
    }
  }
}
