// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar
// (API levels 24-36 agree on these members); bodies throw. Not the real class.
package android.util;

public final class Log {
  public static int e(String tag, String msg, Throwable tr) { throw new UnsupportedOperationException(); }
  public static int w(String tag, String msg) { throw new UnsupportedOperationException(); }
}
