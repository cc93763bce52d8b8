package ai.stdc.demo

import ai.stdc.demo.core.ModelCatalog
import ai.stdc.demo.core.ModelException
import ai.stdc.demo.core.ModelSpec
import android.content.res.AssetManager
import java.io.FileInputStream
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.channels.FileChannel

/** The .tflite files bundled under assets/models, each with its checked metadata. */
object Models {
  const val FOLDER = "models"

  /** The usable models in switcher order, and one line per file that could not be used. */
  fun bundled(assets: AssetManager): Pair<List<ModelCatalog.Entry>, List<String>> {
    val entries = mutableListOf<ModelCatalog.Entry>()
    val problems = mutableListOf<String>()
    for (name in assets.list(FOLDER).orEmpty().filter { it.endsWith(".tflite") }.sorted()) {
      val path = "$FOLDER/$name"
      try {
        entries.add(ModelCatalog.Entry(path, ModelSpec.read(map(assets, path))))
      } catch (e: ModelException) {
        problems.add("$path: ${e.message}")
      } catch (e: IOException) {
        problems.add("$path: ${e.message}")
      }
    }
    return ModelCatalog.sorted(entries) to problems
  }

  /** The asset memory-mapped (it is stored uncompressed): only the bytes read are loaded. */
  private fun map(assets: AssetManager, path: String): ByteBuffer =
    assets.openFd(path).use { fd ->
      FileInputStream(fd.fileDescriptor).channel.use {
        it.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
      }
    }
}
