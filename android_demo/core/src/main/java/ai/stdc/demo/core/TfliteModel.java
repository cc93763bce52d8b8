package ai.stdc.demo.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;

/**
 * Reads what the demo needs from a .tflite flatbuffer: the metadata entries and the first
 * subgraph's input and output tensors. Plain Java, bounds-checked: a truncated or foreign file
 * gives a {@link ModelException}, never an index error.
 *
 * <p>Field numbers follow LiteRT's {@code schema.fbs}: {@code Model} (buffers 4, metadata 6,
 * subgraphs 2), {@code Metadata} (name 0, buffer 1), {@code Buffer} (data 0, offset 1, size 2 —
 * models over 2 GB keep buffer bytes after the flatbuffer, at {@code offset}), {@code SubGraph}
 * (tensors 0, inputs 1, outputs 2), {@code Tensor} (shape 0, type 1, name 3, quantization 4),
 * {@code QuantizationParameters} (scale 2, zero_point 3).
 *
 * <p>Works on a heap buffer or on a memory-mapped asset; only the bytes it reads are touched.
 */
public final class TfliteModel {
  private static final String IDENTIFIER = "TFL3";

  private final ByteBuffer buf;
  private final int model;

  private TfliteModel(ByteBuffer buffer) throws ModelException {
    this.buf = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    buf.position(0);
    if (buf.limit() < 8) {
      throw new ModelException("not a .tflite model: only " + buf.limit() + " bytes");
    }
    byte[] id = new byte[4];
    for (int i = 0; i < 4; i++) {
      id[i] = buf.get(4 + i);
    }
    if (!IDENTIFIER.equals(new String(id, Charset.forName("US-ASCII")))) {
      throw new ModelException("not a .tflite model: its file identifier is not " + IDENTIFIER);
    }
    this.model = indirect(0);
  }

  /** Reads the model in {@code buffer} (position and limit: the whole file). */
  public static TfliteModel read(ByteBuffer buffer) throws ModelException {
    return new TfliteModel(buffer);
  }

  public static TfliteModel read(byte[] bytes) throws ModelException {
    return new TfliteModel(ByteBuffer.wrap(bytes));
  }

  /** The bytes of the metadata entry named {@code name}, or null when the model has none. */
  public byte[] metadata(String name) throws ModelException {
    int entries = field(model, 6);
    if (entries == 0) {
      return null;
    }
    int n = vectorLength(entries);
    for (int i = 0; i < n; i++) {
      int entry = indirect(entries + 4 + 4 * i);
      int nameField = field(entry, 0);
      if (nameField != 0 && name.equals(string(nameField))) {
        int bufferField = vtableEntry(entry, 1); // a scalar: the index into Model.buffers
        long index = bufferField == 0 ? 0 : u32(entry + bufferField);
        return bufferBytes(index, "metadata \"" + name + "\"");
      }
    }
    return null;
  }

  /** The metadata entry {@code name} decoded as UTF-8 text, or null when absent. */
  public String metadataText(String name) throws ModelException {
    byte[] bytes = metadata(name);
    if (bytes == null) {
      return null;
    }
    try {
      return Charset.forName("UTF-8")
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ModelException("metadata \"" + name + "\" is not UTF-8 text", e);
    }
  }

  public int inputCount() throws ModelException {
    return ioList(1).length;
  }

  public int outputCount() throws ModelException {
    return ioList(2).length;
  }

  /** Input {@code i} of the first subgraph. */
  public TensorInfo input(int i) throws ModelException {
    return tensor(ioList(1), i, "input");
  }

  /** Output {@code i} of the first subgraph. */
  public TensorInfo output(int i) throws ModelException {
    return tensor(ioList(2), i, "output");
  }

  // ---- model structure ----

  private int subgraph() throws ModelException {
    int subgraphs = field(model, 2);
    if (subgraphs == 0 || vectorLength(subgraphs) == 0) {
      throw new ModelException("the model has no subgraph");
    }
    return indirect(subgraphs + 4);
  }

  private int[] ioList(int fieldIndex) throws ModelException {
    int list = field(subgraph(), fieldIndex);
    if (list == 0) {
      return new int[0];
    }
    int[] out = new int[vectorLength(list)];
    for (int i = 0; i < out.length; i++) {
      out[i] = i32(list + 4 + 4 * i);
    }
    return out;
  }

  private TensorInfo tensor(int[] indices, int i, String what) throws ModelException {
    if (i < 0 || i >= indices.length) {
      throw new ModelException("the model has " + indices.length + " " + what + "s; no " + what
          + " " + i);
    }
    int tensors = field(subgraph(), 0);
    int count = tensors == 0 ? 0 : vectorLength(tensors);
    int index = indices[i];
    if (index < 0 || index >= count) {
      throw new ModelException(what + " " + i + " refers to tensor " + index + " of " + count);
    }
    int t = indirect(tensors + 4 + 4 * index);
    int shapeField = field(t, 0);
    int[] shape = new int[shapeField == 0 ? 0 : vectorLength(shapeField)];
    for (int d = 0; d < shape.length; d++) {
      shape[d] = i32(shapeField + 4 + 4 * d);
    }
    int typeField = vtableEntry(t, 1);
    int type = typeField == 0 ? 0 : u8(t + typeField); // FLOAT32 is the schema default
    int nameField = field(t, 3);
    String name = nameField == 0 ? "" : string(nameField);
    return new TensorInfo(name, type, shape, quantization(field(t, 4), name));
  }

  private Quantization quantization(int params, String tensor) throws ModelException {
    if (params == 0) {
      return null;
    }
    int scales = field(params, 2);
    int zeroPoints = field(params, 3);
    int n = scales == 0 ? 0 : vectorLength(scales);
    if (n == 0) {
      return null;
    }
    if (n > 1) {
      throw new ModelException("tensor " + tensor + " is quantized per channel (" + n
          + " scales); the demo needs per-tensor quantization on inputs and outputs");
    }
    float scale = Float.intBitsToFloat(i32(scales + 4));
    long zero = zeroPoints == 0 || vectorLength(zeroPoints) == 0 ? 0 : i64(zeroPoints + 4);
    if (scale == 0) {
      return null;
    }
    if (!(scale > 0) || zero < Integer.MIN_VALUE || zero > Integer.MAX_VALUE) {
      throw new ModelException("tensor " + tensor + " has bad quantization (scale " + scale
          + ", zero point " + zero + ")");
    }
    return new Quantization(scale, (int) zero);
  }

  private byte[] bufferBytes(long index, String what) throws ModelException {
    int buffers = field(model, 4);
    int count = buffers == 0 ? 0 : vectorLength(buffers);
    if (index >= count) {
      throw new ModelException(what + " refers to buffer " + index + " of " + count);
    }
    int b = indirect(buffers + 4 + 4 * (int) index);
    int data = field(b, 0);
    if (data != 0 && vectorLength(data) > 0) {
      return bytes(data + 4, vectorLength(data));
    }
    int offsetField = vtableEntry(b, 1);
    int sizeField = vtableEntry(b, 2);
    long offset = offsetField == 0 ? 0 : i64(b + offsetField);
    long size = sizeField == 0 ? 0 : i64(b + sizeField);
    if (offset > 1) { // 0 and 1 mean "no external data" in the schema
      if (size < 0 || offset + size > buf.limit()) {
        throw new ModelException(what + ": its bytes lie outside the file");
      }
      return bytes((int) offset, (int) size);
    }
    return new byte[0];
  }

  // ---- flatbuffer primitives (bounds-checked) ----

  /** Absolute position of the table field {@code index}'s target (0 when absent). */
  private int field(int table, int index) throws ModelException {
    int off = vtableEntry(table, index);
    return off == 0 ? 0 : indirect(table + off);
  }

  /** The field's offset inside {@code table}, 0 when the field is absent. */
  private int vtableEntry(int table, int index) throws ModelException {
    int vtable = table - i32(table);
    check(vtable, 4);
    int vtableSize = u16(vtable);
    int entry = 4 + 2 * index;
    if (entry + 2 > vtableSize) {
      return 0;
    }
    return u16(vtable + entry);
  }

  /** Follows the unsigned 32-bit offset stored at {@code pos}. */
  private int indirect(int pos) throws ModelException {
    long target = pos + u32(pos);
    if (target >= buf.limit()) {
      throw corrupt(pos);
    }
    return (int) target;
  }

  private int vectorLength(int vector) throws ModelException {
    long n = u32(vector);
    if (n > (buf.limit() - vector - 4)) {
      throw corrupt(vector);
    }
    return (int) n;
  }

  private String string(int s) throws ModelException {
    return new String(bytes(s + 4, vectorLength(s)), Charset.forName("UTF-8"));
  }

  private byte[] bytes(int pos, int n) throws ModelException {
    check(pos, n);
    byte[] out = new byte[n];
    ByteBuffer view = buf.duplicate();
    view.position(pos);
    view.get(out);
    return out;
  }

  private void check(int pos, int n) throws ModelException {
    if (pos < 0 || n < 0 || (long) pos + n > buf.limit()) {
      throw corrupt(pos);
    }
  }

  private ModelException corrupt(int pos) {
    return new ModelException("not a valid .tflite flatbuffer (truncated or corrupt near byte "
        + pos + " of " + buf.limit() + ")");
  }

  private int u8(int pos) throws ModelException {
    check(pos, 1);
    return buf.get(pos) & 0xff;
  }

  private int u16(int pos) throws ModelException {
    check(pos, 2);
    return buf.getShort(pos) & 0xffff;
  }

  private int i32(int pos) throws ModelException {
    check(pos, 4);
    return buf.getInt(pos);
  }

  private long u32(int pos) throws ModelException {
    return i32(pos) & 0xffffffffL;
  }

  private long i64(int pos) throws ModelException {
    check(pos, 8);
    return buf.getLong(pos);
  }
}
