package ai.stdc.demo

import ai.stdc.demo.core.AcceleratorFallback.Accelerator
import ai.stdc.demo.core.ClassMap
import ai.stdc.demo.core.FrameStats
import ai.stdc.demo.core.ModelCatalog
import ai.stdc.demo.core.Overlay
import ai.stdc.demo.core.RgbImage
import android.app.Application
import android.graphics.Bitmap
import android.util.Log
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.lifecycle.AndroidViewModel
import com.google.ai.edge.litert.BuiltinNpuAcceleratorProvider
import com.google.ai.edge.litert.Environment
import java.io.InputStream
import java.util.Locale
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update

enum class Mode { CAMERA, STILL }

/** A class of the legend: its name and colour. */
data class LegendEntry(val name: String, val rgb: Int)

data class UiState(
  val models: List<String> = emptyList(),
  val modelIndex: Int = 0,
  val picked: Accelerator = Accelerator.GPU,
  /** The accelerator the model really runs on, and why better ones were passed over. */
  val running: String = "",
  val opacity: Float = 0.5f,
  val mode: Mode = Mode.CAMERA,
  /** Camera mode: the class colours at the model's resolution, stretched over the frame. */
  val mask: Bitmap? = null,
  /** Width / height of the (upright) camera frame the mask belongs to. */
  val frameAspect: Float = 3f / 4f,
  /** Still mode: the picture with its class colours blended in at full resolution. */
  val still: Bitmap? = null,
  val stats: String = "",
  val legend: List<LegendEntry> = emptyList(),
  val message: String? = null,
)

/**
 * The app's state and its one inference worker thread. Every LiteRT call, model switch, camera
 * frame and still image runs on [worker], so nothing needs locking; the UI only reads [state].
 */
class MainViewModel(app: Application) : AndroidViewModel(app) {
  private val _state = MutableStateFlow(UiState())
  val state: StateFlow<UiState> = _state

  /** The one inference worker; CameraX delivers frames on it too (keep-only-latest). */
  val worker: ExecutorService = Executors.newSingleThreadExecutor { Thread(it, "inference") }

  private val stats = FrameStats(30)
  private var catalog: List<ModelCatalog.Entry> = emptyList()
  private var segmenter: Segmenter? = null
  private var env: Environment? = null
  private var stillImage: RgbImage? = null
  private var stillClasses: ClassMap? = null
  /** Bundled files that could not be used: shown until something else needs saying. */
  private var loadProblems: String? = null

  init {
    worker.execute {
      val (entries, problems) = Models.bundled(app.assets)
      catalog = entries
      loadProblems = (problems + if (entries.isEmpty()) listOf(NO_MODELS) else emptyList())
        .joinToString("\n").ifEmpty { null }
      _state.update { it.copy(models = entries.map { e -> e.label() }, message = loadProblems) }
      if (entries.isNotEmpty()) openModel()
    }
  }

  fun selectModel(index: Int) = reopen { it.copy(modelIndex = index) }

  fun selectAccelerator(accelerator: Accelerator) = reopen { it.copy(picked = accelerator) }

  fun setOpacity(opacity: Float) {
    _state.update { it.copy(opacity = opacity) }
    if (state.value.mode == Mode.STILL) worker.execute { renderStill() }
  }

  fun setMode(mode: Mode) = _state.update { it.copy(mode = mode, mask = null) }

  /** ImageAnalysis analyzer (runs on [worker]): one live frame through the whole pipeline. */
  val analyzer = ImageAnalysis.Analyzer { proxy: ImageProxy ->
    proxy.use { frame ->
      val seg = segmenter ?: return@use
      if (state.value.mode != Mode.CAMERA) return@use
      try {
        val t0 = System.nanoTime()
        val image = Frames.fromCamera(frame)
        seg.prepare(image)
        val t1 = System.nanoTime()
        val output = seg.infer()
        val t2 = System.nanoTime()
        val mask = Frames.mask(seg.classes(output), seg.entry.spec.metadata.palette, alpha())
        val t3 = System.nanoTime()
        stats.record(t3, t1 - t0, t2 - t1, t3 - t2)
        _state.update {
          it.copy(mask = mask, frameAspect = image.width.toFloat() / image.height,
            stats = stats.summary())
        }
      } catch (e: Exception) {
        fail("frame failed", e)
      }
    }
  }

  /** Still mode: segment a gallery picture or the bundled sample at its own resolution. */
  fun segmentStill(open: () -> InputStream) {
    _state.update { it.copy(mode = Mode.STILL, mask = null) }
    worker.execute {
      try {
        runStill(Frames.decodeStill(open))
      } catch (e: Exception) {
        fail("cannot read the image", e)
      }
    }
  }

  /** On [worker]: the evaluator's class map at the picture's size, blended at the opacity. */
  private fun runStill(image: RgbImage) {
    stillImage = image
    val seg = segmenter ?: return
    try {
      val t0 = System.nanoTime()
      seg.prepare(image)
      val t1 = System.nanoTime()
      val output = seg.infer()
      val t2 = System.nanoTime()
      stillClasses = seg.classesAt(output, image.height, image.width)
      renderStill()
      val t3 = System.nanoTime()
      _state.update {
        it.copy(stats = String.format(Locale.ROOT,
          "one %dx%d image · pre %.1f ms · inference %.1f ms · post %.1f ms",
          image.width, image.height, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6))
      }
    } catch (e: Exception) {
      fail("cannot segment the image", e)
    }
  }

  private fun renderStill() {
    val seg = segmenter ?: return
    val image = stillImage ?: return
    val classes = stillClasses ?: return
    val blended = Overlay.blend(image, classes, seg.entry.spec.metadata.palette, alpha())
    _state.update { it.copy(still = Frames.toBitmap(blended)) }
  }

  private fun alpha(): Int = Overlay.alpha(state.value.opacity.toDouble())

  private fun reopen(change: (UiState) -> UiState) {
    _state.update(change)
    worker.execute { openModel() }
  }

  /** (Re)compiles the selected model on the picked accelerator, with fallback. On [worker]. */
  private fun openModel() {
    segmenter?.close()
    segmenter = null
    stillClasses = null
    stats.reset()
    val s = state.value
    val entry = catalog.getOrNull(s.modelIndex) ?: return
    _state.update { it.copy(running = "compiling…", mask = null, still = null, stats = "") }
    try {
      val environment = env ?: Environment.create(BuiltinNpuAcceleratorProvider(getApplication<Application>()))
        .also { env = it }
      val result = Segmenter.open(getApplication<Application>().assets, environment, entry, s.picked)
      segmenter = result.value
      val m = entry.spec.metadata
      _state.update {
        it.copy(running = result.describe(), message = loadProblems,
          legend = m.classes.indices.map { i -> LegendEntry(m.classes[i], m.palette.rgb(i)) })
      }
      stillImage?.let { if (state.value.mode == Mode.STILL) runStill(it) }
    } catch (e: Exception) {
      fail("cannot open ${entry.asset}", e)
    }
  }

  private fun fail(what: String, e: Exception) {
    Log.e(TAG, what, e)
    _state.update { it.copy(message = "$what: ${e.message}") }
  }

  override fun onCleared() {
    worker.execute {
      segmenter?.close()
      env?.close()
    }
    worker.shutdown()
  }

  companion object {
    private const val TAG = "StdcDemo"
    const val SAMPLE_ASSET = "sample_street.jpg"
    private const val NO_MODELS =
      "no .tflite in assets/models: convert one with convert/to_tflite.py (see README.md)"
  }
}
