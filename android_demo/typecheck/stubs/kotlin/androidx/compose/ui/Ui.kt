// Type-check stub (android_demo/typecheck): signatures from Compose UI 1.10 (Compose BOM
// 2025.12.00: Modifier, Alignment); bodies TODO().
package androidx.compose.ui

interface Modifier {
  infix fun then(other: Modifier): Modifier = TODO()

  companion object : Modifier
}

fun interface Alignment {
  fun align(size: Long, space: Long): Long

  fun interface Horizontal {
    fun align(size: Int, space: Int): Int
  }

  fun interface Vertical {
    fun align(size: Int, space: Int): Int
  }

  companion object {
    val TopStart: Alignment = TODO()
    val Center: Alignment = TODO()
    val BottomCenter: Alignment = TODO()
    val Top: Vertical = TODO()
    val CenterVertically: Vertical = TODO()
    val Bottom: Vertical = TODO()
    val Start: Horizontal = TODO()
    val CenterHorizontally: Horizontal = TODO()
    val End: Horizontal = TODO()
  }
}
