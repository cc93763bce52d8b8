// Type-check stub (android_demo/typecheck): signatures from androidx.lifecycle 2.10.0
// (lifecycle-common / lifecycle-viewmodel / lifecycle-viewmodel-android); bodies TODO().
package androidx.lifecycle

import android.app.Application

abstract class Lifecycle {
  enum class State { DESTROYED, INITIALIZED, CREATED, STARTED, RESUMED }
}

interface LifecycleOwner {
  val lifecycle: Lifecycle
}

abstract class ViewModel {
  protected open fun onCleared() {}
}

open class AndroidViewModel(application: Application) : ViewModel() {
  open fun <T : Application> getApplication(): T = TODO()
}
