// Type-check stub (android_demo/typecheck): signatures from Compose UI 1.10
// (ui: AndroidCompositionLocals.android.kt).
package androidx.compose.ui.platform

import android.content.Context
import androidx.compose.runtime.ProvidableCompositionLocal

val LocalContext: ProvidableCompositionLocal<Context> = TODO()
