// Type-check stub (android_demo/typecheck): signatures from CameraX 1.5.2
// (camera-lifecycle: ProcessCameraProvider); bodies TODO().
package androidx.camera.lifecycle

import android.content.Context
import androidx.camera.core.Camera
import androidx.camera.core.CameraSelector
import androidx.camera.core.UseCase
import androidx.lifecycle.LifecycleOwner
import com.google.common.util.concurrent.ListenableFuture

class ProcessCameraProvider private constructor() {
  fun bindToLifecycle(lifecycleOwner: LifecycleOwner, cameraSelector: CameraSelector,
                      vararg useCases: UseCase?): Camera = TODO()

  fun unbindAll(): Unit = TODO()

  companion object {
    @JvmStatic fun getInstance(context: Context): ListenableFuture<ProcessCameraProvider> = TODO()
  }
}
