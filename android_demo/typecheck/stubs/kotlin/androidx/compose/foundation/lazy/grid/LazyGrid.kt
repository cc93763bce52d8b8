// Type-check stub (android_demo/typecheck): signatures from Compose Foundation 1.10
// (foundation: LazyGridDsl.kt, LazyGridScope.kt); parameters the app never passes are left out.
package androidx.compose.foundation.lazy.grid

import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.Dp

interface GridCells {
  class Fixed(count: Int) : GridCells

  class Adaptive(minSize: Dp) : GridCells
}

interface LazyGridItemScope

interface LazyGridScope {
  fun item(key: Any? = null, content: @Composable LazyGridItemScope.() -> Unit)
}

@Composable
fun LazyVerticalGrid(
  columns: GridCells,
  modifier: Modifier = Modifier,
  content: LazyGridScope.() -> Unit,
): Unit = TODO()

fun <T> LazyGridScope.items(
  items: List<T>,
  key: ((item: T) -> Any)? = null,
  contentType: (item: T) -> Any? = { null },
  itemContent: @Composable LazyGridItemScope.(item: T) -> Unit,
): Unit = TODO()
