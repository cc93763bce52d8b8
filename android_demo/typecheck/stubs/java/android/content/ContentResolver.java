// Type-check stub (android_demo/typecheck): signatures from the Android SDK 36 android.jar
// (API levels 24-36 agree on these members); bodies throw. Not the real class.
package android.content;

import android.net.Uri;
import java.io.FileNotFoundException;
import java.io.InputStream;

public abstract class ContentResolver {
  public final InputStream openInputStream(Uri uri) throws FileNotFoundException {
    throw new UnsupportedOperationException();
  }
}
