// Type-check stub (android_demo/typecheck): signatures from Compose UI 1.10 (ui-graphics:
// Color, ImageBitmap, FilterQuality, ColorFilter, Shape); bodies TODO().
package androidx.compose.ui.graphics

import android.graphics.Bitmap

@JvmInline
value class Color(val value: ULong) {
  companion object {
    val Black: Color = TODO()
    val White: Color = TODO()
    val LightGray: Color = TODO()
    val Gray: Color = TODO()
    val Transparent: Color = TODO()
    val Unspecified: Color = TODO()
  }
}

/** An ARGB colour int (0xAARRGGBB). */
fun Color(color: Int): Color = TODO()

/** An ARGB colour in the low 32 bits (0xAARRGGBB as a Long literal). */
fun Color(color: Long): Color = TODO()

interface ImageBitmap {
  val width: Int
  val height: Int
}

fun Bitmap.asImageBitmap(): ImageBitmap = TODO()

@JvmInline
value class FilterQuality(val value: Int) {
  companion object {
    val None: FilterQuality = TODO()
    val Low: FilterQuality = TODO()
    val Medium: FilterQuality = TODO()
    val High: FilterQuality = TODO()
  }
}

open class ColorFilter internal constructor()

interface Shape

val RectangleShape: Shape = TODO()
