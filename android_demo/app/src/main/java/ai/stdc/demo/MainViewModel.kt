package ai.stdc.demo

import ai.stdc.demo.core.AcceleratorFallback.Accelerator
import ai.stdc.demo.core.ClassMap
import ai.stdc.demo.core.FrameStats
import ai.stdc.demo.core.Handover
import ai.stdc.demo.core.LatestOnly
import ai.stdc.demo.core.ModelCatalog
import ai.stdc.demo.core.NpuRuntime
import ai.stdc.demo.core.Overlay
import ai.stdc.demo.core.RgbImage
import android.app.Application
import android.graphics.Bitmap
import android.os.Build
import android.util.Log
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.lifecycle.AndroidViewModel
import com.google.ai.edge.litert.BuiltinNpuAcceleratorProvider
import com.google.ai.edge.litert.Environment
import java.io.File
import java.io.InputStream
import java.util.EnumMap
import java.util.EnumSet
import java.util.Locale
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import com.google.ai.edge.litert.Accelerator as LiteRtAccelerator

enum class Mode { CAMERA, STILL }

/** A class of the legend: its name and colour. */
data class LegendEntry(val name: String, val rgb: Int)

data class UiState(
  val models: List<String> = emptyList(),
  val modelIndex: Int = 0,
  /** The choices this phone and this APK can honour (NPU only with a packaged vendor runtime). */
  val offered: List<Accelerator> = listOf(Accelerator.GPU, Accelerator.GPU_CPU, Accelerator.CPU),
  val picked: Accelerator = Accelerator.GPU,
  /** What the model really runs on, and why better choices were passed over. */
  val running: String = "",
  /** What is not known about [running] (how many ops the CPU took), or null. */
  val runningNote: String? = null,
  val opacity: Float = 0.5f,
  val mode: Mode = Mode.CAMERA,
  /**
   * Camera mode: the number of the newest mask (the class colours of the model's crop of the
   * frame) in [MainViewModel.masks]; 0: none to show.
   */
  val maskFrame: Long = 0,
  /** Width / height of the upright camera frame. */
  val frameAspect: Float = 3f / 4f,
  /** The share of the frame's width and height (centred) that the model saw and the mask covers. */
  val cropWidth: Float = 1f,
  val cropHeight: Float = 1f,
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

  /**
   * The live masks, handed from the worker to the UI: the worker only writes a bitmap the UI
   * does not hold, however many frames the UI falls behind.
   */
  val masks = Handover<Bitmap>()
  private var masksMade = 0L

  private val stats = FrameStats(30)
  private val memory = FrameMemory()
  private var bundled = Models.Bundled(emptyList(), emptyMap(), emptyList())
  private var segmenter: Segmenter? = null
  private var env: Environment? = null
  private var available: Set<Accelerator> = EnumSet.of(Accelerator.CPU)
  private val whyNot = EnumMap<Accelerator, String>(Accelerator::class.java)
  private var npu: NpuRuntime? = null
  private var stillImage: RgbImage? = null
  private var stillClasses: ClassMap? = null
  /** Opacity changes in still mode: one full-size blend per worker turn, with the newest value. */
  private val stillRender = LatestOnly { renderStill() }
  /** Bundled files that could not be used: shown until something else needs saying. */
  private var loadProblems: String? = null

  init {
    worker.execute {
      bundled = Models.bundled(app.assets)
      val entries = bundled.entries
      loadProblems = (bundled.problems + if (entries.isEmpty()) listOf(NO_MODELS) else emptyList())
        .joinToString("\n").ifEmpty { null }
      _state.update { it.copy(models = entries.map { e -> e.label() }, message = loadProblems) }
      if (entries.isNotEmpty()) openModel()
    }
  }

  fun selectModel(index: Int) = reopen { it.copy(modelIndex = index) }

  fun selectAccelerator(accelerator: Accelerator) = reopen { it.copy(picked = accelerator) }

  fun setOpacity(opacity: Float) {
    _state.update { it.copy(opacity = opacity) }
    if (state.value.mode == Mode.STILL) stillRender.request(worker)
  }

  fun setMode(mode: Mode) = _state.update { it.copy(mode = mode, maskFrame = 0) }

  /** ImageAnalysis analyzer (runs on [worker]): one live frame through the whole pipeline. */
  val analyzer = ImageAnalysis.Analyzer { proxy: ImageProxy ->
    proxy.use { frame ->
      val seg = segmenter ?: return@use
      if (state.value.mode != Mode.CAMERA) return@use
      try {
        val t0 = System.nanoTime()
        val plane = frame.planes[0]
        val rotation = frame.imageInfo.rotationDegrees
        seg.frames.process(memory.plane(frame), 0, frame.width, frame.height, plane.rowStride,
          plane.pixelStride, rotation, seg.frameInput)
        val t1 = System.nanoTime()
        val output = seg.infer(seg.frameInput)
        val t2 = System.nanoTime()
        val classes = seg.classes(output)
        val colors = memory.argb(classes.ids.size)
        Overlay.colorize(classes.ids, Overlay.lut(seg.entry.spec.metadata.palette, alpha()), colors)
        masks.publish(memory.mask(masks.writable(), colors, classes.width, classes.height))
        masksMade++
        val t3 = System.nanoTime()
        stats.record(t3, t1 - t0, t2 - t1, t3 - t2)
        val upright = if (rotation % 180 == 0) frame.width to frame.height else frame.height to frame.width
        _state.update {
          it.copy(maskFrame = masksMade, frameAspect = upright.first.toFloat() / upright.second,
            cropWidth = seg.frames.cropWidth().toFloat() / upright.first,
            cropHeight = seg.frames.cropHeight().toFloat() / upright.second,
            stats = stats.summary())
        }
      } catch (e: Exception) {
        fail("frame failed", e)
      }
    }
  }

  /** Still mode: segment a gallery picture or the bundled sample at its own resolution. */
  fun segmentStill(open: () -> InputStream) {
    _state.update { it.copy(mode = Mode.STILL, maskFrame = 0) }
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
      val output = seg.infer(seg.stillInput)
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

  /** On [worker]: the still picture blended at the current opacity. */
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

  /**
   * The LiteRT environment, made once: created with the context so LiteRT keeps compiled models
   * in the app's cache folder, and with the NPU provider only when a vendor runtime is packaged
   * and this phone's SoC is one that vendor's runtime supports (the provider alone claims a
   * runtime that is not there, and LiteRT runs a model its NPU cannot compile on the CPU).
   * Closed again when asking it for its accelerators fails, so a retry does not leak one.
   */
  private fun environment(): Environment {
    env?.let { return it }
    val app = getApplication<Application>()
    val runtime = NpuRuntime.find(File(app.applicationInfo.nativeLibraryDir).list())
    npu = runtime
    // SOC_MANUFACTURER/SOC_MODEL are API 31 (minSdk is 24); LiteRT's checks need them too
    val soc = Build.VERSION.SDK_INT >= Build.VERSION_CODES.S
    val npuProblem = runtime.socProblem(Build.VERSION.SDK_INT,
      if (soc) Build.SOC_MANUFACTURER else null, if (soc) Build.SOC_MODEL else null, Build.ID)
    val created = if (npuProblem == null) {
      Environment.create(app, BuiltinNpuAcceleratorProvider(app))
    } else {
      Environment.create(app)
    }
    try {
      val offered = created.getAvailableAccelerators()
      val usable = EnumSet.of(Accelerator.CPU)
      if (LiteRtAccelerator.GPU in offered) usable.addAll(listOf(Accelerator.GPU, Accelerator.GPU_CPU))
      if (LiteRtAccelerator.NPU in offered && npuProblem == null) usable.add(Accelerator.NPU)
      whyNot[Accelerator.NPU] = npuProblem ?: "LiteRT offers no NPU on this chip"
      available = usable
      _state.update { it.copy(offered = Accelerator.values().filter { a -> a in usable }) }
    } catch (e: Throwable) {
      try {
        created.close()
      } catch (closing: Exception) {
        e.addSuppressed(closing)
      }
      throw e
    }
    env = created
    return created
  }

  /** (Re)compiles the selected model on the picked accelerator, with fallback. On [worker]. */
  private fun openModel() {
    try {
      segmenter?.close()
    } catch (e: Exception) {
      Log.w(TAG, "closing the previous model failed: ${e.message}")
    }
    segmenter = null
    stillClasses = null
    stats.reset()
    val s = state.value
    val entry = catalogEntry(s.modelIndex) ?: return
    _state.update {
      it.copy(running = "compiling…", runningNote = null, maskFrame = 0, still = null, stats = "")
    }
    try {
      val environment = environment()
      val result = Segmenter.open(getApplication(), environment, entry,
        bundled.tokens[entry.asset] ?: entry.asset, s.picked, available, whyNot)
      segmenter = result.value
      val m = entry.spec.metadata
      _state.update {
        it.copy(running = result.describe(), runningNote = note(result.accelerator),
          message = loadProblems,
          legend = m.classes.indices.map { i -> LegendEntry(m.classes[i], m.palette.rgb(i)) })
      }
      stillImage?.let { if (state.value.mode == Mode.STILL) runStill(it) }
    } catch (e: Exception) {
      cannotOpen(entry, e)
    } catch (e: LinkageError) { // LiteRT's own native library missing or not loadable
      cannotOpen(entry, e)
    } catch (e: OutOfMemoryError) { // outside the fallback, which reports its own
      cannotOpen(entry, e)
    }
  }

  private fun cannotOpen(entry: ModelCatalog.Entry, e: Throwable) {
    _state.update { it.copy(running = "nothing: the model could not be opened", runningNote = null) }
    fail("cannot open ${entry.asset}", e)
  }

  private fun catalogEntry(index: Int): ModelCatalog.Entry? = bundled.entries.getOrNull(index)

  /** What the UI cannot know about the split between accelerators. */
  private fun note(a: Accelerator): String? = when (a) {
    Accelerator.GPU_CPU -> "ops the GPU cannot take run on the CPU; LiteRT's Kotlin API does " +
      "not say how many (logcat: \"Replacing N out of M node(s)\")"
    Accelerator.NPU -> "${npu?.vendor} runtime; ops its compiler rejects run on the CPU, and " +
      "if it rejects the whole model everything does and LiteRT only logs it (logcat tag LiteRT)"
    else -> null
  }

  private fun fail(what: String, e: Throwable) {
    Log.e(TAG, what, e)
    val why = if (e is OutOfMemoryError) "out of memory (${e.message})" else e.message
    _state.update { it.copy(message = "$what: $why") }
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
