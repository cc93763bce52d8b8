package ai.stdc.demo

import ai.stdc.demo.core.AcceleratorFallback
import ai.stdc.demo.core.ClassMap
import ai.stdc.demo.core.ModelCatalog
import ai.stdc.demo.core.ModelMetadata
import ai.stdc.demo.core.Postprocessor
import ai.stdc.demo.core.Preprocessor
import ai.stdc.demo.core.Resize
import ai.stdc.demo.core.RgbImage
import ai.stdc.demo.core.TensorInfo
import android.content.res.AssetManager
import com.google.ai.edge.litert.Accelerator
import com.google.ai.edge.litert.CompiledModel
import com.google.ai.edge.litert.Environment
import java.util.EnumSet

/**
 * One bundled model compiled for one accelerator (LiteRT's CompiledModel API), with the core's
 * pre- and post-processing for it. Not thread-safe: the app calls it from its one inference
 * worker thread only.
 */
class Segmenter private constructor(val entry: ModelCatalog.Entry, private val model: CompiledModel) :
  AutoCloseable {
  private val metadata: ModelMetadata = entry.spec.metadata
  private val inputs = model.createInputBuffers()
  private val outputs = model.createOutputBuffers()
  private val preprocessor = Preprocessor(metadata)
  private val input = preprocessor.newInput()
  val postprocessor = Postprocessor(entry.spec)

  /** The model's raw output: exactly one of the arrays is set, by the output tensor's type. */
  class Output(val floats: FloatArray?, val bytes: ByteArray?, val ints: IntArray?)

  /** Resize + normalize/quantize [image] into the input buffer (the "pre" time). */
  fun prepare(image: RgbImage) = preprocessor.prepare(image, input)

  /** Write the input, run, read the output (the "inference" time, as benchmark_model's plus copies). */
  fun infer(): Output {
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

  override fun close() {
    inputs.forEach { it.close() }
    outputs.forEach { it.close() }
    model.close()
  }

  companion object {
    /**
     * Compiles [entry] for [picked] or, failing that, the next accelerator down NPU → GPU → CPU
     * that the runtime offers; a first run on a blank input proves each choice before it is used.
     */
    fun open(assets: AssetManager, env: Environment, entry: ModelCatalog.Entry,
             picked: AcceleratorFallback.Accelerator): AcceleratorFallback.Result<Segmenter> {
      val available = EnumSet.noneOf(AcceleratorFallback.Accelerator::class.java)
      for (a in env.getAvailableAccelerators()) {
        if (a != Accelerator.NONE) available.add(AcceleratorFallback.Accelerator.valueOf(a.name))
      }
      return AcceleratorFallback.open(picked, available) { accelerator ->
        val model = CompiledModel.create(assets, entry.asset,
          CompiledModel.Options(Accelerator.valueOf(accelerator.name)), env)
        try {
          Segmenter(entry, model).also { it.infer() }
        } catch (e: Exception) {
          model.close()
          throw e
        }
      }
    }
  }
}
