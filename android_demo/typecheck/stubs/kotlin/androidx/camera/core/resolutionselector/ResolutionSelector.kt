// Type-check stub (android_demo/typecheck): signatures from CameraX 1.5.2 (camera-core:
// ResolutionSelector, AspectRatioStrategy); bodies TODO().
package androidx.camera.core.resolutionselector

class AspectRatioStrategy(preferredAspectRatio: Int, fallbackRule: Int) {
  companion object {
    @JvmField val RATIO_4_3_FALLBACK_AUTO_STRATEGY: AspectRatioStrategy = TODO()
    @JvmField val RATIO_16_9_FALLBACK_AUTO_STRATEGY: AspectRatioStrategy = TODO()
  }
}

class ResolutionSelector private constructor() {
  class Builder {
    fun setAspectRatioStrategy(aspectRatioStrategy: AspectRatioStrategy): Builder = TODO()

    fun build(): ResolutionSelector = TODO()
  }
}
