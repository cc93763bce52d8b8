package ai.stdc.demo.core;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class FrameStatsTest {
  private static final long MS = 1_000_000L;

  @Test
  public void steadyFramesGiveTheirRateAndMeans() {
    FrameStats s = new FrameStats(10);
    s.record(0, 99 * MS, 999 * MS, 99 * MS); // warm-up frame: left out
    for (int i = 1; i <= 5; i++) {
      s.record(i * 20 * MS, 2 * MS, 10 * MS + i * MS, 3 * MS);
    }
    assertEquals(5, s.frames());
    assertEquals(50.0, s.fps(), 1e-9);
    assertEquals(2.0, s.meanMs(FrameStats.PRE), 1e-9);
    assertEquals(13.0, s.meanMs(FrameStats.INFERENCE), 1e-9);
    assertEquals(3.0, s.meanMs(FrameStats.POST), 1e-9);
    assertEquals("50.0 FPS · pre 2.0 ms · inference 13.0 ms · post 3.0 ms", s.summary());
  }

  @Test
  public void onlyTheLastWindowCounts() {
    FrameStats s = new FrameStats(3);
    s.record(0, 0, 0, 0);
    s.record(10 * MS, 0, 100 * MS, 0); // slow frames, later pushed out
    s.record(20 * MS, 0, 100 * MS, 0);
    for (int i = 0; i < 3; i++) {
      s.record((100 + 40 * i) * MS, 0, 4 * MS, 0);
    }
    assertEquals(3, s.frames());
    assertEquals(4.0, s.meanMs(FrameStats.INFERENCE), 1e-9);
    assertEquals(25.0, s.fps(), 1e-9);
  }

  @Test
  public void resetStartsOverWithAWarmUp() {
    FrameStats s = new FrameStats(4);
    s.record(0, 0, 0, 0);
    s.record(MS, 0, 5 * MS, 0);
    s.reset();
    assertEquals(0, s.frames());
    assertEquals(0.0, s.fps(), 0);
    s.record(2 * MS, 0, 50 * MS, 0); // the new warm-up
    assertEquals(0, s.frames());
    assertEquals(0.0, s.meanMs(FrameStats.INFERENCE), 0);
  }
}
