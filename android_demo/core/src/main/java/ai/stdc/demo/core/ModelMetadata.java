package ai.stdc.demo.core;

import java.util.List;
import java.util.Map;

/**
 * The "stdc_tf" metadata a converted model carries (schema {@code stdc_tf.segmentation/1}):
 * input size and preprocessing, output kind, classes, palette. Written by
 * {@code stdc_tf/export/metadata.py}; every field is checked here, and an error names the field.
 */
public final class ModelMetadata {
  public static final String ENTRY_NAME = "stdc_tf";
  public static final String SCHEMA_PREFIX = "stdc_tf.segmentation/";
  public static final int SCHEMA_MAJOR = 1;

  /** What the model's single output holds. */
  public enum OutputKind {
    LOGITS,
    CLASSES
  }

  public final String schema;
  public final String preset; // null: a model built without a preset
  public final String backbone; // null: not an STDC model of the toolkit
  public final String precision;
  public final int inputHeight;
  public final int inputWidth;
  public final TensorInfo.DType inputType;
  /** True: the graph normalizes, the app feeds pixel values. */
  public final boolean normalizationInGraph;
  public final double normalizationScale;
  public final float[] mean;
  public final float[] std;
  public final Quantization inputQuantization; // null: not quantized
  public final OutputKind outputKind;
  public final TensorInfo.DType outputType;
  public final Quantization outputQuantization; // null: not quantized
  public final int numClasses;
  public final String[] classes;
  public final Palette palette;
  public final int ignoreIndex;
  public final String dataset;
  public final String toolkitVersion;

  private ModelMetadata(Map<String, Object> root) throws ModelException {
    schema = string(root, "schema", "");
    if (!schema.startsWith(SCHEMA_PREFIX)) {
      throw bad("schema", "is \"" + schema + "\", not " + SCHEMA_PREFIX + SCHEMA_MAJOR);
    }
    String version = schema.substring(SCHEMA_PREFIX.length());
    int dot = version.indexOf('.');
    if (!(dot < 0 ? version : version.substring(0, dot)).equals(String.valueOf(SCHEMA_MAJOR))) {
      throw bad("schema", "version " + version + " is not supported (this app reads version "
          + SCHEMA_MAJOR + ")");
    }
    preset = optionalString(root, "preset", "");
    backbone = optionalString(root, "backbone", "");
    precision = string(root, "precision", "");

    Map<String, Object> input = object(root, "input", "");
    inputHeight = positiveInt(input, "height", "input.");
    inputWidth = positiveInt(input, "width", "input.");
    expectValue(input, "layout", "input.", "NHWC");
    expectValue(input, "color", "input.", "RGB");
    inputType = dtype(input, "input.");
    if (inputType == TensorInfo.DType.INT32) {
      throw bad("input.dtype", "int32 is not an image type (uint8, int8 or float32)");
    }
    Map<String, Object> norm = object(input, "normalization", "input.");
    normalizationInGraph = bool(norm, "in_graph", "input.normalization.");
    normalizationScale = number(norm, "scale", "input.normalization.");
    if (!(normalizationScale > 0)) {
      throw bad("input.normalization.scale", "must be positive (got " + normalizationScale + ")");
    }
    mean = channels(norm, "mean", "input.normalization.", false);
    std = channels(norm, "std", "input.normalization.", true);
    inputQuantization = quantization(input, "input.");
    if (inputType == TensorInfo.DType.FLOAT32 && inputQuantization != null) {
      throw bad("input.quantization", "must be null for a float32 input");
    }
    if (inputType.isInteger() && !normalizationInGraph && inputQuantization == null) {
      throw bad("input.quantization", "is needed: a " + inputType.jsonName
          + " input without in-graph normalization takes quantized normalized values");
    }

    Map<String, Object> output = object(root, "output", "");
    String kind = string(output, "kind", "output.");
    if (kind.equals("logits")) {
      outputKind = OutputKind.LOGITS;
    } else if (kind.equals("classes")) {
      outputKind = OutputKind.CLASSES;
    } else {
      throw bad("output.kind", "is \"" + kind + "\"; expected \"logits\" or \"classes\"");
    }
    outputType = dtype(output, "output.");
    outputQuantization = quantization(output, "output.");
    if (outputKind == OutputKind.LOGITS && outputType.isInteger() && outputQuantization == null) {
      throw bad("output.quantization", "is needed for " + outputType.jsonName + " logits");
    }
    if (outputKind == OutputKind.CLASSES && !outputType.isInteger()) {
      throw bad("output.dtype", "must be an integer type for a class-map output");
    }
    numClasses = positiveInt(output, "num_classes", "output.");
    if (numClasses > Palette.MAX_CLASSES) {
      throw bad("output.num_classes", "is " + numClasses + "; class maps hold at most "
          + Palette.MAX_CLASSES + " classes");
    }

    List<Object> names = list(root, "classes", "", numClasses);
    classes = new String[numClasses];
    for (int i = 0; i < numClasses; i++) {
      if (!(names.get(i) instanceof String)) {
        throw bad("classes[" + i + "]", "must be a string");
      }
      classes[i] = (String) names.get(i);
    }
    List<Object> colors = list(root, "palette", "", numClasses);
    int[] rgb = new int[numClasses];
    for (int i = 0; i < numClasses; i++) {
      String where = "palette[" + i + "]";
      if (!(colors.get(i) instanceof List) || ((List<?>) colors.get(i)).size() != 3) {
        throw bad(where, "must be [r, g, b]");
      }
      int packed = 0;
      for (Object c : (List<?>) colors.get(i)) {
        int v = integerValue(c, where);
        if (v < 0 || v > 255) {
          throw bad(where, "has a channel outside 0..255 (" + v + ")");
        }
        packed = (packed << 8) | v;
      }
      rgb[i] = packed;
    }
    palette = new Palette(rgb);
    ignoreIndex = integerValue(require(root, "ignore_index", ""), "ignore_index");
    if (ignoreIndex >= 0 && ignoreIndex < numClasses) {
      throw bad("ignore_index", ignoreIndex + " is also a class index (0.." + (numClasses - 1) + ")");
    }
    dataset = optionalString(root, "dataset", "");
    Object toolkit = root.get("toolkit");
    toolkitVersion = toolkit instanceof Map && ((Map<?, ?>) toolkit).get("version") instanceof String
        ? (String) ((Map<?, ?>) toolkit).get("version") : null;
  }

  /** Parses and checks the metadata JSON text. */
  public static ModelMetadata parse(String json) throws ModelException {
    Object root;
    try {
      root = Json.parse(json);
    } catch (Json.JsonException e) {
      throw new ModelException("model metadata is not valid JSON: " + e.getMessage(), e);
    }
    if (!(root instanceof Map)) {
      throw new ModelException("model metadata must be a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) root;
    return new ModelMetadata(map);
  }

  /** "stdc1_seg50 int8", "stdc1 fp32" or "model fp16": a short label for the model switcher. */
  public String label() {
    return name() + " " + precision;
  }

  /** The preset, else the backbone, else "model". */
  public String name() {
    return preset != null ? preset : backbone != null ? backbone : "model";
  }

  // ---- field readers: each error names the field ----

  private static ModelException bad(String field, String problem) {
    return new ModelException("model metadata: " + field + " " + problem);
  }

  private static Object require(Map<String, Object> map, String key, String path)
      throws ModelException {
    if (!map.containsKey(key)) {
      throw bad(path + key, "is missing");
    }
    return map.get(key);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Map<String, Object> map, String key, String path)
      throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof Map)) {
      throw bad(path + key, "must be an object");
    }
    return (Map<String, Object>) v;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Map<String, Object> map, String key, String path, int size)
      throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof List)) {
      throw bad(path + key, "must be a list");
    }
    List<Object> list = (List<Object>) v;
    if (list.size() != size) {
      throw bad(path + key, "has " + list.size() + " entries; output.num_classes is " + size);
    }
    return list;
  }

  private static String string(Map<String, Object> map, String key, String path)
      throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof String)) {
      throw bad(path + key, "must be a string");
    }
    return (String) v;
  }

  private static String optionalString(Map<String, Object> map, String key, String path)
      throws ModelException {
    return map.get(key) == null ? null : string(map, key, path);
  }

  private static boolean bool(Map<String, Object> map, String key, String path)
      throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof Boolean)) {
      throw bad(path + key, "must be true or false");
    }
    return (Boolean) v;
  }

  private static double number(Map<String, Object> map, String key, String path)
      throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof Double)) {
      throw bad(path + key, "must be a number");
    }
    return (Double) v;
  }

  private static int integerValue(Object v, String where) throws ModelException {
    if (!(v instanceof Double) || (Double) v != Math.rint((Double) v)
        || Math.abs((Double) v) > Integer.MAX_VALUE) {
      throw bad(where, "must be an integer");
    }
    return (int) (double) (Double) v;
  }

  private static int positiveInt(Map<String, Object> map, String key, String path)
      throws ModelException {
    int v = integerValue(require(map, key, path), path + key);
    if (v <= 0) {
      throw bad(path + key, "must be positive (got " + v + ")");
    }
    return v;
  }

  private static void expectValue(Map<String, Object> map, String key, String path, String wanted)
      throws ModelException {
    String v = string(map, key, path);
    if (!v.equals(wanted)) {
      throw bad(path + key, "is \"" + v + "\"; the app supports \"" + wanted + "\" only");
    }
  }

  private static TensorInfo.DType dtype(Map<String, Object> map, String path)
      throws ModelException {
    String name = string(map, "dtype", path);
    TensorInfo.DType t = TensorInfo.DType.ofName(name);
    if (t == null) {
      throw bad(path + "dtype", "\"" + name + "\" is not one of uint8, int8, int32, float32");
    }
    return t;
  }

  private static float[] channels(Map<String, Object> map, String key, String path,
      boolean positive) throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof List) || ((List<?>) v).size() != 3) {
      throw bad(path + key, "must be a list of 3 numbers (R, G, B)");
    }
    float[] out = new float[3];
    for (int c = 0; c < 3; c++) {
      Object x = ((List<?>) v).get(c);
      if (!(x instanceof Double) || (positive && !((Double) x > 0))) {
        throw bad(path + key, "must hold 3 " + (positive ? "positive " : "") + "numbers");
      }
      out[c] = (float) (double) (Double) x;
    }
    return out;
  }

  private static Quantization quantization(Map<String, Object> map, String path)
      throws ModelException {
    Object v = map.get("quantization");
    if (v == null) {
      return null;
    }
    if (!(v instanceof Map)) {
      throw bad(path + "quantization", "must be null or {\"scale\": s, \"zero_point\": z}");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> q = (Map<String, Object>) v;
    double scale = number(q, "scale", path + "quantization.");
    int zero = integerValue(require(q, "zero_point", path + "quantization."),
        path + "quantization.zero_point");
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw bad(path + "quantization.scale", "must be positive (got " + scale + ")");
    }
    return new Quantization((float) scale, zero);
  }
}
