package ai.stdc.demo.core;

/** A model file the app cannot use: not a .tflite, no or bad metadata, tensors that disagree. */
public final class ModelException extends Exception {
  private static final long serialVersionUID = 1L;

  public ModelException(String message) {
    super(message);
  }

  public ModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
