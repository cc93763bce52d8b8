// Type-check stub (android_demo/typecheck): signatures from CameraX 1.5.2 (camera-core:
// ImageProxy, ImageInfo, UseCase, ImageAnalysis, Preview, CameraSelector, Camera). CameraX is
// Java annotated @NonNull/@Nullable; these Kotlin declarations carry the same nullability, and
// getters are properties as Kotlin sees them. Bodies TODO().
package androidx.camera.core

import androidx.camera.core.resolutionselector.ResolutionSelector
import java.nio.ByteBuffer
import java.util.concurrent.Executor

interface ImageInfo {
  val rotationDegrees: Int
}

interface ImageProxy : AutoCloseable {
  val width: Int
  val height: Int
  val planes: Array<PlaneProxy>
  val imageInfo: ImageInfo

  interface PlaneProxy {
    val rowStride: Int
    val pixelStride: Int
    val buffer: ByteBuffer
  }
}

abstract class UseCase

interface Camera

class CameraSelector private constructor() {
  companion object {
    @JvmField val DEFAULT_BACK_CAMERA: CameraSelector = TODO()
    @JvmField val DEFAULT_FRONT_CAMERA: CameraSelector = TODO()
  }
}

class SurfaceRequest private constructor()

class ImageAnalysis private constructor() : UseCase() {
  fun interface Analyzer {
    fun analyze(image: ImageProxy)
  }

  fun setAnalyzer(executor: Executor, analyzer: Analyzer): Unit = TODO()

  fun clearAnalyzer(): Unit = TODO()

  class Builder {
    fun setResolutionSelector(resolutionSelector: ResolutionSelector): Builder = TODO()

    fun setBackpressureStrategy(strategy: Int): Builder = TODO()

    fun setOutputImageFormat(outputImageFormat: Int): Builder = TODO()

    fun build(): ImageAnalysis = TODO()
  }

  companion object {
    const val STRATEGY_KEEP_ONLY_LATEST = 0
    const val STRATEGY_BLOCK_PRODUCER = 1
    const val OUTPUT_IMAGE_FORMAT_YUV_420_888 = 1
    const val OUTPUT_IMAGE_FORMAT_RGBA_8888 = 2
  }
}

class Preview private constructor() : UseCase() {
  fun interface SurfaceProvider {
    fun onSurfaceRequested(request: SurfaceRequest)
  }

  fun setSurfaceProvider(surfaceProvider: SurfaceProvider?): Unit = TODO()

  class Builder {
    fun setResolutionSelector(resolutionSelector: ResolutionSelector): Builder = TODO()

    fun build(): Preview = TODO()
  }
}
