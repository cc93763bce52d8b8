package ai.stdc.demo

import ai.stdc.demo.core.ClassMap
import ai.stdc.demo.core.Overlay
import ai.stdc.demo.core.Palette
import ai.stdc.demo.core.RgbImage
import android.content.ContentResolver
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.media.ExifInterface
import android.net.Uri
import androidx.camera.core.ImageProxy
import java.io.InputStream

/** Conversions between Android image types and the core's [RgbImage] / [ClassMap]. */
object Frames {
  /** Longest side of a still image after decoding: bounds memory and post-processing time. */
  const val MAX_STILL_SIDE = 1280

  /** An RGBA_8888 camera frame, turned upright (CameraX says by how much). */
  fun fromCamera(image: ImageProxy): RgbImage {
    val plane = image.planes[0]
    return RgbImage.fromRgba(plane.buffer, image.width, image.height, plane.rowStride,
      plane.pixelStride).rotate(image.imageInfo.rotationDegrees)
  }

  fun fromBitmap(bitmap: Bitmap): RgbImage {
    val argb = IntArray(bitmap.width * bitmap.height)
    bitmap.getPixels(argb, 0, bitmap.width, 0, 0, bitmap.width, bitmap.height)
    return RgbImage.fromArgb(argb, bitmap.width, bitmap.height)
  }

  fun toBitmap(image: RgbImage): Bitmap =
    Bitmap.createBitmap(image.toArgb(), image.width, image.height, Bitmap.Config.ARGB_8888)

  /** The class colours at [alpha] as a bitmap the size of the class map (shown scaled). */
  fun mask(classes: ClassMap, palette: Palette, alpha: Int): Bitmap =
    Bitmap.createBitmap(Overlay.colorize(classes, palette, alpha), classes.width, classes.height,
      Bitmap.Config.ARGB_8888)

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
