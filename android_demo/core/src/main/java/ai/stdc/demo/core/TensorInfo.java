package ai.stdc.demo.core;

import java.util.Arrays;

/** One tensor of a .tflite subgraph as the flatbuffer declares it. */
public final class TensorInfo {
  /** The element types the demo handles, with their LiteRT schema codes. */
  public enum DType {
    FLOAT32(0, "float32"),
    INT32(2, "int32"),
    UINT8(3, "uint8"),
    INT8(9, "int8");

    public final int code;
    public final String jsonName;

    DType(int code, String jsonName) {
      this.code = code;
      this.jsonName = jsonName;
    }

    /** The type with schema code {@code code}, or null for a type the demo does not handle. */
    static DType ofCode(int code) {
      for (DType t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      return null;
    }

    /** The type the metadata calls {@code name} ("uint8", ...), or null. */
    public static DType ofName(String name) {
      for (DType t : values()) {
        if (t.jsonName.equals(name)) {
          return t;
        }
      }
      return null;
    }

    public boolean isInteger() {
      return this != FLOAT32;
    }
  }

  public final String name;
  /** Null when the schema type is one the demo does not handle; {@link #typeCode} has it. */
  public final DType type;
  public final int typeCode;
  public final int[] shape;
  /** Null when the tensor is not (per-tensor) quantized. */
  public final Quantization quantization;

  TensorInfo(String name, int typeCode, int[] shape, Quantization quantization) {
    this.name = name;
    this.typeCode = typeCode;
    this.type = DType.ofCode(typeCode);
    this.shape = shape;
    this.quantization = quantization;
  }

  public String typeName() {
    return type != null ? type.jsonName : "schema type " + typeCode;
  }

  @Override
  public String toString() {
    return name + " " + typeName() + Arrays.toString(shape)
        + (quantization != null ? " (" + quantization + ")" : "");
  }
}
