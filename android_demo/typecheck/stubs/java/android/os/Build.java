// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar;
// SOC_MANUFACTURER and SOC_MODEL are API 31, ID and VERSION.SDK_INT API 1/4. Values are not
// constants here (the real ones are set at run time). Not the real class.
package android.os;

public class Build {
  public static final String ID = runtime();
  public static final String SOC_MANUFACTURER = runtime();
  public static final String SOC_MODEL = runtime();

  public static class VERSION {
    public static final int SDK_INT = Integer.parseInt(runtime());
  }

  public static class VERSION_CODES {
    public static final int S = 31;
  }

  private static String runtime() {
    throw new UnsupportedOperationException();
  }
}
