package ai.stdc.demo.view

import ai.stdc.demo.Mode
import ai.stdc.demo.UiState
import ai.stdc.demo.core.AcceleratorFallback.Accelerator
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.FilterChip
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Slider
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp

/** Model (precision) switcher, accelerator picker, source buttons and the opacity slider. */
@Composable
fun Controls(
  state: UiState,
  onModel: (Int) -> Unit,
  onAccelerator: (Accelerator) -> Unit,
  onOpacity: (Float) -> Unit,
  onCamera: () -> Unit,
  onGallery: () -> Unit,
  onSample: () -> Unit,
) {
  Column(Modifier.fillMaxWidth().padding(8.dp)) {
    Row(verticalAlignment = Alignment.CenterVertically) {
      Menu(
        label = state.models.getOrElse(state.modelIndex) { "no model" },
        items = state.models,
        onPick = onModel,
      )
      Text("  runs on ${state.running}", color = Color.White)
    }
    state.runningNote?.let { Text(it, color = Color.LightGray, fontSize = 11.sp) }
    // only what this phone and APK can honour: NPU needs a packaged vendor runtime
    Row(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
      for (a in state.offered) {
        FilterChip(selected = state.picked == a, onClick = { onAccelerator(a) },
          label = { Text(a.label) })
      }
    }
    Row(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
      FilterChip(selected = state.mode == Mode.CAMERA, onClick = onCamera,
        label = { Text("Camera") })
      OutlinedButton(onClick = onGallery) { Text("Gallery") }
      OutlinedButton(onClick = onSample) { Text("Sample") }
    }
    Row(verticalAlignment = Alignment.CenterVertically) {
      Text("Opacity ${(state.opacity * 100).toInt()} %", color = Color.White)
      Slider(value = state.opacity, onValueChange = onOpacity, modifier = Modifier.padding(start = 8.dp))
    }
  }
}

@Composable
private fun Menu(label: String, items: List<String>, onPick: (Int) -> Unit) {
  var open by remember { mutableStateOf(false) }
  Box {
    OutlinedButton(onClick = { open = true }, enabled = items.isNotEmpty()) { Text(label) }
    DropdownMenu(expanded = open, onDismissRequest = { open = false }) {
      items.forEachIndexed { i, item ->
        DropdownMenuItem(text = { Text(item) }, onClick = {
          open = false
          onPick(i)
        })
      }
    }
  }
}
