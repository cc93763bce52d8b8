// Type-check stub (android_demo/typecheck): signatures from Compose Foundation 1.10 (Compose
// BOM 2025.12.00: Image.kt, Background.kt); bodies TODO().
package androidx.compose.foundation

import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.ColorFilter
import androidx.compose.ui.graphics.FilterQuality
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.RectangleShape
import androidx.compose.ui.graphics.Shape
import androidx.compose.ui.layout.ContentScale

@Composable
fun Image(
  bitmap: ImageBitmap,
  contentDescription: String?,
  modifier: Modifier = Modifier,
  alignment: Alignment = Alignment.Center,
  contentScale: ContentScale = ContentScale.Fit,
  alpha: Float = 1.0f,
  colorFilter: ColorFilter? = null,
  filterQuality: FilterQuality = FilterQuality.Low,
): Unit = TODO()

fun Modifier.background(color: Color, shape: Shape = RectangleShape): Modifier = TODO()
