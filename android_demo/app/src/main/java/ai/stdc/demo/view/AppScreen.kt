package ai.stdc.demo.view

import ai.stdc.demo.Frames
import ai.stdc.demo.MainViewModel
import ai.stdc.demo.Mode
import android.Manifest
import android.content.pm.PackageManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.Image
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle

/**
 * Controls on top, the camera or the still picture in the middle, speed and legend below. The
 * app draws edge to edge (forced from Android 15): the black background fills the window and the
 * content is padded by the safe-drawing insets, so nothing sits under the status bar, the
 * display cutout or the navigation bar.
 */
@Composable
fun AppScreen(viewModel: MainViewModel) {
  val state by viewModel.state.collectAsStateWithLifecycle()
  val context = LocalContext.current
  var cameraAllowed by remember {
    mutableStateOf(ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) ==
      PackageManager.PERMISSION_GRANTED)
  }
  val askCamera = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) {
    cameraAllowed = it
  }
  val pickImage = rememberLauncherForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
    if (uri != null) viewModel.segmentStill(Frames.uriStream(context.contentResolver, uri))
  }
  LaunchedEffect(state.mode, cameraAllowed) {
    if (state.mode == Mode.CAMERA && !cameraAllowed) askCamera.launch(Manifest.permission.CAMERA)
  }

  Column(Modifier.fillMaxSize().background(Color.Black).safeDrawingPadding()) {
    Controls(
      state = state,
      onModel = viewModel::selectModel,
      onAccelerator = viewModel::selectAccelerator,
      onOpacity = viewModel::setOpacity,
      onCamera = { viewModel.setMode(Mode.CAMERA) },
      onGallery = {
        pickImage.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
      },
      onSample = { viewModel.segmentStill { context.assets.open(MainViewModel.SAMPLE_ASSET) } },
    )
    Box(Modifier.weight(1f).fillMaxWidth(), contentAlignment = Alignment.Center) {
      when {
        state.mode == Mode.STILL -> state.still?.let {
          Image(it.asImageBitmap(), contentDescription = "segmented picture",
            modifier = Modifier.fillMaxSize(), contentScale = ContentScale.Fit)
        }
        cameraAllowed -> CameraView(viewModel, state)
        else -> Text("The live view needs the camera permission; gallery and sample work without.",
          color = Color.White, modifier = Modifier.padding(24.dp))
      }
    }
    Text(state.stats, color = Color.White, modifier = Modifier.padding(horizontal = 8.dp))
    state.message?.let {
      Text(it, color = Color(0xFFFF8A80), modifier = Modifier.padding(horizontal = 8.dp))
    }
    Legend(state.legend)
  }
}
