package ai.stdc.demo.core;

import java.util.List;
import java.util.Map;

/** Writes the values {@link Json} reads back as JSON text (tests build metadata variants). */
final class JsonText {
  private JsonText() {}

  static String of(Object v) {
    StringBuilder s = new StringBuilder();
    write(v, s);
    return s.toString();
  }

  private static void write(Object v, StringBuilder s) {
    if (v == null || v instanceof Boolean || v instanceof Double) {
      s.append(v);
    } else if (v instanceof String) {
      s.append('"');
      for (char c : ((String) v).toCharArray()) {
        if (c == '"' || c == '\\') {
          s.append('\\').append(c);
        } else if (c < 0x20) {
          s.append(String.format("\\u%04x", (int) c));
        } else {
          s.append(c);
        }
      }
      s.append('"');
    } else if (v instanceof Map) {
      s.append('{');
      String sep = "";
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        s.append(sep);
        write(e.getKey(), s);
        s.append(':');
        write(e.getValue(), s);
        sep = ",";
      }
      s.append('}');
    } else if (v instanceof List) {
      s.append('[');
      String sep = "";
      for (Object o : (List<?>) v) {
        s.append(sep);
        write(o, s);
        sep = ",";
      }
      s.append(']');
    } else {
      throw new IllegalArgumentException("not a JSON value: " + v);
    }
  }
}
