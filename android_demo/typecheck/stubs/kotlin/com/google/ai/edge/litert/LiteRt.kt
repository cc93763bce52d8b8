// Type-check stub (android_demo/typecheck): signatures from LiteRT 2.3.0's Kotlin API
// (com.google.ai.edge.litert:litert, google-ai-edge/LiteRT litert/kotlin: Common.kt,
// Environment.kt, AcceleratorProvider.kt, LiteRtException.kt, Model.kt, TensorBuffer.kt), only
// the members the app uses plus the constructor parameters they sit between; constructors as in
// the real classes. Bodies are TODO(); not the real library.
package com.google.ai.edge.litert

import android.content.Context
import android.content.res.AssetManager

enum class Accelerator(val value: Int) { NONE(0), CPU(1), GPU(2), NPU(3) }

abstract class JniHandle internal constructor(internal val handle: Long) : AutoCloseable {
  protected abstract fun destroy()

  final override fun close(): Unit = TODO()
}

class LiteRtException(private val status: Status, message: String) : Exception(message) {
  constructor(code: Int, message: String) : this(Status.fromCode(code), message)
}

enum class Status(val code: Int) {
  Ok(0),
  ErrorInvalidArgument(1),
  ErrorMemoryAllocationFailure(2),
  ErrorRuntimeFailure(3),
  ErrorMissingInputTensor(4),
  ErrorUnsupported(5),
  ErrorNotFound(6),
  ErrorTimeoutExpired(7),
  ErrorWrongVersion(8),
  ErrorUnknown(9),
  ErrorAlreadyExists(10),
  ErrorCancelled(11),
  ErrorFileIO(500),
  ErrorInvalidFlatbuffer(501),
  ErrorDynamicLoading(502),
  ErrorSerialization(503),
  ErrorCompilation(504),
  ErrorIndexOOB(1000),
  ErrorInvalidIrType(1001),
  ErrorInvalidGraphInvariant(1002),
  ErrorGraphModification(1003),
  ErrorInvalidToolConfig(1500),
  LegalizeNoMatch(2000),
  ErrorInvalidLegalization(2001),
  PatternNoMatch(3000),
  ErrorInvalidTransformation(3001),
  ErrorUnsupportedRuntimeVersion(4000),
  ErrorUnsupportedCompilerVersion(4001),
  ErrorIncompatibleByteCodeVersion(4002);

  companion object {
    fun fromCode(code: Int): Status = TODO()
  }
}

interface NpuCompatibilityChecker {
  fun isDeviceSupported(): Boolean

  companion object {
    val Default: NpuCompatibilityChecker = TODO()
  }
}

interface NpuAcceleratorProvider {
  fun isDeviceSupported(): Boolean

  fun isLibraryReady(): Boolean

  suspend fun downloadLibrary()

  fun getLibraryDir(): String
}

class BuiltinNpuAcceleratorProvider @JvmOverloads constructor(
  context: Context,
  npuCompatibilityChecker: NpuCompatibilityChecker = NpuCompatibilityChecker.Default,
) : NpuAcceleratorProvider {
  override fun isDeviceSupported(): Boolean = TODO()

  override fun isLibraryReady(): Boolean = TODO()

  override suspend fun downloadLibrary(): Unit = TODO()

  override fun getLibraryDir(): String = TODO()
}

class Environment private constructor(handle: Long) : JniHandle(handle) {
  enum class Option(val value: Int) { CompilerPluginLibraryDir(0), DispatchLibraryDir(1) }

  override fun destroy(): Unit = TODO()

  fun getAvailableAccelerators(): Set<Accelerator> = TODO()

  companion object {
    @JvmStatic @JvmOverloads
    fun create(context: Context, options: Map<Option, String> = mapOf(),
               enableCompilerCache: Boolean = true): Environment = TODO()

    @JvmStatic @JvmOverloads
    fun create(options: Map<Option, String> = mapOf()): Environment = TODO()

    @JvmStatic @JvmOverloads
    fun create(context: Context, npuAcceleratorProvider: NpuAcceleratorProvider,
               options: Map<Option, String> = mapOf(), enableCompilerCache: Boolean = true,
    ): Environment = TODO()

    @JvmStatic @JvmOverloads
    fun create(npuAcceleratorProvider: NpuAcceleratorProvider,
               options: Map<Option, String> = mapOf()): Environment = TODO()
  }
}

class TensorBuffer internal constructor(handle: Long) : JniHandle(handle) {
  fun writeInt(data: IntArray): Unit = TODO()

  fun writeFloat(data: FloatArray): Unit = TODO()

  fun writeInt8(data: ByteArray): Unit = TODO()

  fun readInt(): IntArray = TODO()

  fun readFloat(): FloatArray = TODO()

  fun readInt8(): ByteArray = TODO()

  override fun destroy(): Unit = TODO()
}

/** A loaded model file: Model.load(assets, name) copies the asset into native memory. */
class Model private constructor(handle: Long) : JniHandle(handle) {
  override fun destroy(): Unit = TODO()

  companion object {
    @Throws(LiteRtException::class) @JvmStatic
    fun load(assetManager: AssetManager, assetName: String): Model = TODO()

    @Throws(LiteRtException::class) @JvmStatic
    fun load(filePath: String): Model = TODO()
  }
}

class CompiledModel private constructor(handle: Long) : JniHandle(handle) {
  data class CpuOptions(
    val numThreads: Int? = null,
    val xnnPackFlags: Int? = null,
    val xnnPackWeightCachePath: String? = null,
  )

  data class GpuOptions(
    val constantTensorSharing: Boolean? = null,
    val infiniteFloatCapping: Boolean? = null,
    val allowSrcQuantizedFcConvOps: Boolean? = null,
    val precision: Precision? = null,
    val bufferStorageType: BufferStorageType? = null,
    val preferTextureWeights: Boolean? = null,
    val serializationDir: String? = null,
    val modelCacheKey: String? = null,
    val serializeProgramCache: Boolean? = null,
    val serializeExternalTensors: Boolean? = null,
    val externalTensorsMode: Boolean? = null,
    val externalTensorPattern: String? = null,
    val backend: Backend? = null,
    val priority: Priority? = null,
    val numStepsOfCommandBufferPreparations: Int? = null,
  ) {
    enum class Precision(val value: Int) { DEFAULT(0), FP16(1), FP32(2), FP16_WITH_FP32_ACCUM(3) }

    enum class BufferStorageType(val value: Int) { DEFAULT(0), BUFFER(1), TEXTURE_2D(2) }

    enum class Backend(val value: Int) { AUTOMATIC(0), OPENCL(1), WEBGPU(2), OPENGL(3) }

    enum class Priority(val value: Int) { DEFAULT(0), LOW(1), NORMAL(2), HIGH(3) }
  }

  class Options(internal val accelerators: Set<Accelerator>) {
    constructor(vararg accelerators: Accelerator) : this(setOf(*accelerators))

    var cpuOptions: CpuOptions? = null
    var gpuOptions: GpuOptions? = null

    companion object {
      @JvmStatic val CPU: Options = TODO()
    }
  }

  override fun destroy(): Unit = TODO()

  @JvmOverloads
  fun createInputBuffers(signatureIndex: Int = 0): List<TensorBuffer> = TODO()

  @JvmOverloads
  fun createOutputBuffers(signatureIndex: Int = 0): List<TensorBuffer> = TODO()

  fun createInputBuffer(inputName: String, signature: String? = null): TensorBuffer = TODO()

  fun createOutputBuffer(outputName: String, signature: String? = null): TensorBuffer = TODO()

  @JvmOverloads
  fun run(inputs: List<TensorBuffer>, signatureIndex: Int = 0): List<TensorBuffer> = TODO()

  @JvmOverloads
  fun run(inputs: List<TensorBuffer>, outputs: List<TensorBuffer>, signatureIndex: Int = 0): Unit =
    TODO()

  companion object {
    /** The caller keeps [model] (LiteRT does not close it with the compiled model). */
    @JvmStatic @JvmOverloads
    fun create(model: Model, options: Options = Options.CPU,
               optionalEnv: Environment? = null): CompiledModel = TODO()

    @JvmStatic @JvmOverloads
    fun create(assetManager: AssetManager, assetName: String, options: Options = Options.CPU,
               optionalEnv: Environment? = null): CompiledModel = TODO()

    @JvmStatic @JvmOverloads
    fun create(filePath: String, options: Options = Options.CPU,
               optionalEnv: Environment? = null): CompiledModel = TODO()
  }
}
