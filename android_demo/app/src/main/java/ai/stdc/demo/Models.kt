package ai.stdc.demo

import ai.stdc.demo.core.ModelCatalog
import ai.stdc.demo.core.ModelException
import ai.stdc.demo.core.ModelSpec
import ai.stdc.demo.core.ModelToken
import android.content.res.AssetManager
import java.io.FileInputStream
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.channels.FileChannel

/** The .tflite files bundled under assets/models, each with its checked metadata. */
object Models {
  const val FOLDER = "models"

  /** The usable models in switcher order, their GPU cache keys by asset, and what was skipped. */
  class Bundled(
    val entries: List<ModelCatalog.Entry>,
    val tokens: Map<String, String>,
    val problems: List<String>,
  )

  fun bundled(assets: AssetManager): Bundled {
    val entries = mutableListOf<ModelCatalog.Entry>()
    val tokens = mutableMapOf<String, String>()
    val problems = mutableListOf<String>()
    for (name in assets.list(FOLDER).orEmpty().filter { it.endsWith(".tflite") }.sorted()) {
      val path = "$FOLDER/$name"
      try {
        val bytes = map(assets, path)
        entries.add(ModelCatalog.Entry(path, ModelSpec.read(bytes)))
        tokens[path] = ModelToken.of(path, bytes)
      } catch (e: ModelException) {
        problems.add("$path: ${e.message}")
      } catch (e: IOException) {
        problems.add("$path: ${e.message}")
      }
    }
    return Bundled(ModelCatalog.sorted(entries), tokens, problems)
  }

  /** The asset memory-mapped (it is stored uncompressed): only the bytes read are loaded. */
  private fun map(assets: AssetManager, path: String): ByteBuffer =
    assets.openFd(path).use { fd ->
      FileInputStream(fd.fileDescriptor).channel.use {
        it.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
      }
    }
}
