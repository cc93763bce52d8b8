package ai.stdc.demo.core;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;
import org.json.JSONTokener;

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

  private ModelMetadata(JSONObject root) throws ModelException {
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
    // a newer minor version may add fields (ignored here); in version 1 itself an unknown key
    // is a misspelt field and is refused
    boolean exact = dot < 0 || version.substring(dot + 1).equals("0");
    knownKeys(exact, root, "", "schema", "preset", "backbone", "precision", "input", "output",
        "classes", "palette", "ignore_index", "dataset", "toolkit");
    preset = optionalString(root, "preset", "");
    backbone = optionalString(root, "backbone", "");
    precision = string(root, "precision", "");

    JSONObject input = object(root, "input", "");
    knownKeys(exact, input, "input.", "height", "width", "layout", "color", "dtype",
        "normalization", "quantization");
    inputHeight = positiveInt(input, "height", "input.");
    inputWidth = positiveInt(input, "width", "input.");
    expectValue(input, "layout", "input.", "NHWC");
    expectValue(input, "color", "input.", "RGB");
    inputType = dtype(input, "input.");
    if (inputType == TensorInfo.DType.INT32) {
      throw bad("input.dtype", "int32 is not an image type (uint8, int8 or float32)");
    }
    JSONObject norm = object(input, "normalization", "input.");
    knownKeys(exact, norm, "input.normalization.", "in_graph", "scale", "mean", "std");
    normalizationInGraph = bool(norm, "in_graph", "input.normalization.");
    normalizationScale = number(norm, "scale", "input.normalization.");
    if (!(normalizationScale > 0)) {
      throw bad("input.normalization.scale", "must be positive (got " + normalizationScale + ")");
    }
    mean = channels(norm, "mean", "input.normalization.", false);
    std = channels(norm, "std", "input.normalization.", true);
    inputQuantization = quantization(exact, input, "input.");
    if (inputType == TensorInfo.DType.FLOAT32 && inputQuantization != null) {
      throw bad("input.quantization", "must be null for a float32 input");
    }
    if (inputType.isInteger() && !normalizationInGraph && inputQuantization == null) {
      throw bad("input.quantization", "is needed: a " + inputType.jsonName
          + " input without in-graph normalization takes quantized normalized values");
    }

    JSONObject output = object(root, "output", "");
    knownKeys(exact, output, "output.", "kind", "dtype", "quantization", "num_classes");
    String kind = string(output, "kind", "output.");
    if (kind.equals("logits")) {
      outputKind = OutputKind.LOGITS;
    } else if (kind.equals("classes")) {
      outputKind = OutputKind.CLASSES;
    } else {
      throw bad("output.kind", "is \"" + kind + "\"; expected \"logits\" or \"classes\"");
    }
    outputType = dtype(output, "output.");
    outputQuantization = quantization(exact, output, "output.");
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

    JSONArray names = list(root, "classes", "", numClasses);
    classes = new String[numClasses];
    for (int i = 0; i < numClasses; i++) {
      if (!(names.opt(i) instanceof String)) {
        throw bad("classes[" + i + "]", "must be a string");
      }
      classes[i] = (String) names.opt(i);
    }
    JSONArray colors = list(root, "palette", "", numClasses);
    int[] rgb = new int[numClasses];
    for (int i = 0; i < numClasses; i++) {
      String where = "palette[" + i + "]";
      Object color = colors.opt(i);
      if (!(color instanceof JSONArray) || ((JSONArray) color).length() != 3) {
        throw bad(where, "must be [r, g, b]");
      }
      int packed = 0;
      for (int c = 0; c < 3; c++) {
        int v = integerValue(((JSONArray) color).opt(c), where);
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
    JSONObject toolkit = root.optJSONObject("toolkit"); // free-form: who wrote the file
    toolkitVersion = toolkit != null && toolkit.opt("version") instanceof String
        ? (String) toolkit.opt("version") : null;
  }

  /**
   * Parses and checks the metadata JSON text with {@code org.json} (the platform's on Android).
   * That parser is lenient (it takes unquoted strings, comments, duplicate keys); what the app
   * relies on is checked here: one JSON object and nothing after it, every field present with
   * its own type (no string-to-number coercion), and no unknown key in schema version 1.
   */
  public static ModelMetadata parse(String json) throws ModelException {
    JSONTokener tokener = new JSONTokener(json);
    Object root;
    try {
      root = tokener.nextValue();
      if (tokener.nextClean() != 0) {
        throw new ModelException("model metadata is not valid JSON: text after the object");
      }
    } catch (JSONException e) {
      throw new ModelException("model metadata is not valid JSON: " + e.getMessage(), e);
    } catch (StackOverflowError e) { // org.json recurses once per nesting level
      throw new ModelException("model metadata is not valid JSON: nested too deeply");
    }
    if (!(root instanceof JSONObject)) {
      throw new ModelException("model metadata must be a JSON object");
    }
    return new ModelMetadata((JSONObject) root);
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

  /** In schema version 1 exactly ({@code exact}): refuses a key the schema does not have. */
  private static void knownKeys(boolean exact, JSONObject map, String path, String... keys)
      throws ModelException {
    if (!exact) {
      return;
    }
    List<String> known = Arrays.asList(keys);
    for (Iterator<String> it = map.keys(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        throw bad(path + key, "is not a field of " + SCHEMA_PREFIX + SCHEMA_MAJOR
            + " (misspelt? a newer minor version may add fields)");
      }
    }
  }

  /** The value of {@code key} as org.json holds it ({@code JSONObject.NULL} for null). */
  private static Object require(JSONObject map, String key, String path) throws ModelException {
    if (!map.has(key)) {
      throw bad(path + key, "is missing");
    }
    return map.opt(key);
  }

  private static JSONObject object(JSONObject map, String key, String path)
      throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof JSONObject)) {
      throw bad(path + key, "must be an object");
    }
    return (JSONObject) v;
  }

  private static JSONArray list(JSONObject map, String key, String path, int size)
      throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof JSONArray)) {
      throw bad(path + key, "must be a list");
    }
    JSONArray list = (JSONArray) v;
    if (list.length() != size) {
      throw bad(path + key, "has " + list.length() + " entries; output.num_classes is " + size);
    }
    return list;
  }

  private static String string(JSONObject map, String key, String path) throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof String)) {
      throw bad(path + key, "must be a string");
    }
    return (String) v;
  }

  private static String optionalString(JSONObject map, String key, String path)
      throws ModelException {
    return map.isNull(key) ? null : string(map, key, path);
  }

  private static boolean bool(JSONObject map, String key, String path) throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof Boolean)) {
      throw bad(path + key, "must be true or false");
    }
    return (Boolean) v;
  }

  /** org.json reads a number as Integer, Long or Double (never from a string here). */
  private static double number(JSONObject map, String key, String path) throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof Number)) {
      throw bad(path + key, "must be a number");
    }
    return ((Number) v).doubleValue();
  }

  private static int integerValue(Object v, String where) throws ModelException {
    double d = v instanceof Number ? ((Number) v).doubleValue() : Double.NaN;
    if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
      throw bad(where, "must be an integer");
    }
    return (int) d;
  }

  private static int positiveInt(JSONObject map, String key, String path)
      throws ModelException {
    int v = integerValue(require(map, key, path), path + key);
    if (v <= 0) {
      throw bad(path + key, "must be positive (got " + v + ")");
    }
    return v;
  }

  private static void expectValue(JSONObject map, String key, String path, String wanted)
      throws ModelException {
    String v = string(map, key, path);
    if (!v.equals(wanted)) {
      throw bad(path + key, "is \"" + v + "\"; the app supports \"" + wanted + "\" only");
    }
  }

  private static TensorInfo.DType dtype(JSONObject map, String path)
      throws ModelException {
    String name = string(map, "dtype", path);
    TensorInfo.DType t = TensorInfo.DType.ofName(name);
    if (t == null) {
      throw bad(path + "dtype", "\"" + name + "\" is not one of uint8, int8, int32, float32");
    }
    return t;
  }

  private static float[] channels(JSONObject map, String key, String path,
      boolean positive) throws ModelException {
    Object v = require(map, key, path);
    if (!(v instanceof JSONArray) || ((JSONArray) v).length() != 3) {
      throw bad(path + key, "must be a list of 3 numbers (R, G, B)");
    }
    float[] out = new float[3];
    for (int c = 0; c < 3; c++) {
      Object x = ((JSONArray) v).opt(c);
      if (!(x instanceof Number) || (positive && !(((Number) x).doubleValue() > 0))) {
        throw bad(path + key, "must hold 3 " + (positive ? "positive " : "") + "numbers");
      }
      out[c] = (float) ((Number) x).doubleValue();
    }
    return out;
  }

  private static Quantization quantization(boolean exact, JSONObject map, String path)
      throws ModelException {
    if (map.isNull("quantization")) {
      return null;
    }
    Object v = map.opt("quantization");
    if (!(v instanceof JSONObject)) {
      throw bad(path + "quantization", "must be null or {\"scale\": s, \"zero_point\": z}");
    }
    JSONObject q = (JSONObject) v;
    knownKeys(exact, q, path + "quantization.", "scale", "zero_point");
    double scale = number(q, "scale", path + "quantization.");
    int zero = integerValue(require(q, "zero_point", path + "quantization."),
        path + "quantization.zero_point");
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw bad(path + "quantization.scale", "must be positive (got " + scale + ")");
    }
    return new Quantization((float) scale, zero);
  }
}
