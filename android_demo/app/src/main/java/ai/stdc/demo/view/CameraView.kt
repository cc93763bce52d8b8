package ai.stdc.demo.view

import ai.stdc.demo.MainViewModel
import ai.stdc.demo.UiState
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.core.resolutionselector.AspectRatioStrategy
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxHeight
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.FilterQuality
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LocalLifecycleOwner

/**
 * The back camera's preview with the class mask over it. Preview and analysis share one 4:3
 * aspect ratio and the preview is not cropped (FIT_CENTER), so the box below is the whole frame.
 * The model saw the centred crop of the frame with its own aspect ratio ([UiState.cropWidth] x
 * [UiState.cropHeight] of it): the mask is laid over exactly that part, undistorted.
 */
@Composable
fun CameraView(viewModel: MainViewModel, state: UiState) {
  val context = LocalContext.current
  val lifecycleOwner = LocalLifecycleOwner.current
  val previewView = remember {
    PreviewView(context).apply { scaleType = PreviewView.ScaleType.FIT_CENTER }
  }
  DisposableEffect(lifecycleOwner) {
    val future = ProcessCameraProvider.getInstance(context)
    // the listener (main executor) and onDispose both run on the main thread: no race on this
    var disposed = false
    future.addListener({
      if (disposed) return@addListener // left the screen before the provider came: bind nothing
      val provider = future.get()
      val ratio = ResolutionSelector.Builder()
        .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY).build()
      val preview = Preview.Builder().setResolutionSelector(ratio).build()
      preview.setSurfaceProvider(previewView.surfaceProvider)
      val analysis = ImageAnalysis.Builder()
        .setResolutionSelector(ratio)
        .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
        .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
        .build()
      analysis.setAnalyzer(viewModel.worker, viewModel.analyzer)
      provider.unbindAll()
      provider.bindToLifecycle(lifecycleOwner, CameraSelector.DEFAULT_BACK_CAMERA, preview, analysis)
    }, ContextCompat.getMainExecutor(context))
    onDispose {
      disposed = true
      if (future.isDone) future.get().unbindAll()
    }
  }
  Box(Modifier.aspectRatio(state.frameAspect)) {
    AndroidView({ previewView }, Modifier.fillMaxSize())
    // the newest mask, held until the next one is taken: the worker never writes a held one
    val mask = if (state.maskFrame > 0) {
      remember(state.maskFrame) { viewModel.masks.take()?.asImageBitmap() }
    } else {
      null
    }
    mask?.let {
      // nearest-neighbour scaling: the class borders the model drew, not a blur of them
      Image(it, contentDescription = "class mask",
        modifier = Modifier.align(Alignment.Center).fillMaxWidth(state.cropWidth)
          .fillMaxHeight(state.cropHeight),
        contentScale = ContentScale.FillBounds, filterQuality = FilterQuality.None)
    }
  }
}
