// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar
// (API levels 24-36 agree on these members); bodies throw. Not the real class.
package android.content.res;

import java.io.IOException;
import java.io.InputStream;

public final class AssetManager implements AutoCloseable {
  public String[] list(String path) throws IOException { throw new UnsupportedOperationException(); }
  public InputStream open(String fileName) throws IOException { throw new UnsupportedOperationException(); }
  public AssetFileDescriptor openFd(String fileName) throws IOException {
    throw new UnsupportedOperationException();
  }
  @Override public void close() { throw new UnsupportedOperationException(); }
}
