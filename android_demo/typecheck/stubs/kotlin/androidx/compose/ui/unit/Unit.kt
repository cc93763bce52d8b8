// Type-check stub (android_demo/typecheck): signatures from Compose UI 1.10 (ui-unit: Dp,
// TextUnit and their Int/Float/Double extension properties).
package androidx.compose.ui.unit

@JvmInline
value class Dp(val value: Float) {
  companion object {
    val Unspecified: Dp = TODO()
  }
}

val Int.dp: Dp
  get() = TODO()

val Float.dp: Dp
  get() = TODO()

val Double.dp: Dp
  get() = TODO()

@JvmInline
value class TextUnit(val packedValue: Long) {
  companion object {
    val Unspecified: TextUnit = TODO()
  }
}

val Int.sp: TextUnit
  get() = TODO()

val Float.sp: TextUnit
  get() = TODO()

val Double.sp: TextUnit
  get() = TODO()
