// Type-check stub (android_demo/typecheck): signatures from androidx.activity 1.12.1
// (ComponentActivity, ActivityViewModelLazy.kt, EdgeToEdge.kt); parameters the app never passes
// are left out. Bodies TODO().
package androidx.activity

import android.app.Activity
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ViewModel

open class ComponentActivity : Activity(), LifecycleOwner {
  override val lifecycle: Lifecycle
    get() = TODO()
}

inline fun <reified VM : ViewModel> ComponentActivity.viewModels(): Lazy<VM> = TODO()

class SystemBarStyle private constructor() {
  companion object {
    @JvmStatic fun auto(lightScrim: Int, darkScrim: Int): SystemBarStyle = TODO()

    @JvmStatic fun dark(scrim: Int): SystemBarStyle = TODO()

    @JvmStatic fun light(scrim: Int, darkScrim: Int): SystemBarStyle = TODO()
  }
}

@JvmOverloads
fun ComponentActivity.enableEdgeToEdge(
  statusBarStyle: SystemBarStyle = TODO(),
  navigationBarStyle: SystemBarStyle = TODO(),
): Unit = TODO()
