// Type-check stub (android_demo/typecheck): signatures from Compose UI 1.10
// (ui: AndroidView.android.kt); bodies TODO().
package androidx.compose.ui.viewinterop

import android.content.Context
import android.view.View
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier

@Composable
fun <T : View> AndroidView(
  factory: (Context) -> T,
  modifier: Modifier = Modifier,
  update: (T) -> Unit = {},
): Unit = TODO()
