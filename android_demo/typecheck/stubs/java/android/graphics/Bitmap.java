// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar
// (API levels 24-36 agree on these members); bodies throw. Not the real class.
package android.graphics;

public final class Bitmap {
  public enum Config { ALPHA_8, RGB_565, ARGB_4444, ARGB_8888, RGBA_F16, HARDWARE, RGBA_1010102 }

  public int getWidth() { throw new UnsupportedOperationException(); }
  public int getHeight() { throw new UnsupportedOperationException(); }
  public void getPixels(int[] pixels, int offset, int stride, int x, int y, int width, int height) {
    throw new UnsupportedOperationException();
  }
  public void setPixels(int[] pixels, int offset, int stride, int x, int y, int width, int height) {
    throw new UnsupportedOperationException();
  }
  public static Bitmap createBitmap(int width, int height, Config config) {
    throw new UnsupportedOperationException();
  }
  public static Bitmap createBitmap(int[] colors, int width, int height, Config config) {
    throw new UnsupportedOperationException();
  }
}
