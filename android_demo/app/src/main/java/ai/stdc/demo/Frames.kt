package ai.stdc.demo

import ai.stdc.demo.core.RgbImage
import android.content.ContentResolver
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.media.ExifInterface
import android.net.Uri
import androidx.camera.core.ImageProxy
import java.io.InputStream

/** Conversions between Android image types and the core's [RgbImage], and reused frame memory. */
object Frames {
  /** Longest side of a still image after decoding: bounds memory and post-processing time. */
  const val MAX_STILL_SIDE = 1280

  fun fromBitmap(bitmap: Bitmap): RgbImage {
    val argb = IntArray(bitmap.width * bitmap.height)
    bitmap.getPixels(argb, 0, bitmap.width, 0, 0, bitmap.width, bitmap.height)
    return RgbImage.fromArgb(argb, bitmap.width, bitmap.height)
  }

  fun toBitmap(image: RgbImage): Bitmap =
    Bitmap.createBitmap(image.toArgb(), image.width, image.height, Bitmap.Config.ARGB_8888)

  /** Decodes a picture (gallery URI or asset stream), downsampled and turned upright by EXIF. */
  fun decodeStill(open: () -> InputStream): RgbImage {
    val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
    open().use { BitmapFactory.decodeStream(it, null, bounds) }
    require(bounds.outWidth > 0) { "not an image the phone can decode" }
    var sample = 1
    while (maxOf(bounds.outWidth, bounds.outHeight) / sample > MAX_STILL_SIDE) sample *= 2
    val options = BitmapFactory.Options().apply {
      inSampleSize = sample
      inPreferredConfig = Bitmap.Config.ARGB_8888
    }
    val bitmap = open().use { BitmapFactory.decodeStream(it, null, options) }
      ?: throw IllegalArgumentException("not an image the phone can decode")
    val degrees = open().use { exifRotation(it) }
    return fromBitmap(bitmap).rotate(degrees)
  }

  fun uriStream(resolver: ContentResolver, uri: Uri): () -> InputStream = {
    resolver.openInputStream(uri) ?: throw IllegalArgumentException("cannot open $uri")
  }

  private fun exifRotation(stream: InputStream): Int =
    when (ExifInterface(stream).getAttributeInt(ExifInterface.TAG_ORIENTATION,
      ExifInterface.ORIENTATION_NORMAL)) {
      ExifInterface.ORIENTATION_ROTATE_90 -> 90
      ExifInterface.ORIENTATION_ROTATE_180 -> 180
      ExifInterface.ORIENTATION_ROTATE_270 -> 270
      else -> 0
    }
}

/**
 * Memory reused from frame to frame on the worker: the camera plane's bytes, the mask's colours
 * and the mask bitmaps (which one may be written is [ai.stdc.demo.core.Handover]'s to say).
 */
class FrameMemory {
  private var plane = ByteArray(0)
  private var argb = IntArray(0)

  /** The frame's first plane copied out of its (direct) buffer in one bulk read. */
  fun plane(image: ImageProxy): ByteArray {
    val buffer = image.planes[0].buffer
    buffer.rewind()
    if (plane.size < buffer.remaining()) plane = ByteArray(buffer.remaining())
    buffer.get(plane, 0, buffer.remaining())
    return plane
  }

  /** A colour array of [size] pixels (reused). */
  fun argb(size: Int): IntArray {
    if (argb.size != size) argb = IntArray(size)
    return argb
  }

  /** [reuse] (a new bitmap when null or of another size), [width] x [height], filled with [colors]. */
  fun mask(reuse: Bitmap?, colors: IntArray, width: Int, height: Int): Bitmap {
    val bitmap = reuse?.takeIf { it.width == width && it.height == height }
      ?: Bitmap.createBitmap(width, height, Bitmap.Config.ARGB_8888)
    bitmap.setPixels(colors, 0, width, 0, 0, width, height)
    return bitmap
  }
}
