// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar
// (API levels 24-36 agree on these members); bodies throw. Not the real class.
package android.content.res;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.IOException;

public class AssetFileDescriptor implements Closeable {
  public FileDescriptor getFileDescriptor() { throw new UnsupportedOperationException(); }
  public long getStartOffset() { throw new UnsupportedOperationException(); }
  public long getDeclaredLength() { throw new UnsupportedOperationException(); }
  @Override public void close() throws IOException { throw new UnsupportedOperationException(); }
}
