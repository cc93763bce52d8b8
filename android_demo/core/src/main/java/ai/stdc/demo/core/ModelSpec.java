package ai.stdc.demo.core;

import java.nio.ByteBuffer;

/**
 * A model the app can run: its metadata, checked against the tensors the flatbuffer really has
 * (a model re-converted without updating its metadata is refused with a message saying what
 * differs), plus the output size, which only the tensor knows.
 */
public final class ModelSpec {
  public final ModelMetadata metadata;
  public final TensorInfo input;
  public final TensorInfo output;
  public final int outputHeight;
  public final int outputWidth;

  private ModelSpec(ModelMetadata metadata, TensorInfo input, TensorInfo output)
      throws ModelException {
    this.metadata = metadata;
    this.input = input;
    this.output = output;
    ModelMetadata m = metadata;
    int[] in = input.shape;
    if (in.length != 4 || in[0] != 1 || in[3] != 3) {
      throw new ModelException("model input " + input + " is not one RGB image [1, H, W, 3]");
    }
    if (in[1] != m.inputHeight || in[2] != m.inputWidth) {
      throw differs("input size", in[1] + "x" + in[2], m.inputHeight + "x" + m.inputWidth);
    }
    check("input", input, m.inputType, m.inputQuantization);
    int[] out = output.shape;
    boolean logits = m.outputKind == ModelMetadata.OutputKind.LOGITS;
    boolean shapeOk = out.length >= 3 && out.length <= 4 && out[0] == 1
        && (logits ? out.length == 4 && out[3] == m.numClasses : out.length == 3 || out[3] == 1);
    if (!shapeOk) {
      throw new ModelException("model output " + output + " does not hold "
          + (logits ? m.numClasses + " class logits [1, H, W, " + m.numClasses + "]"
              : "a class map [1, H, W] or [1, H, W, 1]"));
    }
    check("output", output, m.outputType, m.outputQuantization);
    this.outputHeight = out[1];
    this.outputWidth = out[2];
  }

  /** Reads the .tflite in {@code model} and its "stdc_tf" metadata, and checks that they agree. */
  public static ModelSpec read(ByteBuffer model) throws ModelException {
    TfliteModel tflite = TfliteModel.read(model);
    String json = tflite.metadataText(ModelMetadata.ENTRY_NAME);
    if (json == null) {
      throw new ModelException("the model has no \"" + ModelMetadata.ENTRY_NAME + "\" metadata;"
          + " convert it with convert/to_tflite.py, which writes it");
    }
    if (tflite.inputCount() != 1 || tflite.outputCount() != 1) {
      throw new ModelException("the model has " + tflite.inputCount() + " inputs and "
          + tflite.outputCount() + " outputs; expected one image input and one output");
    }
    return of(ModelMetadata.parse(json), tflite.input(0), tflite.output(0));
  }

  /** Checks that {@code metadata} describes these tensors. */
  static ModelSpec of(ModelMetadata metadata, TensorInfo input, TensorInfo output)
      throws ModelException {
    return new ModelSpec(metadata, input, output);
  }

  public static ModelSpec read(byte[] model) throws ModelException {
    return read(ByteBuffer.wrap(model));
  }

  private static void check(String which, TensorInfo tensor, TensorInfo.DType type,
      Quantization quantization) throws ModelException {
    if (tensor.type != type) {
      throw differs(which + " type", tensor.typeName(), type.jsonName);
    }
    boolean same = tensor.quantization == null ? quantization == null
        : tensor.quantization.equals(quantization);
    if (!same) {
      throw differs(which + " quantization", String.valueOf(tensor.quantization),
          String.valueOf(quantization));
    }
  }

  private static ModelException differs(String what, String tensor, String metadata) {
    return new ModelException("the model's " + what + " is " + tensor + " but its metadata says "
        + metadata + "; re-convert the model so the metadata matches");
  }

  @Override
  public String toString() {
    return metadata.label() + ": " + input + " -> " + output;
  }
}
