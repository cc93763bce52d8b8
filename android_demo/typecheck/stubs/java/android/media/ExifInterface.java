// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar
// (API levels 24-36 agree on these members); bodies throw. Not the real class.
package android.media;

import java.io.IOException;
import java.io.InputStream;

public class ExifInterface {
  public static final String TAG_ORIENTATION = "Orientation";
  public static final int ORIENTATION_NORMAL = 1;
  public static final int ORIENTATION_ROTATE_180 = 3;
  public static final int ORIENTATION_ROTATE_90 = 6;
  public static final int ORIENTATION_ROTATE_270 = 8;

  public ExifInterface(InputStream inputStream) throws IOException {
    throw new UnsupportedOperationException();
  }
  public int getAttributeInt(String tag, int defaultValue) { throw new UnsupportedOperationException(); }
}
