package ai.stdc.demo.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class JsonTest {
  @Test
  public void readsEveryKindOfValue() throws Exception {
    Object v = Json.parse(" {\"a\": [1, -2.5e1, 0.125, true, false, null], \"b\": {\"c\": \"x\"},"
        + " \"e\": [], \"f\": {}} ");
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("a", Arrays.asList(1.0, -25.0, 0.125, true, false, null));
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("c", "x");
    expected.put("b", b);
    expected.put("e", Arrays.asList());
    expected.put("f", new LinkedHashMap<String, Object>());
    assertEquals(expected, v);
  }

  @Test
  public void keepsKeyOrderAndDecodesEscapes() throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) Json.parse(
        "{\"z\": \"tab\\tquote\\\"slash\\/\\u00e9\\u4e2d\", \"a\": 1}");
    assertEquals(Arrays.asList("z", "a"), new java.util.ArrayList<>(m.keySet()));
    assertEquals("tab\tquote\"slash/\u00e9\u4e2d", m.get("z"));
  }

  @Test
  public void numbersRoundTripFloat32Exactly() throws Exception {
    // a float32 written by Python as its shortest double repr reads back as the same float
    float scale = 0.01865844801068306f;
    List<?> l = (List<?>) Json.parse("[0.01865844801068306, 0.00392156862745098]");
    assertEquals(Float.floatToIntBits(scale), Float.floatToIntBits((float) (double) (Double) l.get(0)));
    assertEquals(1 / 255.0, (Double) l.get(1), 0);
  }

  @Test
  public void rejectsMalformedJsonWithAPosition() {
    String[] bad = {"", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "[01]", "[1.]", "[.5]", "[1e]",
        "\"abc", "\"a\\x\"", "\"a\nb\"", "tru", "nul", "{1: 2}", "[1] x", "{\"a\": 1, \"a\": 2}",
        "\"\\u12\"", "-"};
    for (String s : bad) {
      try {
        Json.parse(s);
        fail("accepted " + s);
      } catch (Json.JsonException e) {
        assertTrue(e.getMessage(), e.getMessage().contains("at character"));
      }
    }
  }

  @Test
  public void refusesDeepNestingInsteadOfOverflowingTheStack() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 10000; i++) {
      s.append('[');
    }
    try {
      Json.parse(s.toString());
      fail("accepted 10000 nested arrays");
    } catch (Json.JsonException e) {
      assertTrue(e.getMessage().contains("nested deeper"));
    }
  }

  @Test
  public void nullIsJavaNull() throws Exception {
    assertNull(Json.parse("null"));
  }
}
