// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar
// (API levels 24-36 agree on these members); bodies throw. Not the real class.
package android.graphics;

public class Color {
  public static final int BLACK = 0xFF000000;
  public static final int TRANSPARENT = 0;
}
