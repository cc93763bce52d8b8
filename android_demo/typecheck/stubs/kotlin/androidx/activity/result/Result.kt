// Type-check stub (android_demo/typecheck): signatures from androidx.activity 1.12.1
// (ActivityResultLauncher.kt, PickVisualMediaRequest.kt); bodies TODO().
package androidx.activity.result

import androidx.activity.result.contract.ActivityResultContracts

abstract class ActivityResultLauncher<I> {
  open fun launch(input: I): Unit = TODO()
}

class PickVisualMediaRequest internal constructor()

fun PickVisualMediaRequest(
  mediaType: ActivityResultContracts.PickVisualMedia.VisualMediaType =
    ActivityResultContracts.PickVisualMedia.ImageAndVideo,
): PickVisualMediaRequest = TODO()
