package ai.stdc.demo.view

import ai.stdc.demo.LegendEntry
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.grid.GridCells
import androidx.compose.foundation.lazy.grid.LazyVerticalGrid
import androidx.compose.foundation.lazy.grid.items
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp

/** The model's classes with their colours, from its metadata. */
@Composable
fun Legend(entries: List<LegendEntry>) {
  LazyVerticalGrid(GridCells.Adaptive(110.dp), Modifier.fillMaxWidth().heightIn(max = 140.dp).padding(8.dp)) {
    items(entries) { e ->
      Row(verticalAlignment = Alignment.CenterVertically, modifier = Modifier.padding(2.dp)) {
        Box(Modifier.size(12.dp).background(Color(0xFF000000.toInt() or e.rgb)))
        Text(" ${e.name}", color = Color.White, fontSize = 12.sp)
      }
    }
  }
}
