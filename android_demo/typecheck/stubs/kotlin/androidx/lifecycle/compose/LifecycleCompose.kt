// Type-check stub (android_demo/typecheck): signatures from androidx.lifecycle 2.10.0
// (lifecycle-runtime-compose: LocalLifecycleOwner, FlowExt.kt); bodies TODO().
package androidx.lifecycle.compose

import androidx.compose.runtime.Composable
import androidx.compose.runtime.ProvidableCompositionLocal
import androidx.compose.runtime.State
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.EmptyCoroutineContext
import kotlinx.coroutines.flow.StateFlow

val LocalLifecycleOwner: ProvidableCompositionLocal<LifecycleOwner> = TODO()

@Composable
fun <T> StateFlow<T>.collectAsStateWithLifecycle(
  lifecycleOwner: LifecycleOwner = TODO(),
  minActiveState: Lifecycle.State = Lifecycle.State.STARTED,
  context: CoroutineContext = EmptyCoroutineContext,
): State<T> = TODO()
