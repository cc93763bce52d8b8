// Type-check stub (android_demo/typecheck): signatures from Compose UI 1.10 (ui: ContentScale).
package androidx.compose.ui.layout

interface ContentScale {
  companion object {
    val Crop: ContentScale = TODO()
    val Fit: ContentScale = TODO()
    val FillBounds: ContentScale = TODO()
    val Inside: ContentScale = TODO()
  }
}
