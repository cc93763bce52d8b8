// Type-check stub (android_demo/typecheck): signatures from androidx.activity 1.12.1
// (activity-compose: ComponentActivity.kt, ActivityResultRegistry.kt); bodies TODO().
package androidx.activity.compose

import androidx.activity.ComponentActivity
import androidx.activity.result.ActivityResultLauncher
import androidx.activity.result.contract.ActivityResultContract
import androidx.compose.runtime.Composable

fun ComponentActivity.setContent(content: @Composable () -> Unit): Unit = TODO()

class ManagedActivityResultLauncher<I, O> internal constructor() : ActivityResultLauncher<I>() {
  override fun launch(input: I): Unit = TODO()
}

@Composable
fun <I, O> rememberLauncherForActivityResult(
  contract: ActivityResultContract<I, O>,
  onResult: (O) -> Unit,
): ManagedActivityResultLauncher<I, O> = TODO()
