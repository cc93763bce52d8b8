package ai.stdc.demo

import ai.stdc.demo.core.AcceleratorFallback
import ai.stdc.demo.core.ClassMap
import ai.stdc.demo.core.FrameProcessor
import ai.stdc.demo.core.ModelCatalog
import ai.stdc.demo.core.ModelMetadata
import ai.stdc.demo.core.Owned
import ai.stdc.demo.core.Postprocessor
import ai.stdc.demo.core.Preprocessor
import ai.stdc.demo.core.Resize
import ai.stdc.demo.core.RgbImage
import ai.stdc.demo.core.TensorInfo
import android.content.Context
import com.google.ai.edge.litert.Accelerator
import com.google.ai.edge.litert.CompiledModel
import com.google.ai.edge.litert.Environment
import com.google.ai.edge.litert.Model
import java.io.File

/**
 * One bundled model compiled for one accelerator (LiteRT's CompiledModel API), with the core's
 * pre- and post-processing for it. Not thread-safe: the app calls it from its one inference
 * worker thread only. Every LiteRT handle it makes is in [owned]: LiteRT handles have no
 * finalizer, so they are closed here or, when opening fails half-way, in [open]. [source] is
 * the model file as LiteRT loaded it (a native copy of the asset), shared by every compile
 * attempt of [open] and closed last.
 */
class Segmenter private constructor(
  val entry: ModelCatalog.Entry,
  private val model: CompiledModel,
  private val owned: Owned,
  private val source: Model,
) : AutoCloseable {
  private val metadata: ModelMetadata = entry.spec.metadata
  private val inputs = owned.addAll(model.createInputBuffers())
  private val outputs = owned.addAll(model.createOutputBuffers())
  private val preprocessor = Preprocessor(metadata)
  /** Still images: the evaluator's preprocessing of the whole picture. */
  val stillInput: Preprocessor.ModelInput = preprocessor.newInput()
  /** Live frames: rotate + centre crop + resize + quantize in one pass ([FrameProcessor]). */
  val frames: FrameProcessor = FrameProcessor.forModel(metadata)
  val frameInput: Preprocessor.ModelInput = frames.newInput()
  val postprocessor = Postprocessor(entry.spec)

  /** The model's raw output: exactly one of the arrays is set, by the output tensor's type. */
  class Output(val floats: FloatArray?, val bytes: ByteArray?, val ints: IntArray?)

  /** Resize + normalize/quantize a still [image] into [stillInput] (the "pre" time). */
  fun prepare(image: RgbImage) = preprocessor.prepare(image, stillInput)

  /** Write [input], run, read the output (the "inference" time, as benchmark_model's plus copies). */
  fun infer(input: Preprocessor.ModelInput): Output {
    // writeInt8 copies raw bytes (no element-type check), so it fills uint8 tensors too
    if (input.floats != null) inputs[0].writeFloat(input.floats) else inputs[0].writeInt8(input.bytes)
    model.run(inputs, outputs)
    return when (entry.spec.output.type) {
      TensorInfo.DType.FLOAT32 -> Output(outputs[0].readFloat(), null, null)
      TensorInfo.DType.INT32 -> Output(null, null, outputs[0].readInt())
      else -> Output(null, outputs[0].readInt8(), null) // uint8 and int8 share the bytes
    }
  }

  /** Class map at the model's resolution (the live view). */
  fun classes(out: Output): ClassMap = when {
    out.floats != null -> postprocessor.classes(out.floats)
    out.bytes != null -> postprocessor.classes(out.bytes)
    else -> postprocessor.classes(out.ints!!)
  }

  /** Class map at [height] x [width] by the evaluator's protocol (still images). */
  fun classesAt(out: Output, height: Int, width: Int): ClassMap = when {
    out.floats != null -> postprocessor.classesAt(out.floats, height, width)
    out.bytes != null -> postprocessor.classesAt(out.bytes, height, width)
    else -> Resize.nearest(postprocessor.classes(out.ints!!), height, width)
  }

  /** Buffers first, then the compiled model (newest first), then the loaded file. */
  override fun close() {
    try {
      owned.close()
    } finally {
      source.close()
    }
  }

  companion object {
    /**
     * Compiles [entry] for [picked] or, failing that, the next accelerator down
     * NPU → GPU → GPU+CPU → CPU in [available]; a first run on a blank input proves each choice.
     * [whyNot] says why an accelerator is missing from [available]; [token] keys the GPU cache.
     * LiteRT's asset loader copies the whole file into native memory, so it is loaded once here
     * and every attempt compiles that copy.
     */
    fun open(context: Context, env: Environment, entry: ModelCatalog.Entry, token: String,
             picked: AcceleratorFallback.Accelerator, available: Set<AcceleratorFallback.Accelerator>,
             whyNot: Map<AcceleratorFallback.Accelerator, String>,
    ): AcceleratorFallback.Result<Segmenter> {
      val source = Model.load(context.assets, entry.asset)
      try {
        return AcceleratorFallback.open(picked, available, whyNot) { accelerator ->
          val owned = Owned()
          try {
            val options = options(accelerator, File(context.cacheDir, GPU_CACHE), token)
            val model = owned.add(CompiledModel.create(source, options, env))
            Segmenter(entry, model, owned, source).also { it.infer(it.stillInput) }
          } catch (e: Throwable) { // link errors and out-of-memory too: nothing may stay open
            closeAfter(e, owned) // the buffers made before the failure, then the compiled model
          }
        }
      } catch (e: Throwable) {
        closeAfter(e, source)
      }
    }

    /** Closes [handle] after [failure] and rethrows it, a failure to close suppressed in it. */
    private fun closeAfter(failure: Throwable, handle: AutoCloseable): Nothing {
      try {
        handle.close()
      } catch (closing: Exception) {
        failure.addSuppressed(closing)
      }
      throw failure
    }

    /** Where the GPU's compiled programs are kept between launches (LiteRT's serialization). */
    private const val GPU_CACHE = "litert_gpu"

    /**
     * LiteRT's accelerator set for each choice. GPU alone compiles only when every op goes to the
     * GPU; GPU+CPU lets the rest run on the CPU. LiteRT adds the CPU to NPU itself; it is named
     * here so the request says what will run.
     */
    private fun options(a: AcceleratorFallback.Accelerator, gpuCache: File, token: String) =
      when (a) {
        AcceleratorFallback.Accelerator.NPU -> CompiledModel.Options(Accelerator.NPU, Accelerator.CPU)
        AcceleratorFallback.Accelerator.GPU ->
          CompiledModel.Options(Accelerator.GPU).apply { gpuOptions = gpuCache(gpuCache, "$token-gpu") }
        AcceleratorFallback.Accelerator.GPU_CPU ->
          CompiledModel.Options(Accelerator.GPU, Accelerator.CPU)
            .apply { gpuOptions = gpuCache(gpuCache, "$token-gpucpu") }
        AcceleratorFallback.Accelerator.CPU -> CompiledModel.Options(Accelerator.CPU)
      }

    private fun gpuCache(dir: File, key: String): CompiledModel.GpuOptions {
      dir.mkdirs()
      return CompiledModel.GpuOptions(
        serializationDir = dir.absolutePath,
        modelCacheKey = key,
        serializeProgramCache = true,
      )
    }
  }
}
