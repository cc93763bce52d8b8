// Type-check stub (android_demo/typecheck): signatures from Compose runtime 1.10 (Compose BOM
// 2025.12.00). @Composable is declared here as a plain annotation and the app is compiled
// WITHOUT the Compose compiler plugin: calls are type-checked like ordinary calls (composable-
// only rules such as "remember outside a composable" are not checked). Bodies TODO().
package androidx.compose.runtime

import kotlin.reflect.KProperty
import kotlinx.coroutines.CoroutineScope

@MustBeDocumented
@Retention(AnnotationRetention.BINARY)
@Target(AnnotationTarget.FUNCTION, AnnotationTarget.TYPE, AnnotationTarget.TYPE_PARAMETER,
  AnnotationTarget.PROPERTY_GETTER)
annotation class Composable

interface State<out T> {
  val value: T
}

interface MutableState<T> : State<T> {
  override var value: T
}

operator fun <T> State<T>.getValue(thisObj: Any?, property: KProperty<*>): T = TODO()

operator fun <T> MutableState<T>.setValue(thisObj: Any?, property: KProperty<*>, value: T): Unit =
  TODO()

fun <T> mutableStateOf(value: T): MutableState<T> = TODO()

@Composable
fun <T> remember(calculation: () -> T): T = TODO()

@Composable
fun <T> remember(key1: Any?, calculation: () -> T): T = TODO()

@Composable
fun LaunchedEffect(key1: Any?, block: suspend CoroutineScope.() -> Unit): Unit = TODO()

@Composable
fun LaunchedEffect(key1: Any?, key2: Any?, block: suspend CoroutineScope.() -> Unit): Unit = TODO()

interface DisposableEffectResult

class DisposableEffectScope {
  fun onDispose(onDisposeEffect: () -> Unit): DisposableEffectResult = TODO()
}

@Composable
fun DisposableEffect(key1: Any?, effect: DisposableEffectScope.() -> DisposableEffectResult): Unit =
  TODO()

sealed class CompositionLocal<T> {
  val current: T
    @Composable get() = TODO()
}

abstract class ProvidableCompositionLocal<T> internal constructor() : CompositionLocal<T>()
