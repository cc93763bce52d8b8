// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar
// (API levels 24-36 agree on these members); bodies throw. Not the real class.
package android.graphics;

import java.io.InputStream;

public class BitmapFactory {
  public static class Options {
    public boolean inJustDecodeBounds;
    public int inSampleSize;
    public Bitmap.Config inPreferredConfig;
    public int outWidth;
    public int outHeight;
  }

  public static Bitmap decodeStream(InputStream is, Rect outPadding, Options opts) {
    throw new UnsupportedOperationException();
  }
}
