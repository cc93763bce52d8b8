// Type-check stub (android_demo/typecheck): signatures from CameraX 1.5.2 (camera-view:
// PreviewView, a Java FrameLayout; getters/setters as Kotlin properties). Bodies TODO().
package androidx.camera.view

import android.content.Context
import android.widget.FrameLayout
import androidx.camera.core.Preview

class PreviewView(context: Context) : FrameLayout(context) {
  enum class ScaleType { FILL_START, FILL_CENTER, FILL_END, FIT_START, FIT_CENTER, FIT_END }

  var scaleType: ScaleType
    get() = TODO()
    set(value) = TODO()

  val surfaceProvider: Preview.SurfaceProvider
    get() = TODO()
}
