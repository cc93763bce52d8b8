// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar
// (API levels 24-36 agree on these members); bodies throw. Not the real class.
package android.view;

import android.content.Context;

public class View {
  public View(Context context) { throw new UnsupportedOperationException(); }
}
