// Type-check stub (android_demo/typecheck): signatures from androidx.core 1.17.0
// (core: ContextCompat, a Java class with static methods); bodies TODO().
package androidx.core.content

import android.content.Context
import java.util.concurrent.Executor

open class ContextCompat protected constructor() {
  companion object {
    @JvmStatic fun checkSelfPermission(context: Context, permission: String): Int = TODO()

    @JvmStatic fun getMainExecutor(context: Context): Executor = TODO()
  }
}
