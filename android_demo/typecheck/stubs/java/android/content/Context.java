// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar
// (API levels 24-36 agree on these members); bodies throw. Not the real class.
package android.content;

import android.content.pm.ApplicationInfo;
import android.content.res.AssetManager;
import java.io.File;

public abstract class Context {
  public AssetManager getAssets() { throw new UnsupportedOperationException(); }
  public ContentResolver getContentResolver() { throw new UnsupportedOperationException(); }
  public File getCacheDir() { throw new UnsupportedOperationException(); }
  public ApplicationInfo getApplicationInfo() { throw new UnsupportedOperationException(); }
}
